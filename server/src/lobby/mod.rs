//! The lobby core, sans-IO: one bevy_ecs world stepped at a fixed tick, its members, and the
//! frames to send to each. It takes joins, leaves, inputs and steps; it returns encoded
//! frames. No sockets, no clock: the runner (`runner.rs`) does the I/O and timing.

pub mod clock;
pub mod runner;
pub mod sim;
pub mod snapshot;
pub mod threads;

use std::sync::Arc;

use bevy_ecs::prelude::*;
use bytes::Bytes;
use glam::IVec2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tickwire_protocol::codec::encode;
use tickwire_protocol::messages::{ErrorCode, Joined, LobbyInfo, PlayerInfo, ServerMsg};
use tickwire_protocol::{EntityKind, EntityState, Input, MoveParams, NetId};

use crate::game::GameMap;
use sim::{InputQueue, Orb, Position, Replicated, Score, Velocity};
use snapshot::{Baseline, BodyCache, SnapshotHistory};

pub type ClientId = u32;

/// What became of a request to resume a seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    Resumed(NetId),
    /// The seat's current connection is still sending: not handed over (yet).
    InUse,
    /// No such seat (never held, given up, or left).
    Refused,
}

/// Seconds of history kept for delta baselines.
const HISTORY_SECONDS: usize = 2;

#[derive(Debug, Clone)]
pub struct LobbySettings {
    pub id: u32,
    pub name: String,
    pub code: String,
    pub private: bool,
    pub max_players: u8,
    pub map: Arc<GameMap>,
    pub tick_rate: u16,
    pub seed: u64,
    /// Ticks a disconnected player's seat is held for a reconnect.
    pub reconnect_grace_ticks: u32,
}

/// How a frame is delivered: control frames are never dropped; a roster or a snapshot
/// replaces the previous undelivered one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Control,
    Roster,
    Snapshot,
}

#[derive(Debug, Clone)]
pub struct Envelope {
    pub client: ClientId,
    pub delivery: Delivery,
    pub frame: Bytes,
}

#[derive(Debug)]
struct Member {
    client: ClientId,
    name: String,
    entity: Entity,
    net_id: NetId,
    baseline: Baseline,
    /// While the connection is down: the tick at which the seat is given up.
    away_until: Option<u32>,
    /// The last tick an input arrived from this client.
    last_heard: u32,
}

type CaptureQuery = QueryState<(
    &'static Replicated,
    &'static Position,
    Option<&'static Velocity>,
    Option<&'static Score>,
)>;

pub struct Lobby {
    settings: LobbySettings,
    world: World,
    schedule: Schedule,
    capture: CaptureQuery,
    move_params: MoveParams,
    tick: u32,
    history: SnapshotHistory,
    /// The entity list of the tick that last left the history, reused for the next capture
    /// (a fresh one each tick costs an allocation, and page faults, of the whole world).
    spare_entities: Vec<(NetId, EntityState)>,
    bodies: BodyCache,
    /// In join order: the first is the host.
    members: Vec<Member>,
    spawn_cursor: usize,
    outbox: Vec<Envelope>,
}

impl Lobby {
    pub fn new(settings: LobbySettings) -> Self {
        let map = settings.map.clone();
        let move_params = map.move_params(settings.tick_rate);
        let mut world = World::new();
        let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
        let mut grid = sim::OrbGrid::new(map.arena.size);
        let mut ids = sim::NetIds::default();
        for _ in 0..map.orbs {
            let pos = sim::free_orb_spot(&map, &mut rng);
            let id = ids.allocate();
            let e = world
                .spawn((
                    Replicated {
                        id,
                        kind: EntityKind::Orb,
                        owner: 0,
                    },
                    Position(pos),
                    Orb,
                ))
                .id();
            grid.insert(e, pos);
        }
        world.insert_resource(grid);
        world.insert_resource(ids);
        world.insert_resource(sim::LobbyRng(rng));
        world.insert_resource(sim::Map(map));
        world.insert_resource(sim::Movement(move_params));
        world.init_resource::<sim::SkippedTicks>();
        let capture = world.query();
        let history = SnapshotHistory::new(HISTORY_SECONDS * usize::from(settings.tick_rate) + 1);
        let mut lobby = Self {
            settings,
            world,
            schedule: sim::tick_schedule(),
            capture,
            move_params,
            tick: 0,
            history,
            spare_entities: Vec::new(),
            bodies: BodyCache::default(),
            members: Vec::new(),
            spawn_cursor: 0,
            outbox: Vec::new(),
        };
        lobby.record();
        lobby
    }

