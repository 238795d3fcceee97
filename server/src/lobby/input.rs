//! The input rule, for every game: a player's queue of inputs, and which of them are due
//! this tick. A player moves one step per applied input. Each tick (skipped ones too) earns
//! one input of credit, saved up to [`CREDIT_CAP`]; at most [`MAX_INPUTS_PER_TICK`] apply
//! in one tick; a queue that stays non-empty is lent one extra input, paid back or written
//! off. Inputs are never dropped by the drain, and nobody applies more than one input per
//! tick for long. The engine takes the due inputs before the game's systems run; a game
//! applies each of [`PlayerInput::due`] once, in order.

use std::collections::VecDeque;

use bevy_ecs::prelude::*;
use tickwire_protocol::schema::GameInput;
use tickwire_protocol::{Input, InputValues};

/// Most unapplied inputs kept per player; more are dropped. Half a second at 60 Hz: a lobby
/// or connection stalled for that long loses nothing.
pub const INPUT_QUEUE_CAP: usize = 32;

/// Most inputs a player may have applied in one tick: twice the honest rate, so a player
/// catching up moves at most twice its top speed.
pub const MAX_INPUTS_PER_TICK: u32 = 2;

/// Most credit a player may save up. Each tick earns one input of credit, saved while
/// inputs arrive late, so inputs held up by a stalled connection (up to half a second at
/// 30 Hz) are caught up within as many ticks, not kept waiting behind every later input.
/// It is also all that idling can buy: a client that sends nothing and then a flood moves,
/// over any window of ticks, at most this many steps (plus one loan, [`BACKLOG_DRAIN_TICKS`])
/// further than one that sends an input every tick, and never faster than
/// [`MAX_INPUTS_PER_TICK`] steps a tick.
pub const CREDIT_CAP: u32 = 16;

/// Ticks a player's queue may end non-empty in a row before it is lent one extra input.
/// Credit only catches up inputs that came late; inputs that came early (more in one tick
/// than saved credit covers, then one per tick, as after a client's frame hitch) would
/// otherwise each wait an extra tick for good. The loan is paid back by the next tick that
/// finds nothing queued (which would otherwise save credit), or written off after
/// [`INPUT_LOAN_TICKS`]; there is one loan at a time. No input is dropped (a dropped one
/// would cost the client a prediction correction), and sending faster than one input per
/// tick gains at most one input per [`INPUT_LOAN_TICKS`].
pub const BACKLOG_DRAIN_TICKS: u32 = 30;

/// Ticks after which an unpaid input loan is written off (10 s at 30 Hz): a client whose
/// inputs always arrive in time never has an idle tick to pay it back, and a second hitch
/// must not leave it a tick behind for good.
pub const INPUT_LOAN_TICKS: u32 = 300;

/// Ticks the lobby's clock skipped (it was stalled for longer than it catches up), to be
/// credited to every player at the next step: the client went on sending an input per tick
/// meanwhile, and those inputs are owed.
#[derive(Resource, Default)]
pub struct SkippedTicks(pub u32);

/// A player's unapplied inputs, the ones due this tick, and its credit.
#[derive(Component, Debug, Default)]
pub struct PlayerInput {
    pending: VecDeque<Input>,
    last_received: u32,
    last_applied: u32,
    due: [InputValues; MAX_INPUTS_PER_TICK as usize],
    due_len: usize,
    credit: u32,
    /// Consecutive ticks that ended with inputs still waiting.
    backlogged: u32,
    /// Ticks since an extra input was lent to drain a backlog (0: none owed).
    loan_age: u32,
}

/// Why an input was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Its seq is not above the newest received (a replay or a reorder).
    Stale,
    /// The queue is full.
    Full,
}

impl PlayerInput {
    /// Queues an input; stale (non-increasing seq) or overflowing inputs are refused.
    pub fn push(&mut self, input: Input) -> Result<(), Refused> {
        if input.seq <= self.last_received {
            return Err(Refused::Stale);
        }
        if self.pending.len() >= INPUT_QUEUE_CAP {
            return Err(Refused::Full);
        }
        self.last_received = input.seq;
        self.pending.push_back(input);
        Ok(())
    }

    /// The inputs to apply this tick, oldest first.
    pub fn due(&self) -> &[InputValues] {
        &self.due[..self.due_len]
    }

