//! What the bots measure second by second of the measured window, shared by every bot:
//! input-to-snapshot and server-added latency by the second the input was sent in, and
//! bytes each way by the second they crossed the socket. One short lock per record.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use hdrhistogram::Histogram;
use tickwire_benches::loadreport::ClientSecond;

/// One second's samples.
struct Second {
    latency_us: Histogram<u32>,
    server_added_us: Histogram<u32>,
    bytes_down: u64,
    bytes_up: u64,
}

impl Second {
    fn new() -> Self {
        // 1 µs to a minute at two significant digits (10 KB each): fine for a percentile
        // per second, small enough for an hour-long window.
        let h = || {
            Histogram::new_with_bounds(1, 60_000_000, 2)
                .unwrap_or_else(|_| unreachable!("valid histogram bounds"))
        };
        Self {
            latency_us: h(),
            server_added_us: h(),
            bytes_down: 0,
            bytes_up: 0,
        }
    }
}

#[derive(Default)]
pub struct Timeline {
    seconds: Mutex<Vec<Second>>,
}

impl Timeline {
    fn with_second(&self, second: usize, f: impl FnOnce(&mut Second)) {
        let mut seconds = self.seconds.lock().unwrap_or_else(PoisonError::into_inner);
        while seconds.len() <= second {
            seconds.push(Second::new());
        }
        f(&mut seconds[second]);
    }

    /// An input sent in `second` was answered after `latency_us`, of which the server added
    /// `server_added_us` (when the tick boundaries are known).
    pub fn latency(&self, second: usize, latency_us: u64, server_added_us: Option<u64>) {
        self.with_second(second, |s| {
            s.latency_us.saturating_record(latency_us);
            if let Some(added) = server_added_us {
                s.server_added_us.saturating_record(added);
            }
        });
    }

    pub fn bytes_down(&self, second: usize, bytes: usize) {
        self.with_second(second, |s| s.bytes_down += bytes as u64);
    }

    pub fn bytes_up(&self, second: usize, bytes: usize) {
        self.with_second(second, |s| s.bytes_up += bytes as u64);
    }

    /// Every second of a `window` (the last one may be shorter), per client of `clients`.
    pub fn seconds(&self, window: Duration, clients: usize) -> Vec<ClientSecond> {
        let seconds = self.seconds.lock().unwrap_or_else(PoisonError::into_inner);
        let total = window.as_secs_f64();
        let ms = |h: &Histogram<u32>, q: f64| {
            (!h.is_empty()).then(|| h.value_at_quantile(q) as f64 / 1000.0)
        };
        (0..total.ceil() as usize)
            .map(|i| {
                let from_s = i as f64;
                let to_s = (from_s + 1.0).min(total);
                let per_client_s =
                    |bytes: u64| bytes as f64 / clients.max(1) as f64 / (to_s - from_s);
                match seconds.get(i) {
                    Some(s) => ClientSecond {
                        from_s,
                        to_s,
                        inputs: s.latency_us.len(),
                        input_to_snapshot_p50_ms: ms(&s.latency_us, 0.5),
                        input_to_snapshot_p99_ms: ms(&s.latency_us, 0.99),
                        server_added_p99_ms: ms(&s.server_added_us, 0.99),
                        bytes_down_per_client_s: per_client_s(s.bytes_down),
                        bytes_up_per_client_s: per_client_s(s.bytes_up),
                    },
                    None => ClientSecond {
                        from_s,
                        to_s,
                        ..ClientSecond::default()
                    },
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within the two significant digits the histograms keep.
    fn near(v: Option<f64>, expected: f64) -> bool {
        v.is_some_and(|v| (v - expected).abs() <= expected * 0.01)
    }

    #[test]
    fn seconds_of_the_window() {
        let t = Timeline::default();
        for us in [10_000, 20_000, 30_000] {
            t.latency(0, us, Some(us / 10));
        }
        t.latency(2, 5_000, None);
        t.bytes_down(0, 1000);
        t.bytes_up(0, 200);
        t.bytes_down(2, 300);
        // 2.5 s, two clients: three seconds, the last one half long.
        let s = t.seconds(Duration::from_millis(2500), 2);
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].from_s, s[0].to_s, s[2].to_s), (0.0, 1.0, 2.5));
        assert_eq!(s[0].inputs, 3);
        assert!(near(s[0].input_to_snapshot_p50_ms, 20.0), "{:?}", s[0]);
        assert!(near(s[0].input_to_snapshot_p99_ms, 30.0), "{:?}", s[0]);
        assert!(near(s[0].server_added_p99_ms, 3.0), "{:?}", s[0]);
        assert_eq!(s[0].bytes_down_per_client_s, 500.0);
        assert_eq!(s[0].bytes_up_per_client_s, 100.0);
        // Nothing recorded in the second second.
        assert_eq!((s[1].inputs, s[1].input_to_snapshot_p50_ms), (0, None));
        assert_eq!(s[2].server_added_p99_ms, None);
        assert_eq!(s[2].bytes_down_per_client_s, 300.0);
    }
}
