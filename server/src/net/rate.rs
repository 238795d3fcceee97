//! Per-connection message rate limiting: a token bucket for the allowed rate, and a slower
//! one that sustained excess drains until the connection is closed.

use std::time::{Duration, Instant};

/// A token bucket: `capacity` tokens, refilled at `per_second`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    pub fn new(capacity: f64, per_second: f64, now: Instant) -> Self {
        Self {
            capacity,
            per_second,
            tokens: capacity,
            at: now,
        }
    }

    /// The tokens there are now.
    pub fn peek(&mut self, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.at = now;
        self.tokens
    }

    /// Whether the bucket has refilled completely (it tracks nothing worth keeping).
    pub fn is_full(&mut self, now: Instant) -> bool {
        self.peek(now) >= self.capacity
    }

    /// Takes one token if there is one.
    pub fn take(&mut self, now: Instant) -> bool {
        if self.peek(now) >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What to do with one incoming message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    /// Drop it; `warn` is true at most once a second, to tell the client without flooding it.
    Drop {
        warn: bool,
    },
    /// The connection has exceeded its rate for too long: close it.
    Close,
}

#[derive(Debug, Clone)]
pub struct RateLimiter {
    messages: TokenBucket,
    /// Drained by dropped messages; empty means sustained abuse.
    patience: TokenBucket,
    last_warning: Option<Instant>,
}

impl RateLimiter {
    /// `rate` messages per second with bursts of twice that; about three seconds' worth of
    /// excess, refilled slowly, is tolerated before the connection is closed.
    pub fn new(rate: u32, now: Instant) -> Self {
        let rate = f64::from(rate.max(1));
        Self {
            messages: TokenBucket::new(2.0 * rate, rate, now),
            patience: TokenBucket::new(3.0 * rate, rate / 10.0, now),
            last_warning: None,
        }
    }

    pub fn check(&mut self, now: Instant) -> Verdict {
        if self.messages.take(now) {
            return Verdict::Accept;
        }
        if !self.patience.take(now) {
            return Verdict::Close;
        }
        let warn = self
            .last_warning
            .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1));
        if warn {
            self.last_warning = Some(now);
        }
        Verdict::Drop { warn }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_traffic_at_the_rate_passes() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(30, t0);
        for i in 0..3000u32 {
            assert_eq!(
                r.check(t0 + Duration::from_millis(u64::from(i) * 1000 / 30)),
                Verdict::Accept
            );
        }
    }

    #[test]
    fn a_flood_is_dropped_with_one_warning_a_second_then_closed() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(10, t0);
        let verdicts: Vec<Verdict> = (0..200).map(|_| r.check(t0)).collect();
        assert!(
            verdicts[..20].iter().all(|v| *v == Verdict::Accept),
            "the burst passes"
        );
        assert_eq!(verdicts[20], Verdict::Drop { warn: true });
        assert_eq!(verdicts[21], Verdict::Drop { warn: false });
        assert_eq!(
            verdicts.last(),
            Some(&Verdict::Close),
            "sustained excess closes"
        );
    }
}
