//! Property test of delta snapshots against acknowledged baselines: random worlds evolving
//! over many ticks, clients with random ack patterns (delays, gaps, acks going backwards or
//! into the future, lost snapshots, baselines expiring, requests for a full snapshot). Every
//! snapshot a client receives applies to a world it holds and rebuilds the server's state
//! at that tick exactly.

use std::collections::BTreeMap;

use std::sync::LazyLock;

use glam::IVec2;
use proptest::prelude::*;
use tickwire_protocol::messages::ServerMsg;
use tickwire_protocol::schema::Replicate;
use tickwire_protocol::{Layout, Schema, WorldState, decode_server};
use tickwire_server::games::arena::{Orb, Score};
use tickwire_server::kit::mover::Body;
use tickwire_server::lobby::snapshot::{Baseline, BodyCache, SnapshotHistory};

/// The arena's components: players are Body + Score, orbs Body + Orb.
static LAYOUT: LazyLock<Layout> = LazyLock::new(|| {
    let schema = Schema {
        game: "arena".into(),
        components: vec![Body::schema(), Score::schema(), Orb::schema()],
        input: vec![],
    };
    Layout::new(&schema).expect("the arena's schema lays out")
});

/// One simulated entity.
#[derive(Debug, Clone, Copy)]
struct Thing {
    player: bool,
    pos: IVec2,
    vel: IVec2,
    score: i32,
}

/// What happens to the world in one tick.
#[derive(Debug, Clone)]
enum Change {
    Spawn {
        player: bool,
        x: i32,
        y: i32,
    },
    Despawn(usize),
    Move {
        who: usize,
        dx: i32,
        dy: i32,
    },
    Accelerate {
        who: usize,
        dvx: i32,
        dvy: i32,
    },
    Score(usize),
    /// Stays put this tick despite its velocity (the server had no input for it).
    Hold(usize),
}

/// What one client does in one tick.
#[derive(Debug, Clone, Copy)]
enum ClientStep {
    /// Receives the snapshot and acks the newest tick it holds.
    AckNewest,
    /// Receives it, acks nothing (its acks are delayed).
    Silent,
    /// Receives it, acks an older tick it holds (acks going backwards).
    AckOld(u8),
    /// Receives it, acks a tick the server never sent.
    AckFuture,
    /// Never receives this tick's snapshot (replaced in a slow outbox).
    Lost,
    /// Asks for a full snapshot.
    RequestFull,
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (any::<bool>(), -5000..5000i32, -5000..5000i32).prop_map(|(player, x, y)| Change::Spawn {
            player,
            x,
            y
        }),
        any::<usize>().prop_map(Change::Despawn),
        (any::<usize>(), -300..300i32, -300..300i32).prop_map(|(who, dx, dy)| Change::Move {
            who,
            dx,
            dy
        }),
        (any::<usize>(), -40..40i32, -40..40i32).prop_map(|(who, dvx, dvy)| Change::Accelerate {
            who,
            dvx,
            dvy
        }),
        any::<usize>().prop_map(Change::Score),
        any::<usize>().prop_map(Change::Hold),
    ]
}

fn client_step() -> impl Strategy<Value = ClientStep> {
    prop_oneof![
        6 => Just(ClientStep::AckNewest),
        2 => Just(ClientStep::Silent),
        1 => any::<u8>().prop_map(ClientStep::AckOld),
        1 => Just(ClientStep::AckFuture),
        2 => Just(ClientStep::Lost),
        1 => Just(ClientStep::RequestFull),
    ]
}

/// The server's world between ticks: entities by id, plus the id allocator.
#[derive(Default)]
struct Sim {
    entities: BTreeMap<u32, Thing>,
    next_id: u32,
}

impl Sim {
    fn apply(&mut self, change: &Change) {
        let ids: Vec<u32> = self.entities.keys().copied().collect();
        let pick = |i: usize| (!ids.is_empty()).then(|| ids[i % ids.len()]);
        match *change {
            Change::Spawn { player, x, y } => {
                self.next_id += 1;
                let state = Thing {
                    player,
                    pos: IVec2::new(x, y),
                    vel: IVec2::ZERO,
                    score: 0,
                };
                self.entities.insert(self.next_id, state);
            }
            Change::Despawn(i) => {
                if let Some(id) = pick(i) {
                    self.entities.remove(&id);
                }
            }
            Change::Move { who, dx, dy } => {
                if let Some(e) = pick(who).and_then(|id| self.entities.get_mut(&id)) {
                    e.pos += IVec2::new(dx, dy);
                }
            }
            Change::Accelerate { who, dvx, dvy } => {
                if let Some(e) = pick(who).and_then(|id| self.entities.get_mut(&id)) {
                    e.vel += IVec2::new(dvx, dvy);
                }
            }
            Change::Hold(who) => {
                if let Some(e) = pick(who).and_then(|id| self.entities.get_mut(&id)) {
                    e.pos -= e.vel;
                }
            }
            Change::Score(who) => {
                if let Some(e) = pick(who).and_then(|id| self.entities.get_mut(&id)) {
                    e.score += 1;
                }
            }
        }
    }

