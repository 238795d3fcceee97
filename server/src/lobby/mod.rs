//! The lobby core, sans-IO: one bevy_ecs world stepped at a fixed tick, its members, and the
//! frames to send to each. It takes joins, leaves, inputs and steps; it returns encoded
//! frames. No sockets, no clock: the runner (`runner.rs`) does the I/O and timing. It knows
//! no game: the lobby's [`Game`] fills its world, schedule and schema when it opens.

pub mod clock;
pub mod game;
pub mod input;
pub mod interest;
pub mod replication;
pub mod rewind;
pub mod runner;
pub mod snapshot;
pub mod stats;
pub mod threads;
pub mod views;

use std::sync::Arc;

use bevy_ecs::prelude::*;
use bytes::Bytes;
use tickwire_protocol::codec::encode;
use tickwire_protocol::messages::{ErrorCode, Joined, LobbyInfo, PlayerInfo, ServerMsg};
use tickwire_protocol::{Input, Layout, NetId, Schema, WorldState};

pub use game::{CurrentTick, Game, Joining, LobbyBuilder, LobbyContext, TickSet};
pub use input::PlayerInput;
pub use replication::Replicated;

use crate::maps::GameMap;
use game::{JoinHook, LeaveHook, ResumeHook};
use replication::Registry;
use snapshot::{Baseline, BodyCache, SnapshotHistory};
use views::{ClientView, Views};

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

/// What became of an input handed to [`Lobby::input`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    Yes,
    /// The player had too many waiting: dropped (it costs that client a correction).
    Dropped,
    /// A stale seq, or not from a seated player.
    Ignored,
}

/// Seconds of history kept for delta baselines.
const HISTORY_SECONDS: usize = 2;

#[derive(Debug, Clone)]
pub struct LobbySettings {
    pub id: u32,
    pub game: Arc<dyn Game>,
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
    /// What the client holds, when the game has per-client views.
    view: ClientView,
    /// While the connection is down: the tick at which the seat is given up.
    away_until: Option<u32>,
    /// The last tick an input arrived from this client.
    last_heard: u32,
}

impl std::fmt::Debug for dyn Game {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a lobby could not open.
#[derive(Debug, thiserror::Error)]
pub enum LobbyError {
    #[error("the game could not set up the lobby: {0}")]
    Game(String),
    #[error("the game's schema: {0}")]
    Schema(#[from] tickwire_protocol::schema::SchemaError),
}

impl LobbySettings {
    /// Settings for a lobby no one joins, built to read a game's schema.
    pub fn probe(game: Arc<dyn Game>, map: Arc<GameMap>) -> Self {
        Self {
            id: 0,
            game,
            name: "probe".into(),
            code: String::new(),
            private: true,
            max_players: 2,
            map,
            tick_rate: 30,
            seed: 0,
            reconnect_grace_ticks: 0,
        }
    }
}

pub struct Lobby {
    settings: LobbySettings,
    /// The game turned lag compensation on: players' entities carry a [`rewind::ViewLag`].
    lag_compensated: bool,
    world: World,
    schedule: Schedule,
    registry: Registry,
    schema: Arc<Schema>,
    schema_hash: u64,
    layout: Layout,
    client_config: String,
    on_join: JoinHook,
    on_leave: LeaveHook,
    on_resume: Option<ResumeHook>,
    tick: u32,
    history: SnapshotHistory,
    /// The world of the tick that last left the history, reused for the next capture (a
    /// fresh one each tick costs an allocation, and page faults, of the whole world).
    spare: WorldState,
    bodies: BodyCache,
    /// Per-client views, when the game turned on interest management or a budget.
    views: Option<Views>,
    /// In join order: the first is the host.
    members: Vec<Member>,
    /// Bumped whenever the roster changes (a join, leave, drop or resume).
    roster_changes: u64,
    joins: usize,
    outbox: Vec<Envelope>,
    /// Ticks (stepped or skipped) since the lobby last had a player; 0 while it has one.
    empty_ticks: u32,
}

impl Lobby {
    /// Opens a lobby of `settings.game` on `settings.map`. Fails if the game cannot build
    /// on the map, or registers a schema the wire cannot carry (a bug in the game, caught by
    /// its tests and at start).
    pub fn new(settings: LobbySettings) -> Result<Self, LobbyError> {
        let context = LobbyContext {
            map: settings.map.clone(),
            tick_rate: settings.tick_rate,
            seed: settings.seed,
        };
        let built = LobbyBuilder::new(settings.game.as_ref(), context).map_err(LobbyError::Game)?;
        let schema = built.schema();
        let layout = Layout::new(&schema)?;
        let history = SnapshotHistory::new(HISTORY_SECONDS * usize::from(settings.tick_rate) + 1);
        let lag_compensated = built.world.contains_resource::<rewind::HitHistory>();
        let mut world = built.world;
        let views = match (built.placements, built.budget) {
            (None, None) => None,
            (placements, budget) => Some(Views::new(
                placements.unwrap_or_else(|| interest::Placements::everywhere(&mut world)),
                budget,
            )),
        };
        let mut lobby = Self {
            settings,
            lag_compensated,
            world,
            schedule: built.schedule,
            registry: built.registry,
            schema_hash: schema.hash(),
            schema: Arc::new(schema),
            layout,
            client_config: built.client_config,
            on_join: built.on_join,
            on_leave: built.on_leave,
            on_resume: built.on_resume,
            tick: 0,
            history,
            spare: WorldState::default(),
            bodies: BodyCache::default(),
            views,
            members: Vec::new(),
            roster_changes: 0,
            joins: 0,
            outbox: Vec::new(),
            empty_ticks: 0,
        };
        lobby.record();
        Ok(lobby)
    }

