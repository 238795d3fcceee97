//! The window's delay distributions, all bots together. One set of histograms serves every
//! bot: a histogram of an hour's range at three significant digits is about 190 KB, and a
//! thousand bots recording into four each missed the cache at every sample (a fifth of the
//! load generator's CPU, and so of its own delay in reading what the server sent).

use std::sync::{Mutex, PoisonError};

use hdrhistogram::Histogram;

/// One microsecond to an hour, three significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3)
        .unwrap_or_else(|_| unreachable!("valid histogram bounds"))
}

/// Each distribution, in microseconds.
pub struct Sets {
    /// From an input's sending to the snapshot that applied it.
    pub latency_us: Histogram<u64>,
    /// The part of `latency_us` after the first tick boundary following the sending.
    pub server_added_us: Histogram<u64>,
    /// Ping to pong, less the time the ping waited in the server.
    pub rtt_us: Histogram<u64>,
    /// |interval between consecutive snapshots - tick period|.
    pub jitter_us: Histogram<u64>,
}

impl Sets {
    fn new() -> Self {
        Self {
            latency_us: histogram(),
            server_added_us: histogram(),
            rtt_us: histogram(),
            jitter_us: histogram(),
        }
    }
}

pub struct Delays(Mutex<Sets>);

impl Default for Delays {
    fn default() -> Self {
        Self(Mutex::new(Sets::new()))
    }
}

impl Delays {
    /// Records under one short lock.
    pub fn record(&self, f: impl FnOnce(&mut Sets)) {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// Everything recorded, leaving empty histograms.
    pub fn take(&self) -> Sets {
        let mut sets = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *sets, Sets::new())
    }
}
