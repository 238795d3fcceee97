//! Snapshot history and per-client baselines: which world each client holds, and the
//! encoded snapshot for it, with one body encoded per distinct baseline per tick.

use std::collections::VecDeque;

use bytes::Bytes;
use tickwire_protocol::codec::snapshot_frame;
use tickwire_protocol::{DeltaEncoder, Layout, WorldState};

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

    /// Adds the newest tick; returns the oldest when the ring was full, so its allocation
    /// can hold a later tick.
    pub fn push(&mut self, state: WorldState) -> Option<WorldState> {
        debug_assert!(
            self.latest().is_none_or(|l| l.tick + 1 == state.tick),
            "ticks must be consecutive"
        );
        let evicted = if self.states.len() == self.capacity {
            self.states.pop_front()
        } else {
            None
        };
        self.states.push_back(state);
        evicted
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
    /// The full snapshot sent while nothing is acknowledged, until an ack or a reset.
    full: Option<SentFull>,
}

/// A full snapshot on its way to a client that has acknowledged nothing yet.
#[derive(Debug, Clone, Copy)]
struct SentFull {
    tick: u32,
    /// The socket writer took it, so it reaches the client before any later snapshot and
    /// later deltas may build on it.
    taken: bool,
}

impl Baseline {
    /// A client that holds nothing and will first be sent a tick after `tick`.
    pub fn new(tick: u32) -> Self {
        Self {
            acked: None,
            min_ack: tick + 1,
            last_sent: 0,
            full: None,
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
        self.full = None;
        self.min_ack = current_tick + 1;
    }

    pub fn acked(&self) -> Option<u32> {
        self.acked
    }

    /// The tick the next delta builds on: the newest acknowledged one while it is still
    /// held (`held(tick)`: the history, or the client's own views, has it); with nothing
    /// acknowledged, the full snapshot last sent once the writer has taken it (asking
    /// `taken` whether the snapshot last offered was); else none, and the snapshot about to
    /// be sent at `current` is a full one. Building on an unacknowledged full spares a
    /// client one full snapshot per tick for a round trip after it joins, resumes or falls
    /// behind; the socket delivers in order.
    pub fn choose(
        &mut self,
        held: impl Fn(u32) -> bool,
        current: u32,
        taken: impl FnOnce() -> bool,
    ) -> Option<u32> {
        let base = self.base(held, current, taken);
        if base.is_none() {
            self.full = Some(SentFull {
                tick: current,
                taken: false,
            });
        }
        base
    }

    /// The snapshot of `tick` was queued for the client.
    pub fn sent(&mut self, tick: u32) {
        self.last_sent = tick;
    }

    fn base(
        &mut self,
        held: impl Fn(u32) -> bool,
        current: u32,
        taken: impl FnOnce() -> bool,
    ) -> Option<u32> {
        if let Some(acked) = self.acked {
            if held(acked) {
                return Some(acked);
            }
            // The baseline fell out of the ring: send a full snapshot now, and trust only
            // acks of it or later (older ticks the client may already have discarded).
            self.reset(current - 1);
        }
        let full = self.full.as_mut()?;
        if !held(full.tick) {
            return None;
        }
        full.taken = full.taken || taken();
        if !full.taken {
            return None;
        }
        // A client given a delta on this full keeps no older world, so older acks in
        // flight name worlds it may have dropped.
        self.min_ack = self.min_ack.max(full.tick);
        Some(full.tick)
    }
}

#[derive(Debug, Default)]
pub struct BodyCache {
    tick: u32,
    bodies: Vec<(Option<u32>, Vec<u8>)>,
    encoder: DeltaEncoder,
    /// Bodies encoded in the current tick (for metrics and tests).
    pub encoded: usize,
}

impl BodyCache {
    /// The frame for one client at the history's latest tick: a delta against the tick
    /// [`Baseline`] names, else full. `taken` says whether the writer has taken the last
    /// snapshot offered to this client; it is asked only while a full one is unacknowledged.
    pub fn frame_for(
        &mut self,
        layout: &Layout,
        history: &SnapshotHistory,
        client: &mut Baseline,
        last_input_seq: u32,
        taken: impl FnOnce() -> bool,
    ) -> Option<Bytes> {
        let current = history.latest()?;
        if self.tick != current.tick {
            self.tick = current.tick;
            self.bodies.clear();
            self.encoded = 0;
        }
        let base = client
            .choose(|t| history.get(t).is_some(), current.tick, taken)
            .and_then(|t| history.get(t));
        let key = base.map(|b| b.tick);
        let at = match self.bodies.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                let mut bytes = Vec::with_capacity(64);
                self.encoder.encode(layout, base, current, &mut bytes);
                self.bodies.push((key, bytes));
                self.encoded += 1;
                self.bodies.len() - 1
            }
        };
        client.sent(current.tick);
        Some(Bytes::from(snapshot_frame(
            last_input_seq,
            &self.bodies[at].1,
        )))
    }
}
