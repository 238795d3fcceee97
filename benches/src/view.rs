//! A client's store of snapshot worlds: it applies each snapshot body to the baseline it
//! names and keeps every world from the newest snapshot's baseline onwards, as PROTOCOL.md
//! asks of a client. Bots and the bandwidth report use it to ack what they really hold.

use std::collections::VecDeque;

use tickwire_protocol::WorldState;
use tickwire_protocol::delta::ApplyError;
use tickwire_protocol::messages::Snapshot;

#[derive(Debug, Default)]
pub struct WorldStore {
    /// Held worlds, ascending by tick.
    worlds: VecDeque<WorldState>,
    /// Newest input seq the server reported as applied.
    pub last_input_seq: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    /// The snapshot applied; this is its tick.
    Tick(u32),
    /// An older or repeated tick: ignored.
    Stale,
    /// The named baseline is not held: the client must ask for a full snapshot.
    MissingBaseline,
}

impl WorldStore {
    /// The newest tick held, or 0 (the protocol's "none") for an `Input.ack`.
    pub fn ack(&self) -> u32 {
        self.worlds.back().map_or(0, |w| w.tick)
    }

    pub fn latest(&self) -> Option<&WorldState> {
        self.worlds.back()
    }

    pub fn held(&self) -> usize {
        self.worlds.len()
    }

    fn get(&self, tick: u32) -> Option<&WorldState> {
        let i = self.worlds.binary_search_by_key(&tick, |w| w.tick).ok()?;
        self.worlds.get(i)
    }

    /// Applies one snapshot to the world it names.
    pub fn apply(&mut self, snap: &Snapshot) -> Result<Applied, ApplyError> {
        let body = &snap.body;
        if self.worlds.back().is_some_and(|w| w.tick >= body.tick) {
            return Ok(Applied::Stale);
        }
        let world = match body.baseline {
            None => body.apply(None)?,
            Some(t) => match self.get(t) {
                Some(base) => body.apply(Some(base))?,
                None => return Ok(Applied::MissingBaseline),
            },
        };
        self.last_input_seq = self.last_input_seq.max(snap.last_input_seq);
        // The server's later baselines are never older than this one (acks only move forward,
        // and a reset sends a full snapshot), so older worlds can go.
        let keep_from = body.baseline.unwrap_or(body.tick);
        while self.worlds.front().is_some_and(|w| w.tick < keep_from) {
            self.worlds.pop_front();
        }
        let tick = world.tick;
        self.worlds.push_back(world);
        Ok(Applied::Tick(tick))
    }

    /// Forgets every world (after asking for a full snapshot).
    pub fn clear(&mut self) {
        self.worlds.clear();
    }
}