    /// The inputs due this tick, read as the game's input type.
    pub fn due_as<I: GameInput>(&self) -> impl Iterator<Item = I> + '_ {
        self.due().iter().map(|v| I::from_values(v.as_slice()))
    }

    /// The newest input seq applied (reported to the client in every snapshot).
    pub fn last_applied(&self) -> u32 {
        self.last_applied
    }

    /// The connection dropped: what it had sent but was not applied is discarded.
    pub fn clear(&mut self) {
        self.pending.clear();
        self.due_len = 0;
    }

    /// Takes this tick's due inputs by the input rule; `skipped` ticks earn credit too.
    fn take_due(&mut self, skipped: u32) {
        self.credit = self.credit.saturating_add(skipped).min(CREDIT_CAP);
        if self.loan_age > 0 && self.pending.is_empty() {
            self.loan_age = 0;
        } else {
            self.credit = (self.credit + 1).min(CREDIT_CAP);
            if self.loan_age > 0 {
                self.loan_age += 1;
                if self.loan_age > INPUT_LOAN_TICKS {
                    self.loan_age = 0;
                }
            }
        }
        if self.backlogged >= BACKLOG_DRAIN_TICKS && self.loan_age == 0 {
            self.credit += 1;
            self.loan_age = 1;
            self.backlogged = 0;
        }
        self.due_len = 0;
        while self.credit > 0 && self.due_len < MAX_INPUTS_PER_TICK as usize {
            let Some(input) = self.pending.pop_front() else {
                break;
            };
            self.credit -= 1;
            self.due[self.due_len] = input.values;
            self.due_len += 1;
            self.last_applied = input.seq;
        }
        self.backlogged = if self.pending.is_empty() {
            0
        } else {
            self.backlogged + 1
        };
    }
}

/// The engine's first system of every tick: each player's due inputs, by the input rule.
pub fn take_due_inputs(mut players: Query<&mut PlayerInput>, mut skipped: ResMut<SkippedTicks>) {
    let skipped = std::mem::take(&mut skipped.0);
    for mut p in &mut players {
        p.take_due(skipped);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// One tick of a client's sending: how many inputs arrive before the step.
    fn arrivals() -> impl Strategy<Value = Vec<u8>> {
        // Idle stretches, bursts, steady play and skipped ticks, in any order.
        proptest::collection::vec(
            prop_oneof![
                4 => Just(1u8),
                3 => Just(0u8),
                1 => 2u8..8,
                1 => 8u8..40,
            ],
            1..400,
        )
    }

    /// What PROTOCOL.md promises: over any stretch of ticks at most this many inputs more
    /// than the ticks that passed, and at most this many in one tick.
    const PROMISED_ALLOWANCE: u32 = 17;
    const PROMISED_PEAK: usize = 2;

    proptest! {
        /// Whatever a client sends, and whenever, it is applied at most the promised
        /// allowance ahead of one input a tick over any window, and at most the promised
        /// peak in one tick.
        #[test]
        fn no_input_pattern_moves_faster_than_the_rule_allows(ticks in arrivals(), skips in proptest::collection::vec(0u32..3, 400)) {
            let mut p = PlayerInput::default();
            let mut seq = 0;
            // Applied so far after each tick, and the ticks each step of the clock counted.
            let mut applied = vec![0u32];
            let mut elapsed = vec![0u32];
            for (t, n) in ticks.iter().enumerate() {
                for _ in 0..*n {
                    seq += 1;
                    let _ = p.push(Input { seq, ..Input::default() });
                }
                let skipped = if t % 50 == 49 { skips[t] } else { 0 };
                p.take_due(skipped);
                prop_assert!(p.due().len() <= PROMISED_PEAK);
                applied.push(applied[t] + p.due().len() as u32);
                elapsed.push(elapsed[t] + 1 + skipped);
            }
            for a in 0..applied.len() {
                for b in a + 1..applied.len() {
                    let moved = applied[b] - applied[a];
                    let honest = elapsed[b] - elapsed[a];
                    prop_assert!(
                        moved <= honest + PROMISED_ALLOWANCE,
                        "ticks {a}..{b}: {moved} inputs applied in {honest} ticks"
                    );
                }
            }
        }
    }

    #[test]
    fn idling_buys_at_most_the_credit_cap() {
        // A second and a half of nothing, then four inputs a tick (the rate limit's pace)
        // for a second: against a player that sent one a tick throughout, it gains
        // CREDIT_CAP - 1 steps, at twice the top speed at most.
        let mut p = PlayerInput::default();
        for _ in 0..45 {
            p.take_due(0);
        }
        let (mut seq, mut per_tick) = (0, Vec::new());
        for _ in 0..30 {
            for _ in 0..4 {
                seq += 1;
                let _ = p.push(Input {
                    seq,
                    ..Input::default()
                });
            }
            p.take_due(0);
            per_tick.push(p.due().len() as u32);
        }
        assert_eq!(
            per_tick.iter().sum::<u32>(),
            30 + CREDIT_CAP - 1,
            "{per_tick:?}"
        );
        assert!(per_tick.iter().all(|n| *n <= MAX_INPUTS_PER_TICK));
    }
}