    /// The lobby's schema (what its game replicates, and its input).
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The lobby's world, for tests and tools that look inside.
    pub fn world(&self) -> &World {
        &self.world
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

    /// The host's player name; empty while nobody is in the lobby.
    pub fn host_name(&self) -> &str {
        self.members.first().map_or("", |m| m.name.as_str())
    }

    /// Changes whenever the roster does.
    pub fn roster_changes(&self) -> u64 {
        self.roster_changes
    }

    /// The players in seat order (the first is the host): client, name, and whether it is
    /// connected (not held for a reconnect).
    pub fn seats(&self) -> impl Iterator<Item = (ClientId, &str, bool)> {
        self.members
            .iter()
            .map(|m| (m.client, m.name.as_str(), m.away_until.is_none()))
    }

    /// The tick's schedule, for games that extend the simulation with their own systems.
    pub fn schedule_mut(&mut self) -> &mut Schedule {
        &mut self.schedule
    }

    pub fn history(&self) -> &SnapshotHistory {
        &self.history
    }

    /// Bodies encoded for the latest tick (one per distinct baseline, or per distinct pair
    /// of views when the game has per-client views).
    pub fn bodies_encoded(&self) -> usize {
        self.views
            .as_ref()
            .map_or(self.bodies.encoded, |v| v.encoded)
    }

    /// The world `client` rebuilt at `tick`, as far as the server knows: the history's
    /// world, or the client's own view when the game has per-client views (while it is
    /// kept).
    pub fn world_of(&self, client: ClientId, tick: u32) -> Option<&WorldState> {
        match &self.views {
            None => self.history.get(tick),
            Some(_) => {
                let m = self.members.iter().find(|m| m.client == client)?;
                m.view.world(tick)
            }
        }
    }

    /// Lag-compensated shots so far whose claimed time was clamped, and those capped
    /// (none without lag compensation). The runner adds them to `/metrics`.
    pub fn rewind_counts(&self) -> (u64, u64) {
        self.world
            .get_resource::<rewind::HitHistory>()
            .map_or((0, 0), |h| (h.clamped, h.capped))
    }

    /// What the per-client views have cost so far (none without interest or a budget).
    pub fn view_counts(&self) -> Option<views::ViewCounts> {
        self.views.as_ref().map(|v| v.counts)
    }

    pub fn info(&self) -> LobbyInfo {
        let s = &self.settings;
        LobbyInfo {
            id: s.id,
            game: s.game.name().to_owned(),
            name: s.name.clone(),
            map: s.map.name.clone(),
            players: self.members.len() as u8,
            max_players: s.max_players,
            host: self.host_name().to_owned(),
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
        // Nobody may pass for another player of the lobby (case and spaces aside). A seat
        // held for a reconnect does not count: its player may come back without its token.
        let same = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
        if self
            .members
            .iter()
            .any(|m| m.away_until.is_none() && same(&m.name, name))
        {
            return Err(ErrorCode::InvalidName);
        }
        let joining = Joining {
            client,
            name: name.to_owned(),
            seat: self.joins,
        };
        self.joins += 1;
        let entity = (self.on_join)(&mut self.world, &joining);
        let mut e = self.world.entity_mut(entity);
        if !e.contains::<Replicated>() {
            e.insert(Replicated::default());
        }
        e.insert(PlayerInput::default());
        if self.lag_compensated {
            e.insert(rewind::ViewLag::default());
        }
        let net_id = e.get::<Replicated>().map_or(0, Replicated::id);
        let baseline = Baseline::new(self.tick);
        self.members.push(Member {
            client,
            name: name.to_owned(),
            entity,
            net_id,
            baseline,
            view: ClientView::default(),
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
            schema: (*self.schema).clone(),
            schema_hash: self.schema_hash,
            config: self.client_config.clone(),
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
        if let Some(mut q) = self.world.get_mut::<PlayerInput>(entity) {
            q.clear();
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
        m.view = ClientView::default();
        let (net_id, entity) = (m.net_id, m.entity);
        if let Some(hook) = self.on_resume {
            hook(&mut self.world, entity);
        }
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
        (self.on_leave)(&mut self.world, member.entity);
        if voluntary {
            self.send(client, &ServerMsg::Left);
        }
        self.broadcast_roster();
        true
    }

    fn broadcast_roster(&mut self) {
        self.roster_changes += 1;
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
    /// queue's capacity, are not queued; the caller counts the dropped ones.
    pub fn input(&mut self, client: ClientId, input: Input) -> Queued {
        let tick = self.tick;
        let Some(member) = self.member(client) else {
            return Queued::Ignored;
        };
        if member.away_until.is_some() {
            // Its connection dropped, or was let go for not reading: a connection still
            // sending moves nothing until the seat is resumed.
            return Queued::Ignored;
        }
        member.baseline.ack(input.ack);
        member.last_heard = tick;
        let entity = member.entity;
        let Some(mut q) = self.world.get_mut::<PlayerInput>(entity) else {
            return Queued::Ignored;
        };
        match q.push(input) {
            Ok(()) => Queued::Yes,
            Err(input::Refused::Full) => Queued::Dropped,
            Err(input::Refused::Stale) => Queued::Ignored,
        }
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
        let mut skipped = self.world.resource_mut::<input::SkippedTicks>();
        skipped.0 = skipped.0.saturating_add(ticks);
        if self.members.is_empty() {
            self.empty_ticks = self.empty_ticks.saturating_add(ticks);
        }
    }

    /// Whether the lobby has had no player for at least `grace` ticks: its runner then
    /// closes it. A player's seat held for a reconnect counts as a player.
    pub fn closes_empty(&self, grace: u32) -> bool {
        self.members.is_empty() && self.empty_ticks >= grace
    }

    /// Advances the simulation one tick and records the new state.
    pub fn step(&mut self) {
        self.tick += 1;
        self.world.resource_mut::<game::CurrentTick>().0 = self.tick;
        if self.lag_compensated {
            self.publish_view_lags();
        }
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
        self.empty_ticks = if self.members.is_empty() {
            self.empty_ticks.saturating_add(1)
        } else {
            0
        };
    }

    /// Sets every player's [`rewind::ViewLag`] for the tick about to run.
    fn publish_view_lags(&mut self) {
        for m in &self.members {
            let ticks = m
                .baseline
                .acked()
                .map_or(0, |a| self.tick.saturating_sub(a));
            if let Some(mut lag) = self.world.get_mut::<rewind::ViewLag>(m.entity)
                && lag.ticks != ticks
            {
                lag.ticks = ticks;
            }
        }
    }

    /// The world as a full rebuild captures it now (for tests of the incremental capture).
    #[cfg(test)]
    fn capture_from_scratch(&mut self) -> WorldState {
        let mut state = WorldState::default();
        self.registry
            .capture(&mut self.world, &self.layout, self.tick, None, &mut state);
        state
    }

    fn record(&mut self) {
        let mut state = std::mem::take(&mut self.spare);
        let previous = self.history.latest();
        self.registry.capture(
            &mut self.world,
            &self.layout,
            self.tick,
            previous,
            &mut state,
        );
        if self.views.is_none() && self.world.resource::<interest::AudienceSeen>().0 {
            let placements = interest::Placements::everywhere(&mut self.world);
            self.views = Some(Views::new(placements, None));
        }
        if let Some(views) = &mut self.views {
            let index = self.world.resource::<replication::ReplicatedIndex>();
            views.placements.capture(&self.world, index, state.len());
        }
        if let Some(evicted) = self.history.push(state) {
            self.spare = evicted;
        }
    }

    /// Queues this tick's snapshot for every member. `taken(client)` says whether the
    /// snapshot last queued for that client has been taken for writing, so that it reaches
    /// the client before this one (a caller that delivers every frame passes `|_| true`).
    pub fn send_snapshots(&mut self, taken: impl Fn(ClientId) -> bool) {
        for m in self.members.iter_mut().filter(|m| m.away_until.is_none()) {
            let seq = self
                .world
                .get::<PlayerInput>(m.entity)
                .map_or(0, PlayerInput::last_applied);
            let client = m.client;
            let frame = match &mut self.views {
                Some(views) => {
                    let viewer = views::Viewer {
                        view: &mut m.view,
                        baseline: &mut m.baseline,
                        entity: m.entity,
                        id: m.net_id,
                    };
                    views.frame_for(&self.layout, &self.history, viewer, seq, || taken(client))
                }
                None => {
                    self.bodies
                        .frame_for(&self.layout, &self.history, &mut m.baseline, seq, || {
                            taken(client)
                        })
                }
            };
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
