//! Stepping a lobby with clients in process, through the real encode and decode paths, with
//! no sockets and no clock: a [`Stepper`] holds one [`Lobby`] and a [`View`] per client that
//! decodes every frame sent to it and rebuilds the world from its snapshots with the schema
//! from `Joined`, as a client built from `PROTOCOL.md` would. For the engine's tests and for
//! any game's own replication tests.

use std::collections::HashMap;
use std::sync::Arc;

use tickwire_protocol::messages::{ErrorCode, Joined, PlayerInfo, ServerMsg};
use tickwire_protocol::schema::{GameInput, Replicate};
use tickwire_protocol::{Input, InputValues, Layout, NetId, WorldState, decode_server};

pub mod peer;

use crate::lobby::{ClientId, Game, Lobby, LobbySettings};
use crate::maps::GameMap;

/// What one client holds: every message it got, its lobby's newest roster, and the worlds
/// its snapshots rebuilt.
#[derive(Default)]
pub struct View {
    pub msgs: Vec<ServerMsg>,
    /// The lobby it is in (none before a join, and after `Left`).
    pub joined: Option<Joined>,
    pub roster: Vec<PlayerInfo>,
    layout: Option<Layout>,
    worlds: HashMap<u32, WorldState>,
    pub latest: Option<WorldState>,
    pub last_seq: u32,
}

impl View {
    /// Takes one frame sent to this client.
    ///
    /// # Panics
    /// When the frame does not decode or a snapshot does not apply: the test fails.
    pub fn take(&mut self, frame: &[u8]) {
        let msg = decode_server(frame).expect("server frames decode");
        match &msg {
            ServerMsg::Joined(j) => {
                assert_eq!(j.schema.hash(), j.schema_hash, "the hash is the schema's");
                self.layout = Some(Layout::new(&j.schema).expect("the schema lays out"));
                self.joined = Some((**j).clone());
                self.worlds.clear();
            }
            ServerMsg::Snapshot(s) => {
                let layout = self.layout.as_ref().expect("Joined before snapshots");
                let base = s
                    .body
                    .baseline
                    .map(|t| self.worlds.get(&t).expect("client holds the baseline"));
                let world = s.body.apply(layout, base).expect("snapshot applies");
                self.last_seq = s.last_input_seq;
                self.worlds.insert(world.tick, world.clone());
                self.latest = Some(world);
            }
            ServerMsg::Roster { players, .. } => self.roster.clone_from(players),
            ServerMsg::Left => {
                self.joined = None;
                self.roster.clear();
            }
            _ => {}
        }
        self.msgs.push(msg);
    }

    /// The newest tick held: what the client acks.
    pub fn ack(&self) -> u32 {
        self.latest.as_ref().map_or(0, |w| w.tick)
    }

    /// Component `C` of entity `id` in the newest world.
    pub fn get<C: Replicate>(&self, id: NetId) -> Option<C> {
        let joined = self.joined.as_ref()?;
        let layout = self.layout.as_ref()?;
        self.latest.as_ref()?.get::<C>(&joined.schema, layout, id)
    }

    /// Ids of the entities that have component `C` in the newest world.
    pub fn with<C: Replicate>(&self) -> Vec<NetId> {
        let (Some(joined), Some(world)) = (&self.joined, &self.latest) else {
            return Vec::new();
        };
        match joined.schema.component_id(C::NAME) {
            Some(c) => world.with(c).collect(),
            None => Vec::new(),
        }
    }

    /// Forgets the worlds held (as a client that reconnects does).
    pub fn forget_worlds(&mut self) {
        self.worlds.clear();
    }
}

/// A lobby and its clients' views, stepped by hand.
pub struct Stepper {
    pub lobby: Lobby,
    pub views: HashMap<ClientId, View>,
    seq: HashMap<ClientId, u32>,
}

/// Settings for a stepped lobby: 30 Hz, seed 7, a seat held 30 ticks for a reconnect.
pub fn settings(game: Arc<dyn Game>, map: Arc<GameMap>, max_players: u8) -> LobbySettings {
    LobbySettings {
        id: 1,
        game,
        name: "test".into(),
        code: "ABCDEF".into(),
        private: false,
        max_players,
        map,
        tick_rate: 30,
        seed: 7,
        reconnect_grace_ticks: 30,
    }
}

impl Stepper {
    /// # Panics
    /// When the game's schema cannot be laid out.
    pub fn new(game: Arc<dyn Game>, map: Arc<GameMap>, max_players: u8) -> Self {
        let lobby = Lobby::new(settings(game, map, max_players)).expect("the game's schema");
        Self::with_lobby(lobby)
    }

    pub fn with_lobby(lobby: Lobby) -> Self {
        Self {
            lobby,
            views: HashMap::new(),
            seq: HashMap::new(),
        }
    }

    /// Hands every frame the lobby produced to its client's view, and checks that every
    /// world a client rebuilt is exactly the one the server says it sent (its world at that
    /// tick, or with per-client views, the client's view).
    ///
    /// # Panics
    /// When a client's world differs from the server's: the test fails.
    pub fn pump(&mut self) {
        for env in self.lobby.drain_outbox().collect::<Vec<_>>() {
            let view = self.views.entry(env.client).or_default();
            let before = view.ack();
            view.take(&env.frame);
            if let Some(world) = view.latest.as_ref().filter(|w| w.tick != before) {
                let server = self.lobby.world_of(env.client, world.tick);
                assert_eq!(
                    Some(world),
                    server,
                    "client {} rebuilt the server's world",
                    env.client
                );
            }
        }
    }

    pub fn join(&mut self, client: ClientId) -> Result<NetId, ErrorCode> {
        let r = self.lobby.join(client, &format!("p{client}"));
        self.pump();
        r
    }

    /// Sends one input with these values (and the client's newest tick as its ack).
    pub fn input(&mut self, client: ClientId, values: &[i32]) {
        let seq = self.seq.entry(client).or_default();
        *seq += 1;
        let ack = self.views.get(&client).map_or(0, View::ack);
        let input = Input {
            seq: *seq,
            client_tick: *seq,
            ack,
            values: InputValues::new(values),
        };
        self.lobby.input(client, input);
    }

    /// Sends one input of the game's input type.
    pub fn send<I: GameInput>(&mut self, client: ClientId, input: &I) {
        self.input(client, &input.to_values());
    }

    /// One step, then a snapshot to every client, delivered.
    pub fn tick(&mut self) {
        self.lobby.step();
        self.lobby.send_snapshots(|_| true);
        self.pump();
    }

    /// Component `C` of entity `id` as client `viewer` sees it.
    pub fn get<C: Replicate>(&self, viewer: ClientId, id: NetId) -> Option<C> {
        self.views.get(&viewer)?.get::<C>(id)
    }
}
