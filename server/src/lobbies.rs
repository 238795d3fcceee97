//! The directory of live lobbies: creating them (each on its own task), finding them by id
//! or join code, listing the public ones, and choosing one for quick join.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use rand::Rng;
use tickwire_protocol::messages::{ErrorCode, LobbyInfo, MAX_PLAYERS, MIN_PLAYERS};
use tokio::sync::mpsc;

use tickwire_protocol::Schema;

use crate::catalog::GameCatalog;
use crate::lobby::runner::{Command, LobbyShared, Play, Runner, RunnerLimits, inbox};
use crate::lobby::threads::LobbyThreads;
use crate::lobby::{Lobby, LobbySettings};
use crate::metrics::METRICS;

/// Join codes use letters and digits that cannot be mistaken for each other.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 6;

/// Settings every new lobby gets from the server's configuration.
#[derive(Debug, Clone, Copy)]
pub struct LobbyDefaults {
    pub tick_rate: u16,
    pub max_lobbies: usize,
    /// Mixed with each lobby's id into its simulation seed.
    pub seed: u64,
    /// How long a dropped player's seat is held.
    pub reconnect_grace: std::time::Duration,
    pub limits: RunnerLimits,
}

/// What a connection holds to talk to a lobby.
#[derive(Debug, Clone)]
pub struct LobbyHandle {
    pub id: u32,
    pub game: String,
    /// The game's schema: a connection checks inputs against its input fields.
    pub schema: Arc<Schema>,
    pub schema_hash: u64,
    pub code: String,
    pub name: String,
    pub map: String,
    pub private: bool,
    pub max_players: u8,
    pub shared: Arc<LobbyShared>,
    pub commands: mpsc::Sender<Command>,
    /// Inputs and full-snapshot requests, taken at the lobby's next tick.
    pub plays: mpsc::Sender<Play>,
}

impl LobbyHandle {
    pub fn info(&self) -> LobbyInfo {
        LobbyInfo {
            id: self.id,
            game: self.game.clone(),
            name: self.name.clone(),
            map: self.map.clone(),
            players: self.shared.players.load(Ordering::Relaxed),
            max_players: self.max_players,
        }
    }

    fn has_seat(&self) -> bool {
        self.shared.players.load(Ordering::Relaxed) < self.max_players
    }
}

#[derive(Default)]
struct Directory {
    by_id: HashMap<u32, LobbyHandle>,
    by_code: HashMap<String, u32>,
}

pub struct Lobbies {
    games: GameCatalog,
    defaults: LobbyDefaults,
    threads: LobbyThreads,
    directory: Mutex<Directory>,
    next_id: AtomicU32,
}

/// A request to open a lobby.
#[derive(Debug, Clone)]
pub struct NewLobby {
    /// A game name; empty for the default game.
    pub game: String,
    pub name: String,
    pub map: String,
    pub max_players: u8,
    pub private: bool,
}