    pub fn settings(&self) -> &LobbySettings {
        &self.settings
    }

    pub fn tick(&self) -> u32 {
        self.tick
    }

    pub fn player_count(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn host(&self) -> Option<ClientId> {
        self.members.first().map(|m| m.client)
    }

    /// The tick's schedule, for games that extend the simulation with their own systems.
    pub fn schedule_mut(&mut self) -> &mut Schedule {
        &mut self.schedule
    }

    pub fn history(&self) -> &SnapshotHistory {
        &self.history
    }

    /// Bodies encoded for the latest tick (one per distinct baseline).
    pub fn bodies_encoded(&self) -> usize {
        self.bodies.encoded
    }

    pub fn info(&self) -> LobbyInfo {
        let s = &self.settings;
        LobbyInfo {
            id: s.id,
            name: s.name.clone(),
            map: s.map.name.clone(),
            players: self.members.len() as u8,
            max_players: s.max_players,
        }
    }

    /// The frames produced since the last call, in order.
    pub fn drain_outbox(&mut self) -> std::vec::Drain<'_, Envelope> {
        self.outbox.drain(..)
    }

    fn send(&mut self, client: ClientId, msg: &ServerMsg) {
        self.outbox.push(Envelope {
            client,
            delivery: Delivery::Control,
            frame: Bytes::from(encode(msg)),
        });
    }

    fn broadcast(&mut self, msg: &ServerMsg, delivery: Delivery) {
        let frame = Bytes::from(encode(msg));
        for m in self.members.iter().filter(|m| m.away_until.is_none()) {
            self.outbox.push(Envelope {
                client: m.client,
                delivery,
                frame: frame.clone(),
            });
        }
    }

