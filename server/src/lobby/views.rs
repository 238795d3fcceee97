//! Per-client views: what each client holds when a game turns on interest management or a
//! bandwidth budget, so that clients no longer all hold the server's world.
//!
//! Each tick, a client's view is built from the server's world and the view the client
//! acknowledged (its baseline): the entities it receives ([`Placements::sees`], with
//! hysteresis), each either at the server's state, or, when the budget left it out, at the
//! state the client rebuilds from its baseline with nothing sent (the baseline's row, its
//! predicted fields advanced: [`unsent_row`]); an entity that entered its interest but did
//! not fit waits unspawned. The body is the delta from the baseline view to the new view,
//! written by the engine's one encoder, and the new view is kept until the client
//! acknowledges a later one: the server always knows exactly what each client rebuilt.
//!
//! The budget: entities with something to send compete by accumulated priority (the
//! client's own entity first). Each tick an entity waits, its priority grows by its weight
//! times its nearness ([`Placements::gain`]); sent, it falls to 0; so nothing starves. What
//! does not fit stays at the client's baseline.
//!
//! Bodies stay shared where they can: two clients whose baseline views and new views are
//! the server's world filtered to the same entities, at the same ticks, get one body.

use std::collections::VecDeque;

use bevy_ecs::entity::Entity;
use bytes::Bytes;
use glam::IVec2;
use tickwire_protocol::codec::snapshot_frame;
use tickwire_protocol::delta::{record_cost, unsent_row};
use tickwire_protocol::world::MOVES;
use tickwire_protocol::{DeltaEncoder, Layout, NetId, WorldState};

use super::interest::Placements;
use super::snapshot::{Baseline, SnapshotHistory};

/// What a client's view tracks between ticks of an entity it receives (for the
/// hysteresis, the priority and the staleness).
#[derive(Debug, Clone, Copy)]
struct Tracked {
    id: NetId,
    priority: f32,
    /// The first tick of its current run of ticks left stale (or unspawned) by the budget.
    stale_since: Option<u32>,
}

/// One view sent to a client.
#[derive(Debug)]
struct Sent {
    world: WorldState,
    /// When the view is the server's world filtered to its entities: a hash of their ids,
    /// which names it among the views of its tick (for sharing bodies).
    key: Option<u64>,
}

/// One client's views: sent and not yet superseded by an acknowledged later one.
#[derive(Debug, Default)]
pub struct ClientView {
    tracked: Vec<Tracked>,
    next: Vec<Tracked>,
    sent: VecDeque<Sent>,
    spare: Vec<WorldState>,
    centre: IVec2,
}

impl ClientView {
    fn get(&self, tick: u32) -> Option<&Sent> {
        let at = self
            .sent
            .binary_search_by_key(&tick, |s| s.world.tick)
            .ok()?;
        self.sent.get(at)
    }

    /// Forgets the views older than `keep` (all of them for `None`).
    fn prune(&mut self, keep: Option<u32>) {
        while let Some(front) = self.sent.front() {
            if keep.is_some_and(|k| front.world.tick >= k) {
                break;
            }
            if let Some(old) = self.sent.pop_front()
                && self.spare.len() < 2
            {
                self.spare.push(old.world);
            }
        }
    }

    /// How many views are kept (for tests of the memory bound).
    pub fn views_held(&self) -> usize {
        self.sent.len()
    }

    /// The view sent at `tick`, while it is kept.
    pub fn world(&self, tick: u32) -> Option<&WorldState> {
        self.get(tick).map(|s| &s.world)
    }
}

/// One client, as [`Views::frame_for`] needs it.
pub struct Viewer<'a> {
    pub view: &'a mut ClientView,
    pub baseline: &'a mut Baseline,
    /// The client's own entity, and its wire id.
    pub entity: Entity,
    pub id: NetId,
}

/// What becomes of one entity the client receives, in its new view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// In the baseline, and rebuilt to the server's state with nothing sent.
    Settled,
    /// Sent: at the server's state.
    Sent,
    /// Left out by the budget: at its baseline state, or not spawned yet.
    Waiting,
}

/// An entity the client receives this tick.
#[derive(Debug, Clone, Copy)]
struct Seen {
    /// Its row in the server's world, and in the baseline view if it is there.
    row: usize,
    base: Option<usize>,
    fate: Fate,
}

/// An entity with something to send, competing for the budget.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    /// Index in the tick's [`Seen`] list.
    at: usize,
    cost: usize,
    priority: f32,
}