fn new_code(rng: &mut impl Rng) -> String {
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

impl Lobbies {
    pub fn new(games: GameCatalog, defaults: LobbyDefaults, threads: LobbyThreads) -> Arc<Self> {
        Arc::new(Self {
            games,
            defaults,
            threads,
            directory: Mutex::default(),
            next_id: AtomicU32::new(1),
        })
    }

    fn dir(&self) -> std::sync::MutexGuard<'_, Directory> {
        self.directory.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn games(&self) -> &GameCatalog {
        &self.games
    }

    pub fn defaults(&self) -> &LobbyDefaults {
        &self.defaults
    }

    pub fn len(&self) -> usize {
        self.dir().by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Opens a lobby and starts its task. Must run inside a tokio runtime.
    pub fn create(self: &Arc<Self>, req: NewLobby) -> Result<LobbyHandle, ErrorCode> {
        if !(MIN_PLAYERS..=MAX_PLAYERS).contains(&req.max_players) {
            return Err(ErrorCode::InvalidMaxPlayers);
        }
        let entry = if req.game.is_empty() {
            self.games.default_game()
        } else {
            self.games.get(&req.game)
        }
        .ok_or(ErrorCode::UnknownGame)?;
        let map = entry
            .maps
            .get(&req.map)
            .cloned()
            .ok_or(ErrorCode::UnknownMap)?;
        let game = entry.game.clone();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, plays, rx) = inbox();
        let shared = Arc::new(LobbyShared::default());
        let handle = {
            let mut dir = self.dir();
            if dir.by_id.len() >= self.defaults.max_lobbies {
                return Err(ErrorCode::ServerFull);
            }
            let mut rng = rand::rng();
            let code = loop {
                let code = new_code(&mut rng);
                if !dir.by_code.contains_key(&code) {
                    break code;
                }
            };
            let handle = LobbyHandle {
                id,
                game: game.name().to_owned(),
                schema: entry.schema.clone(),
                schema_hash: entry.schema_hash,
                code: code.clone(),
                name: req.name.clone(),
                map: map.name.clone(),
                private: req.private,
                max_players: req.max_players,
                shared: shared.clone(),
                commands: tx,
                plays,
            };
            dir.by_code.insert(code, id);
            dir.by_id.insert(id, handle.clone());
            METRICS.lobbies.inc();
            handle
        };
        let lobby = Lobby::new(LobbySettings {
            id,
            game,
            name: req.name,
            code: handle.code.clone(),
            private: req.private,
            max_players: req.max_players,
            map,
            tick_rate: self.defaults.tick_rate,
            seed: self.defaults.seed ^ u64::from(id).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            reconnect_grace_ticks: (self.defaults.reconnect_grace.as_secs_f64()
                * f64::from(self.defaults.tick_rate))
            .ceil() as u32,
        })
        .map_err(|e| {
            tracing::error!(
                "game {} registers a schema the wire cannot carry: {e}",
                handle.game
            );
            self.remove(id);
            ErrorCode::Internal
        })?;
        let runner = Runner::new(lobby, shared, self.defaults.limits);
        let me = Arc::downgrade(self);
        let span = tracing::info_span!("lobby", id);
        self.threads.spawn(tracing::Instrument::instrument(
            async move {
                tracing::info!("lobby opened");
                runner
                    .run(rx, move || {
                        if let Some(me) = me.upgrade() {
                            me.remove(id);
                        }
                    })
                    .await;
                tracing::info!("lobby closed");
            },
            span,
        ));
        Ok(handle)
    }

    fn remove(&self, id: u32) {
        let mut dir = self.dir();
        if let Some(h) = dir.by_id.remove(&id) {
            dir.by_code.remove(&h.code);
            METRICS.lobbies.dec();
        }
    }

    /// A public lobby by id. Private lobbies are reachable only by their code.
    pub fn by_id(&self, id: u32) -> Option<LobbyHandle> {
        self.dir().by_id.get(&id).filter(|h| !h.private).cloned()
    }

    /// Any lobby by join code (case-insensitive).
    pub fn by_code(&self, code: &str) -> Option<LobbyHandle> {
        let dir = self.dir();
        let id = dir.by_code.get(&code.trim().to_ascii_uppercase())?;
        dir.by_id.get(id).cloned()
    }

    /// Public lobbies, oldest first.
    pub fn list(&self) -> Vec<LobbyInfo> {
        let mut list: Vec<LobbyInfo> = self
            .dir()
            .by_id
            .values()
            .filter(|h| !h.private)
            .map(LobbyHandle::info)
            .collect();
        list.sort_by_key(|l| l.id);
        list
    }

    /// Public lobbies of `game` with a free seat, fullest first (then oldest).
    pub fn quick_join_candidates(&self, game: &str) -> Vec<LobbyHandle> {
        let mut c: Vec<LobbyHandle> = self
            .dir()
            .by_id
            .values()
            .filter(|h| !h.private && h.has_seat() && h.game == game)
            .cloned()
            .collect();
        c.sort_by_key(|h| {
            (
                std::cmp::Reverse(h.shared.players.load(Ordering::Relaxed)),
                h.id,
            )
        });
        c
    }
}
