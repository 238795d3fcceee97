//! A client's store of snapshot worlds: it applies each snapshot body to the baseline it
//! names and keeps every world from the newest snapshot's baseline onwards, as PROTOCOL.md
//! asks of a client. Bots and the bandwidth report use it to ack what they really hold.

use std::collections::VecDeque;

use tickwire_protocol::delta::ApplyError;
use tickwire_protocol::messages::Snapshot;
use tickwire_protocol::{Layout, Schema, WorldState};

/// Most worlds held: more than the server's history (2 s at up to 60 Hz, plus one).
const MAX_HELD: usize = 128;

#[derive(Debug, Default)]
pub struct WorldStore {
    /// Held worlds, ascending by tick.
    worlds: VecDeque<WorldState>,
    /// Newest input seq the server reported as applied.
    pub last_input_seq: u32,
    /// The lobby's schema, laid out (from `Joined`).
    layout: Layout,
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
    /// A store for a lobby with this schema (from its `Joined`).
    pub fn new(schema: &Schema) -> Result<Self, tickwire_protocol::schema::SchemaError> {
        Ok(Self {
            layout: Layout::new(schema)?,
            ..Self::default()
        })
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

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
            None => body.apply(&self.layout, None)?,
            Some(t) => match self.get(t) {
                Some(base) => body.apply(&self.layout, Some(base))?,
                None => return Ok(Applied::MissingBaseline),
            },
        };
        self.last_input_seq = self.last_input_seq.max(snap.last_input_seq);
        // A delta's baseline is the newest ack the server had; later baselines are never
        // older (acks only move forward), so older worlds can go. A full snapshot says
        // nothing of the sort: acks of worlds held now may still be on their way, and the
        // next delta may name any of them, so keep them (up to the server's history length).
        if let Some(keep_from) = body.baseline {
            while self.worlds.front().is_some_and(|w| w.tick < keep_from) {
                self.worlds.pop_front();
            }
        }
        while self.worlds.len() >= MAX_HELD {
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

#[cfg(test)]
mod tests {
    use tickwire_protocol::schema::{ComponentSchema, FieldCodec, FieldSchema};
    use tickwire_protocol::{SnapshotBody, WorldState};

    use super::*;

    fn schema() -> Schema {
        Schema {
            game: "t".into(),
            components: vec![ComponentSchema {
                name: "P".into(),
                fields: vec![FieldSchema {
                    name: "x".into(),
                    codec: FieldCodec::Delta,
                }],
            }],
            input: vec![],
        }
    }

    fn world(tick: u32, x: i32) -> WorldState {
        WorldState {
            tick,
            ids: vec![1],
            presence: vec![1],
            values: vec![x],
            changed: vec![],
        }
    }

    fn snap(s: &WorldStore, base: Option<&WorldState>, cur: &WorldState) -> Snapshot {
        Snapshot {
            last_input_seq: 0,
            body: SnapshotBody::diff(s.layout(), base, cur),
        }
    }

    /// With a round trip of several ticks, fulls keep arriving after the client acked the
    /// first one; the delta the server then builds on that first one must still apply.
    #[test]
    fn worlds_acked_before_later_fulls_stay_usable() {
        let (w1, w2, w3, w4) = (world(1, 10), world(2, 20), world(3, 30), world(4, 40));
        let mut s = WorldStore::new(&schema()).expect("schema");
        assert_eq!(s.apply(&snap(&s, None, &w1)), Ok(Applied::Tick(1)));
        assert_eq!(s.ack(), 1);
        assert_eq!(s.apply(&snap(&s, None, &w2)), Ok(Applied::Tick(2)));
        assert_eq!(s.apply(&snap(&s, None, &w3)), Ok(Applied::Tick(3)));
        assert_eq!(s.apply(&snap(&s, Some(&w1), &w4)), Ok(Applied::Tick(4)));
        assert_eq!(s.latest(), Some(&w4));
        // The delta's baseline (1) is now the oldest tick worth holding.
        assert_eq!(s.held(), 4);
        let w5 = world(5, 50);
        assert_eq!(s.apply(&snap(&s, Some(&w3), &w5)), Ok(Applied::Tick(5)));
        assert_eq!(s.held(), 3);
        assert_eq!(
            s.apply(&snap(&s, Some(&w1), &world(6, 1))),
            Ok(Applied::MissingBaseline)
        );
        assert_eq!(s.apply(&snap(&s, None, &w5)), Ok(Applied::Stale));
    }
}