    /// Moving entities keep moving, as in the game.
    fn coast(&mut self) {
        for e in self.entities.values_mut() {
            e.pos += e.vel;
        }
    }

    fn state(&self, tick: u32) -> WorldState {
        let l = &*LAYOUT;
        let mut w = WorldState {
            tick,
            ..Default::default()
        };
        for (id, t) in &self.entities {
            let at = w.push(l.stride, *id);
            w.set(l, at, 0, &[t.pos.x, t.pos.y, t.vel.x, t.vel.y]);
            if t.player {
                w.set(l, at, 1, &[t.score]);
            } else {
                w.set(l, at, 2, &[]);
            }
        }
        w
    }
}

/// A client that keeps every world from the baseline of its newest snapshot onwards.
#[derive(Default)]
struct Holder {
    worlds: BTreeMap<u32, WorldState>,
    applied: usize,
    full: usize,
}

impl Holder {
    fn receive(&mut self, frame: &[u8], truth: &WorldState) -> Result<(), TestCaseError> {
        let Ok(ServerMsg::Snapshot(snapshot)) = decode_server(frame) else {
            return Err(TestCaseError::fail("a snapshot frame decodes"));
        };
        let body = snapshot.body;
        let base = match body.baseline {
            Some(t) => Some(
                self.worlds
                    .get(&t)
                    .ok_or_else(|| TestCaseError::fail(format!("baseline {t} not held")))?,
            ),
            None => None,
        };
        let world = body
            .apply(&LAYOUT, base)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&world, truth);
        // Keep every world from the newest delta's baseline on. A full snapshot releases
        // nothing: acks still in flight may name older worlds.
        if let Some(keep_from) = body.baseline {
            self.worlds.retain(|t, _| *t >= keep_from);
        }
        self.worlds.insert(world.tick, world);
        self.applied += 1;
        self.full += usize::from(body.baseline.is_none());
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_client_rebuilds_the_server_state_exactly(
        ticks in proptest::collection::vec(
            (
                proptest::collection::vec(change(), 0..6),
                proptest::collection::vec((client_step(), 0u32..5), 4),
            ),
            1..160,
        ),
        ring in 3usize..12,
    ) {
        let mut sim = Sim::default();
        let mut history = SnapshotHistory::new(ring);
        let mut cache = BodyCache::default();
        history.push(sim.state(0));
        let mut clients: Vec<(Baseline, Holder)> = (0..4).map(|_| (Baseline::new(0), Holder::default())).collect();
        // Whether each client's previous snapshot was replaced unsent (the writer never took it).
        let mut replaced = [false; 4];
        // Acks in flight per client, in order (the socket keeps them in order): (arrives at, tick).
        let mut in_flight: Vec<std::collections::VecDeque<(u32, u32)>> = vec![Default::default(); 4];
        for (tick, (changes, steps)) in (1u32..).zip(&ticks) {
            sim.coast();
            for c in changes {
                sim.apply(c);
            }
            let truth = sim.state(tick);
            history.push(truth.clone());
            for ((((baseline, holder), (step, delay)), flight), replaced) in clients.iter_mut().zip(steps).zip(&mut in_flight).zip(&mut replaced) {
                while flight.front().is_some_and(|(at, _)| *at <= tick) {
                    if let Some((_, ack)) = flight.pop_front() {
                        baseline.ack(ack);
                    }
                }
                let frame = cache.frame_for(&LAYOUT, &history, baseline, tick, || !*replaced).expect("history has a latest tick");
                *replaced = matches!(step, ClientStep::Lost);
                match step {
                    ClientStep::Lost => continue,
                    ClientStep::RequestFull => baseline.reset(tick),
                    _ => {}
                }
                holder.receive(&frame, &truth)?;
                let newest = holder.worlds.keys().next_back().copied();
                let ack = match step {
                    ClientStep::AckNewest => newest,
                    ClientStep::AckOld(back) => holder.worlds.keys().rev().nth(usize::from(*back) % holder.worlds.len()).copied(),
                    ClientStep::AckFuture => Some(tick + 1000),
                    _ => None,
                };
                if let Some(ack) = ack {
                    let arrives = flight.back().map_or(0, |(at, _)| *at).max(tick + delay);
                    flight.push_back((arrives, ack));
                }
            }
        }
    }
}

