//! The fixed-tick clock: how many steps are due after some elapsed time, with a bounded
//! catch-up for late ticks and an honest count of the deadlines missed. Pure: it takes
//! elapsed durations, so tests drive it without a wall clock.

use std::time::Duration;

/// Most steps run back to back to catch up after a late wake-up.
pub const MAX_CATCH_UP: u32 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickPlan {
    /// Steps to run now.
    pub steps: u32,
    /// Deadlines that passed before their tick ran: every step beyond the first, plus the
    /// ticks abandoned because the catch-up limit was reached.
    pub missed: u32,
}

impl TickPlan {
    /// Ticks abandoned (neither run now nor later) because the catch-up limit was reached.
    pub fn skipped(&self) -> u32 {
        (self.missed + 1).saturating_sub(self.steps.max(1))
    }
}

#[derive(Debug, Clone)]
pub struct TickClock {
    period: Duration,
    /// Ticks accounted for since the start (run or abandoned).
    done: u64,
}

impl TickClock {
    pub fn new(tick_rate: u16) -> Self {
        Self {
            period: Duration::from_secs(1) / u32::from(tick_rate.max(1)),
            done: 0,
        }
    }

    pub fn period(&self) -> Duration {
        self.period
    }

    /// When the next tick is due, measured from the start.
    pub fn next_deadline(&self) -> Duration {
        self.period
            .saturating_mul((self.done + 1).min(u64::from(u32::MAX)) as u32)
    }

    /// The steps due at `elapsed` since the start. If more than [`MAX_CATCH_UP`] are due,
    /// the rest are abandoned (the lobby does not try to replay a long stall) and counted.
    pub fn due(&mut self, elapsed: Duration) -> TickPlan {
        let due_total = (elapsed.as_nanos() / self.period.as_nanos().max(1)) as u64;
        let due = due_total.saturating_sub(self.done);
        if due == 0 {
            return TickPlan {
                steps: 0,
                missed: 0,
            };
        }
        self.done = due_total;
        let steps = due.min(u64::from(MAX_CATCH_UP)) as u32;
        let missed = (due - 1).min(u64::from(u32::MAX)) as u32;
        TickPlan { steps, missed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_time_ticks_run_one_step_each() {
        let mut c = TickClock::new(30);
        let p = c.period();
        assert_eq!(
            c.due(p / 2),
            TickPlan {
                steps: 0,
                missed: 0
            }
        );
        assert_eq!(
            c.due(p),
            TickPlan {
                steps: 1,
                missed: 0
            }
        );
        assert_eq!(
            c.due(p * 2 + p / 3),
            TickPlan {
                steps: 1,
                missed: 0
            }
        );
        assert_eq!(c.next_deadline(), p * 3);
    }

    #[test]
    fn a_late_wakeup_catches_up_and_counts_missed_deadlines() {
        let mut c = TickClock::new(30);
        let p = c.period();
        let late = c.due(p * 3);
        assert_eq!(
            late,
            TickPlan {
                steps: 3,
                missed: 2
            }
        );
        assert_eq!(late.skipped(), 0, "all caught up");
        // A long stall: only MAX_CATCH_UP steps run, every late deadline is counted, and the
        // ticks not run are skipped for good.
        let stall = c.due(p * 13);
        assert_eq!(
            stall,
            TickPlan {
                steps: MAX_CATCH_UP,
                missed: 9
            }
        );
        assert_eq!(stall.skipped(), 10 - MAX_CATCH_UP);
        assert_eq!(
            c.due(p * 14),
            TickPlan {
                steps: 1,
                missed: 0
            }
        );
    }
}