/// A tick's bodies by (baseline tick, baseline view key, new view key).
type Key = (Option<u32>, u64, u64);

/// Counters of the views built, for metrics, benches and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ViewCounts {
    /// Views built (one per client per tick).
    pub views: u64,
    /// Bodies encoded (the rest were shared).
    pub bodies: u64,
    /// Entities sent to some client, summed over views.
    pub entities: u64,
    /// Entities a client received stale or not yet spawned because of the budget, summed
    /// over views.
    pub stale: u64,
    /// The most ticks an entity has waited.
    pub max_stale_ticks: u32,
}

/// The engine's side of per-client views: the rules and the scratch space they share.
#[derive(Debug)]
pub struct Views {
    pub placements: Placements,
    /// Bytes of spawns and updates a client is sent per tick at most.
    budget: Option<usize>,
    encoder: DeltaEncoder,
    tick: u32,
    bodies: Vec<(Key, Vec<u8>)>,
    /// Bodies encoded at the latest tick.
    pub encoded: usize,
    pub counts: ViewCounts,
    rows: Vec<u32>,
    seen: Vec<Seen>,
    candidates: Vec<Candidate>,
    values: Vec<i32>,
}

/// A hash of a view's entity ids (FxHash's mix), naming the view among its tick's views.
fn ids_key(ids: &[NetId]) -> u64 {
    ids.iter().fold(ids.len() as u64, |h, id| {
        (h.rotate_left(5) ^ u64::from(*id)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
    })
}

impl Views {
    pub fn new(placements: Placements, budget: Option<usize>) -> Self {
        Self {
            placements,
            budget,
            encoder: DeltaEncoder::default(),
            tick: 0,
            bodies: Vec::new(),
            encoded: 0,
            counts: ViewCounts::default(),
            rows: Vec::new(),
            seen: Vec::new(),
            candidates: Vec::new(),
            values: Vec::new(),
        }
    }

    /// The frame for one client at the history's latest tick, from its acknowledged view to
    /// its new one. `taken` as in [`super::snapshot::BodyCache::frame_for`].
    pub fn frame_for(
        &mut self,
        layout: &Layout,
        history: &SnapshotHistory,
        viewer: Viewer<'_>,
        last_input_seq: u32,
        taken: impl FnOnce() -> bool,
    ) -> Option<Bytes> {
        let Viewer {
            view: client,
            baseline,
            entity: viewer,
            id: viewer_id,
        } = viewer;
        let cur = history.latest()?;
        if self.tick != cur.tick {
            self.tick = cur.tick;
            self.bodies.clear();
            self.encoded = 0;
        }
        if let Some(p) = cur.index(viewer_id).and_then(|i| self.placements.point(i)) {
            client.centre = p;
        }
        let base_tick = baseline.choose(|t| client.get(t).is_some(), cur.tick, taken);
        client.prune(base_tick);
        let ClientView {
            tracked,
            next,
            sent,
            spare,
            centre,
        } = client;
        let centre = *centre;
        let base = base_tick.and_then(|t| sent.front().filter(|s| s.world.tick == t));
        let empty = WorldState::default();
        let b = base.map_or(&empty, |s| &s.world);
        let age = base.map_or(0, |s| cur.tick.wrapping_sub(s.world.tick));
        let stride = layout.stride;

        // What each entity the client may receive needs: nothing (settled), or to be sent,
        // at a cost. Only the entities near the client are looked at.
        self.placements.gather(centre, &mut self.rows);
        self.seen.clear();
        self.candidates.clear();
        next.clear();
        let (mut t, mut i) = (0, 0);
        for &j in &self.rows {
            let j = j as usize;
            let id = cur.ids[j];
            while tracked.get(t).is_some_and(|k| k.id < id) {
                t += 1;
            }
            let known = tracked.get(t).filter(|k| k.id == id);
            while b.ids.get(i).is_some_and(|k| *k < id) {
                i += 1;
            }
            let in_base = b.ids.get(i).is_some_and(|k| *k == id);
            if !self.placements.sees(j, viewer, centre, known.is_some()) {
                continue;
            }
            let waited = known.map_or(0.0, |k| k.priority);
            let cost = match self.budget {
                // Without a budget every row a view holds is the server's at its tick, so
                // the server's own record of what changed holds for the view too.
                None => 0,
                Some(_) => {
                    let (cp, crow) = (cur.presence[j], cur.row(stride, j));
                    let from = in_base.then(|| (b.row(stride, i), b.presence[i]));
                    record_cost(layout, id, from, crow, cp, age, &mut self.values)
                }
            };
            let fate = if self.budget.is_none() {
                Fate::Sent
            } else if cost == 0 {
                Fate::Settled
            } else {
                let priority = if id == viewer_id {
                    f32::INFINITY
                } else {
                    waited + self.placements.gain(j, centre)
                };
                self.candidates.push(Candidate {
                    at: self.seen.len(),
                    cost,
                    priority,
                });
                Fate::Sent
            };
            self.seen.push(Seen {
                row: j,
                base: in_base.then_some(i),
                fate,
            });
            next.push(Tracked {
                id,
                priority: waited,
                stale_since: known.and_then(|k| k.stale_since),
            });
        }

        // The budget: the highest priorities that fit (always at least one).
        if let Some(budget) = self.budget {
            let total: usize = self.candidates.iter().map(|c| c.cost).sum();
            if total > budget {
                self.candidates
                    .sort_unstable_by(|a, b| b.priority.total_cmp(&a.priority));
                let mut left = budget;
                for (n, c) in self.candidates.iter().enumerate() {
                    if c.cost <= left || n == 0 {
                        left = left.saturating_sub(c.cost);
                    } else {
                        self.seen[c.at].fate = Fate::Waiting;
                        next[c.at].priority = c.priority;
                    }
                }
            }
        }

        // The new view.
        let mut view = spare.pop().unwrap_or_default();
        view.clear(cur.tick);
        let mut exact = true;
        for (s, k) in self.seen.iter().zip(next.iter_mut()) {
            let (j, id) = (s.row, cur.ids[s.row]);
            match (s.fate, s.base) {
                (Fate::Settled | Fate::Sent, _) => {
                    k.priority = 0.0;
                    k.stale_since = None;
                    let at = view.push(stride, id);
                    view.presence[at] = cur.presence[j];
                    view.values[at * stride..(at + 1) * stride].copy_from_slice(cur.row(stride, j));
                    view.changed.push(match (s.fate, base_tick) {
                        _ if self.budget.is_none() => {
                            cur.changed.get(j).copied().unwrap_or(cur.tick | MOVES)
                        }
                        _ if layout.moves(cur.row(stride, j)) => cur.tick | MOVES,
                        (Fate::Settled, Some(bt)) => bt,
                        _ => cur.tick,
                    });
                }
                (Fate::Waiting, base_at) => {
                    exact = false;
                    let since = *k.stale_since.get_or_insert(cur.tick);
                    self.counts.stale += 1;
                    self.counts.max_stale_ticks =
                        self.counts.max_stale_ticks.max(cur.tick - since + 1);
                    let Some(i) = base_at else {
                        continue;
                    };
                    let at = view.push(stride, id);
                    view.presence[at] = b.presence[i];
                    let row = &mut view.values[at * stride..(at + 1) * stride];
                    unsent_row(layout, b.row(stride, i), age, row);
                    let moves = layout.moves(row);
                    // The encoder finds nothing to send for it: the row is what the
                    // client rebuilds.
                    view.changed.push(match base_tick {
                        Some(bt) if !moves => bt,
                        _ => cur.tick | MOVES,
                    });
                }
            }
        }
        std::mem::swap(tracked, next);
        self.counts.views += 1;
        self.counts.entities += view.len() as u64;

        let key = exact.then(|| ids_key(&view.ids));
        let shared = match (base.map(|s| s.key), key) {
            (None, Some(k)) => Some((None, 0, k)),
            (Some(Some(bk)), Some(k)) => Some((base_tick, bk, k)),
            _ => None,
        };
        let found = shared.and_then(|s| self.bodies.iter().position(|(k, _)| *k == s));
        let frame = match found {
            Some(at) => snapshot_frame(last_input_seq, &self.bodies[at].1),
            None => {
                let mut bytes = Vec::with_capacity(64);
                self.encoder
                    .encode(layout, base.map(|s| &s.world), &view, &mut bytes);
                self.encoded += 1;
                self.counts.bodies += 1;
                let frame = snapshot_frame(last_input_seq, &bytes);
                if let Some(s) = shared {
                    self.bodies.push((s, bytes));
                }
                frame
            }
        };
        sent.push_back(Sent { world: view, key });
        if sent.len() > history.capacity()
            && let Some(old) = sent.pop_front()
        {
            spare.push(old.world);
        }
        baseline.sent(cur.tick);
        Some(Bytes::from(frame))
    }
}
