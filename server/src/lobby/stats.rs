//! A running lobby's figures for the operator's dashboard: how long its ticks and their
//! snapshot encoding take (count, sum, largest, counts per bucket), missed ticks, bytes
//! handed to its players' outboxes and received from them, snapshots replaced unsent, inputs
//! taken, and its roster. The runner writes the counters with a few relaxed atomics per
//! tick (no lock, no allocation); the dashboard reads them about once a second. The roster
//! is published only when it changes (a join, leave, drop or resume), never on the tick.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Upper bounds of the time buckets in nanoseconds: 10 µs to 1 s in 1-2.5-5 steps, as in
/// the `tickwire_tick_duration_seconds` histogram. A last bucket counts what is slower.
pub const BUCKET_BOUNDS_NS: [u64; 16] = [
    10_000,
    25_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
];
/// The buckets, the one past the last bound included.
pub const BUCKETS: usize = BUCKET_BOUNDS_NS.len() + 1;

/// Durations of one kind (a tick, or its encoding), as counters that only grow (but the
/// largest, which the reader takes and resets).
#[derive(Debug, Default)]
pub struct Timings {
    count: AtomicU64,
    sum_ns: AtomicU64,
    max_ns: AtomicU64,
    buckets: [AtomicU64; BUCKETS],
}

/// What [`Timings::take`] read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimingsRead {
    pub count: u64,
    pub sum_ns: u64,
    /// The largest since the previous read.
    pub max_ns: u64,
    pub buckets: [u64; BUCKETS],
}

impl Timings {
    /// Four relaxed atomic operations.
    pub fn record(&self, ns: u64) {
        let bucket = BUCKET_BOUNDS_NS.partition_point(|&bound| bound < ns);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
        self.max_ns.fetch_max(ns, Ordering::Relaxed);
    }

    /// The counters, and the largest duration since the last call (which starts anew). Only
    /// one reader may call it: the dashboard's snapshot builder.
    pub fn take(&self) -> TimingsRead {
        TimingsRead {
            count: self.count.load(Ordering::Relaxed),
            sum_ns: self.sum_ns.load(Ordering::Relaxed),
            max_ns: self.max_ns.swap(0, Ordering::Relaxed),
            buckets: std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed)),
        }
    }
}

/// One seat of the roster, as the dashboard lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    pub client: u32,
    pub name: String,
    /// False while the seat is held for a reconnect.
    pub connected: bool,
}

/// A lobby's figures; counters only grow.
#[derive(Debug, Default)]
pub struct LobbyStats {
    /// One run of due steps and their snapshots (as `tickwire_tick_duration_seconds`).
    pub tick: Timings,
    /// Encoding that run's snapshots.
    pub encode: Timings,
    pub missed_ticks: AtomicU64,
    /// Bytes of frames handed to its players' outboxes (a snapshot replaced unsent counts).
    pub bytes_out: AtomicU64,
    /// Bytes of frames its players sent while seated here.
    pub bytes_in: AtomicU64,
    pub snapshots_dropped: AtomicU64,
    pub inputs: AtomicU64,
    /// The players in seat order (the first is the host).
    roster: Mutex<Arc<[Seat]>>,
}

impl LobbyStats {
    pub fn add(counter: &AtomicU64, n: u64) {
        if n > 0 {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }

    pub fn read(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub fn roster(&self) -> Arc<[Seat]> {
        self.roster
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_roster(&self, roster: Arc<[Seat]>) {
        *self.roster.lock().unwrap_or_else(|e| e.into_inner()) = roster;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_fall_in_their_buckets_and_the_largest_starts_anew() {
        let t = Timings::default();
        for ns in [5_000, 10_000, 10_001, 2_000_000_000] {
            t.record(ns);
        }
        let read = t.take();
        assert_eq!(read.count, 4);
        assert_eq!(read.sum_ns, 2_000_025_001);
        assert_eq!(read.max_ns, 2_000_000_000);
        assert_eq!(read.buckets[0], 2, "a bound belongs to its bucket");
        assert_eq!(read.buckets[1], 1);
        assert_eq!(read.buckets[BUCKETS - 1], 1, "slower than the last bound");
        t.record(7);
        let again = t.take();
        assert_eq!((again.count, again.max_ns), (5, 7));
    }
}
