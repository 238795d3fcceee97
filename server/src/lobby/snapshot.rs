//! Snapshot history and per-client baselines: which world each client holds, and the
//! encoded snapshot for it, with one body encoded per distinct baseline per tick.

use std::collections::VecDeque;

use bytes::Bytes;
use tickwire_protocol::codec::{encode_into, snapshot_frame};
use tickwire_protocol::{SnapshotBody, WorldState};

/// The lobby's recent world states, oldest first, one per tick.
#[derive(Debug)]
pub struct SnapshotHistory {
    states: VecDeque<WorldState>,
    capacity: usize,
}

impl SnapshotHistory {
    /// Keeps `capacity` ticks (at least 2).
    pub fn new(capacity: usize) -> Self {
        Self {
            states: VecDeque::with_capacity(capacity.max(2)),
            capacity: capacity.max(2),
        }
    }

    pub fn push(&mut self, state: WorldState) {
        debug_assert!(
            self.latest().is_none_or(|l| l.tick + 1 == state.tick),
            "ticks must be consecutive"
        );
        if self.states.len() == self.capacity {
            self.states.pop_front();
        }
        self.states.push_back(state);
    }

    pub fn latest(&self) -> Option<&WorldState> {
        self.states.back()
    }

    pub fn get(&self, tick: u32) -> Option<&WorldState> {
        let oldest = self.states.front()?.tick;
        let index = tick.checked_sub(oldest)? as usize;
        self.states.get(index)
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

/// What one client holds, as far as the server can trust it.
#[derive(Debug, Clone, Copy)]
pub struct Baseline {
    /// Newest acknowledged tick, if any.
    acked: Option<u32>,
    /// Acks older than this are ignored (they predate the client's join or its last reset).
    min_ack: u32,
    /// Newest tick sent to the client; acks beyond it are lies.
    last_sent: u32,
}

impl Baseline {
    /// A client that holds nothing and will first be sent a tick after `tick`.
    pub fn new(tick: u32) -> Self {
        Self {
            acked: None,
            min_ack: tick + 1,
            last_sent: 0,
        }
    }

    /// Takes an `Input.ack`: only a tick that was sent, that is not older than the newest
    /// trusted ack, and that is not from before the last reset.
    pub fn ack(&mut self, tick: u32) {
        if tick >= self.min_ack && tick <= self.last_sent && self.acked.is_none_or(|a| tick > a) {
            self.acked = Some(tick);
        }
    }

    /// The client lost its baseline: send a full snapshot next and trust only later acks.
    pub fn reset(&mut self, current_tick: u32) {
        self.acked = None;
        self.min_ack = current_tick + 1;
    }

    pub fn acked(&self) -> Option<u32> {
        self.acked
    }
}

/// Encodes snapshot bodies for one tick, once per distinct baseline.
#[derive(Debug, Default)]
pub struct BodyCache {
    tick: u32,
    bodies: Vec<(Option<u32>, Vec<u8>)>,
    /// Bodies encoded in the current tick (for metrics and tests).
    pub encoded: usize,
}

impl BodyCache {
    /// The frame for one client at the history's latest tick, delta against its acked
    /// baseline when the history still has it, else full.
    pub fn frame_for(
        &mut self,
        history: &SnapshotHistory,
        client: &mut Baseline,
        last_input_seq: u32,
    ) -> Option<Bytes> {
        let current = history.latest()?;
        if self.tick != current.tick {
            self.tick = current.tick;
            self.bodies.clear();
            self.encoded = 0;
        }
        let base = client.acked.and_then(|t| history.get(t));
        if client.acked.is_some() && base.is_none() {
            // The baseline fell out of the ring: send a full snapshot now, and trust only
            // acks of it or later (older ticks the client may already have discarded).
            client.reset(current.tick - 1);
        }
        let key = base.map(|b| b.tick);
        let at = match self.bodies.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                let mut bytes = Vec::with_capacity(64);
                encode_into(&SnapshotBody::diff(base, current), &mut bytes);
                self.bodies.push((key, bytes));
                self.encoded += 1;
                self.bodies.len() - 1
            }
        };
        client.last_sent = current.tick;
        Some(Bytes::from(snapshot_frame(
            last_input_seq,
            &self.bodies[at].1,
        )))
    }
}