    fn member(&mut self, client: ClientId) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.client == client)
    }

    /// Seats a client: spawns its player, sends it `Joined`, and everyone the new roster.
    pub fn join(&mut self, client: ClientId, name: &str) -> Result<NetId, ErrorCode> {
        if self.members.len() >= usize::from(self.settings.max_players) {
            return Err(ErrorCode::LobbyFull);
        }
        self.join_uncapped(client, name)
    }

    /// Seats a client like [`Lobby::join`] but without the `max_players` limit (a `u8`, so
    /// at most 255): for benches and tools that drive the core with more players than a
    /// lobby on the wire can have. No network path calls it.
    pub fn join_uncapped(&mut self, client: ClientId, name: &str) -> Result<NetId, ErrorCode> {
        if self.members.iter().any(|m| m.client == client) {
            return Err(ErrorCode::AlreadyInLobby);
        }
        let map = &self.settings.map;
        let spawn = map.spawns[self.spawn_cursor % map.spawns.len()];
        self.spawn_cursor += 1;
        let net_id = self.world.resource_mut::<sim::NetIds>().allocate();
        let entity = self
            .world
            .spawn((
                Replicated {
                    id: net_id,
                    kind: EntityKind::Player,
                    owner: client,
                },
                Position(spawn),
                Velocity(IVec2::ZERO),
                Score(0),
                InputQueue::default(),
            ))
            .id();
        let baseline = Baseline::new(self.tick);
        self.members.push(Member {
            client,
            name: name.to_owned(),
            entity,
            net_id,
            baseline,
            away_until: None,
            last_heard: self.tick,
        });
        self.send_joined(client, net_id);
        self.broadcast_roster();
        Ok(net_id)
    }

    fn send_joined(&mut self, client: ClientId, net_id: NetId) {
        let joined = Joined {
            lobby: self.info(),
            code: self.settings.code.clone(),
            private: self.settings.private,
            entity: net_id,
            tick: self.tick,
            map: self.settings.map.data(),
            movement: self.move_params,
        };
        self.send(client, &ServerMsg::Joined(Box::new(joined)));
    }

    /// The client's connection dropped: its player stays, idle, and its seat is held for
    /// `reconnect_grace_ticks`; then it leaves.
    pub fn disconnect(&mut self, client: ClientId) {
        let until = self.tick + self.settings.reconnect_grace_ticks;
        let Some(m) = self.member(client) else { return };
        m.away_until = Some(until);
        let entity = m.entity;
        if let Some(mut q) = self.world.get_mut::<InputQueue>(entity) {
            q.pending.clear();
        }
        self.broadcast_roster();
    }

    /// A reconnected client takes back its seat: same entity, same score; it is sent
    /// `Joined` again and then a full snapshot. A seat whose old connection is still open
    /// (half-open: the server has not noticed the drop) is taken over once that connection
    /// has sent nothing for `quiet_ticks`; one still sending inputs is in use.
    pub fn resume(&mut self, client: ClientId, quiet_ticks: u32) -> Resume {
        let tick = self.tick;
        let Some(m) = self.member(client) else {
            return Resume::Refused;
        };
        if m.away_until.is_none() && tick.saturating_sub(m.last_heard) < quiet_ticks {
            return Resume::InUse;
        }
        m.away_until = None;
        m.baseline = Baseline::new(tick);
        let net_id = m.net_id;
        self.send_joined(client, net_id);
        self.broadcast_roster();
        Resume::Resumed(net_id)
    }

    /// Removes a client and its player; `voluntary` leavers are told `Left`.
    pub fn leave(&mut self, client: ClientId, voluntary: bool) -> bool {
        let Some(i) = self.members.iter().position(|m| m.client == client) else {
            return false;
        };
        let member = self.members.remove(i);
        self.world.despawn(member.entity);
        if voluntary {
            self.send(client, &ServerMsg::Left);
        }
        self.broadcast_roster();
        true
    }

    fn broadcast_roster(&mut self) {
        if self.members.is_empty() {
            return;
        }
        let players = self
            .members
            .iter()
            .map(|m| PlayerInfo {
                client_id: m.client,
                entity: m.net_id,
                name: m.name.clone(),
                connected: m.away_until.is_none(),
            })
            .collect();
        let host = self.members[0].client;
        self.broadcast(&ServerMsg::Roster { host, players }, Delivery::Roster);
    }

    /// Queues a client's input and takes its ack. Inputs with a stale seq, or beyond the
    /// queue's capacity, are dropped (returns false).
    pub fn input(&mut self, client: ClientId, input: Input) -> bool {
        let tick = self.tick;
        let Some(member) = self.member(client) else {
            return false;
        };
        member.baseline.ack(input.ack);
        member.last_heard = tick;
        let entity = member.entity;
        self.world
            .get_mut::<InputQueue>(entity)
            .is_some_and(|mut q| q.push(input))
    }

    /// The client does not hold the baseline it was sent: its next snapshot is full.
    pub fn request_full(&mut self, client: ClientId) {
        let tick = self.tick;
        if let Some(m) = self.member(client) {
            m.baseline.reset(tick);
        }
    }

    /// The clock skipped `ticks` ticks (a stall longer than it catches up): players are
    /// owed the inputs they sent meanwhile, credited at the next step.
    pub fn skip_ticks(&mut self, ticks: u32) {
        let mut skipped = self.world.resource_mut::<sim::SkippedTicks>();
        skipped.0 = skipped.0.saturating_add(ticks);
    }

    /// Advances the simulation one tick and records the new state.
    pub fn step(&mut self) {
        self.tick += 1;
        self.schedule.run(&mut self.world);
        self.record();
        let tick = self.tick;
        let expired: Vec<ClientId> = self
            .members
            .iter()
            .filter(|m| m.away_until.is_some_and(|t| t <= tick))
            .map(|m| m.client)
            .collect();
        for client in expired {
            self.leave(client, false);
        }
    }

    fn record(&mut self) {
        let buffer = std::mem::take(&mut self.spare_entities);
        let state = sim::capture(&mut self.world, &mut self.capture, self.tick, buffer);
        if let Some(evicted) = self.history.push(state) {
            self.spare_entities = evicted.entities;
        }
    }

    /// Queues this tick's snapshot for every member. `taken(client)` says whether the
    /// snapshot last queued for that client has been taken for writing, so that it reaches
    /// the client before this one (a caller that delivers every frame passes `|_| true`).
    pub fn send_snapshots(&mut self, taken: impl Fn(ClientId) -> bool) {
        for m in self.members.iter_mut().filter(|m| m.away_until.is_none()) {
            let seq = self
                .world
                .get::<InputQueue>(m.entity)
                .map_or(0, |q| q.last_applied);
            let client = m.client;
            let frame = self
                .bodies
                .frame_for(&self.history, &mut m.baseline, seq, || taken(client));
            if let Some(frame) = frame {
                self.outbox.push(Envelope {
                    client: m.client,
                    delivery: Delivery::Snapshot,
                    frame,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests;