/// With every client acking the newest tick, only the first snapshot is full.
#[test]
fn steady_acks_get_deltas_after_the_first_snapshot() {
    let mut sim = Sim::default();
    let mut history = SnapshotHistory::new(8);
    let mut cache = BodyCache::default();
    history.push(sim.state(0));
    let (mut baseline, mut holder) = (Baseline::new(0), Holder::default());
    for tick in 1..100 {
        sim.apply(&Change::Spawn {
            player: tick % 2 == 0,
            x: tick as i32,
            y: 0,
        });
        sim.apply(&Change::Accelerate {
            who: tick as usize,
            dvx: 1,
            dvy: -1,
        });
        sim.coast();
        let truth = sim.state(tick);
        history.push(truth.clone());
        let frame = cache
            .frame_for(&LAYOUT, &history, &mut baseline, tick, || true)
            .expect("frame");
        holder.receive(&frame, &truth).expect("applies");
        baseline.ack(tick);
    }
    assert_eq!((holder.applied, holder.full), (99, 1));
}

/// Runs one client for `ticks` ticks of a world where something moves every tick: its acks
/// reach the server `rtt` ticks after the snapshot was built, and `taken(tick)` says whether
/// the writer took the snapshot of that tick before the next was offered (else the next one
/// replaces it and the client never sees it). Returns the ticks sent as full snapshots.
fn fulls_sent(ring: usize, ticks: u32, rtt: u32, taken: impl Fn(u32) -> bool) -> Vec<u32> {
    let mut sim = Sim::default();
    sim.apply(&Change::Spawn {
        player: true,
        x: 0,
        y: 0,
    });
    sim.apply(&Change::Accelerate {
        who: 0,
        dvx: 3,
        dvy: 1,
    });
    let mut history = SnapshotHistory::new(ring);
    let mut cache = BodyCache::default();
    history.push(sim.state(0));
    let (mut baseline, mut holder) = (Baseline::new(0), Holder::default());
    let mut acks = std::collections::VecDeque::new();
    let mut fulls = Vec::new();
    for tick in 1..=ticks {
        sim.coast();
        let truth = sim.state(tick);
        history.push(truth.clone());
        while acks.front().is_some_and(|(at, _)| *at <= tick) {
            let (_, ack) = acks.pop_front().expect("front");
            baseline.ack(ack);
        }
        let frame = cache
            .frame_for(&LAYOUT, &history, &mut baseline, tick, || taken(tick - 1))
            .expect("frame");
        let Ok(ServerMsg::Snapshot(snapshot)) = decode_server(&frame) else {
            panic!("a snapshot frame");
        };
        if snapshot.body.baseline.is_none() {
            fulls.push(tick);
        }
        if taken(tick) {
            holder.receive(&frame, &truth).expect("applies");
            let newest = *holder.worlds.keys().next_back().expect("holds a world");
            acks.push_back((tick + rtt, newest));
        }
    }
    fulls
}

/// A client whose acks take a round trip gets one full snapshot on joining, then deltas
/// built on it before it is acknowledged, not a full one every tick until the first ack.
#[test]
fn one_full_snapshot_per_join_whatever_the_round_trip() {
    for rtt in [1, 3, 6] {
        assert_eq!(
            fulls_sent(16, 40, rtt, |_| true),
            vec![1],
            "round trip of {rtt} ticks"
        );
    }
    // Acks that never come: a new full only when the last one leaves the history.
    assert_eq!(fulls_sent(8, 20, 1000, |_| true), vec![1, 9, 17]);
}

/// A full snapshot the slow writer never took was replaced by the next snapshot, so the
/// next one is full again, not a delta on a world the client never got.
#[test]
fn a_full_snapshot_replaced_unsent_is_sent_again() {
    assert_eq!(fulls_sent(16, 10, 2, |tick| tick > 3), vec![1, 2, 3, 4]);
}
