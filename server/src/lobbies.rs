//! The directory of live lobbies: creating them (each on its own task), finding them by id
//! or join code, listing the public ones (a capped listing, encoded once and shared until it
//! changes), choosing one for quick join, and handing every lobby to the operator's
//! dashboard. In cluster mode ([`crate::cluster`]) ids come from the cluster's blocks, the
//! listing and quick join's candidates take in the other nodes' lobbies, and a closing
//! lobby tells the shared directory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use rand::Rng;
use tickwire_protocol::codec::encode;
use tickwire_protocol::messages::{ErrorCode, LobbyInfo, MAX_PLAYERS, MIN_PLAYERS, ServerMsg};
use tokio::sync::mpsc;

use tickwire_protocol::Schema;

use crate::catalog::GameCatalog;
use crate::cluster::Cluster;
use crate::cluster::redirect::Candidate;
use crate::lobby::runner::{Command, LobbyShared, Play, Runner, RunnerLimits, inbox};
use crate::lobby::threads::LobbyThreads;
use crate::lobby::{Lobby, LobbySettings};
use crate::metrics::METRICS;

/// Join codes use letters and digits that cannot be mistaken for each other.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Public lobbies are listed anyway: a short code is only a convenience.
const PUBLIC_CODE_LEN: usize = 6;
/// A private lobby's code is its only secret: 12 characters of 32 are 60 bits (the
/// arithmetic against guessing is in PROTOCOL.md, "Limits").
pub const PRIVATE_CODE_LEN: usize = 12;
/// Most lobbies one listing names (those with a free seat first, then the fullest).
pub const MAX_LISTED: usize = 50;

/// The public lobby listing, encoded once for every client that asks until it changes.
#[derive(Debug)]
pub struct Listing {
    /// What it was built from: the directory's generation and its lobbies' player counts
    /// (and, in cluster mode, the generation of the cluster's view).
    fingerprint: u64,
    /// A whole `ServerMsg::LobbyList` frame.
    pub frame: Bytes,
    /// The same lobbies as a JSON array.
    pub json: Bytes,
}

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
            host: self.shared.host(),
        }
    }

    /// Whether quick join may send players here: public, a seat free, and one held. A
    /// lobby nobody holds a seat in has just been opened (its creator's join is on its
    /// way, and must not find it filled by a burst of quick joins) or is about to close.
    fn takes_quick_joins(&self) -> bool {
        let players = self.shared.players.load(Ordering::Relaxed);
        !self.private && (1..self.max_players).contains(&players)
    }
}

#[derive(Default)]
struct Directory {
    by_id: HashMap<u32, LobbyHandle>,
    by_code: HashMap<String, u32>,
    /// Bumped whenever a lobby opens or closes.
    generation: u64,
}

impl Directory {
    /// Changes when a lobby opens or closes or a public lobby's player count or host changes.
    fn fingerprint(&self) -> u64 {
        self.by_id.values().filter(|h| !h.private).fold(
            self.generation.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            |acc, h| {
                let players = u64::from(h.shared.players.load(Ordering::Relaxed));
                let hosts = u64::from(h.shared.host_changes.load(Ordering::Relaxed));
                acc ^ (u64::from(h.id) << 8 | players | hosts << 40)
                    .wrapping_mul(0xff51_afd7_ed55_8ccd)
            },
        )
    }

    /// Closes the oldest lobby with nobody in it (no player, no held seat) to make room.
    /// Its task ends once nothing else holds its handle.
    fn evict_an_empty_lobby(&mut self) -> bool {
        let Some(id) = self
            .by_id
            .values()
            .filter(|h| h.shared.players.load(Ordering::Relaxed) == 0)
            .map(|h| h.id)
            .min()
        else {
            return false;
        };
        tracing::info!(
            lobby = id,
            "closing an empty lobby to make room for a new one"
        );
        self.remove(id);
        true
    }

    /// Removes a lobby; returns its code if it was here.
    fn remove(&mut self, id: u32) -> Option<String> {
        let h = self.by_id.remove(&id)?;
        self.by_code.remove(&h.code);
        self.generation += 1;
        METRICS.lobbies.dec();
        Some(h.code)
    }
}

pub struct Lobbies {
    games: GameCatalog,
    defaults: LobbyDefaults,
    threads: LobbyThreads,
    directory: Mutex<Directory>,
    next_id: AtomicU32,
    listing: Mutex<Option<Arc<Listing>>>,
    cluster: OnceLock<Arc<Cluster>>,
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

fn new_code(rng: &mut impl Rng, len: usize) -> String {
    (0..len)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// A code no lobby in `dir` has.
fn new_free_code(dir: &Directory, private: bool) -> String {
    let len = if private {
        PRIVATE_CODE_LEN
    } else {
        PUBLIC_CODE_LEN
    };
    let mut rng = rand::rng();
    loop {
        let code = new_code(&mut rng, len);
        if !dir.by_code.contains_key(&code) {
            break code;
        }
    }
}

/// The listing's order: lobbies with a free seat first, then the fullest, then the oldest.
fn listing_order(lobbies: &mut Vec<LobbyInfo>) {
    lobbies.sort_by_key(|l| {
        (
            l.players >= l.max_players,
            std::cmp::Reverse(l.players),
            l.id,
        )
    });
    lobbies.truncate(MAX_LISTED);
}

impl Lobbies {
    pub fn new(games: GameCatalog, defaults: LobbyDefaults, threads: LobbyThreads) -> Arc<Self> {
        Arc::new(Self {
            games,
            defaults,
            threads,
            directory: Mutex::default(),
            next_id: AtomicU32::new(1),
            listing: Mutex::default(),
            cluster: OnceLock::new(),
        })
    }

    /// Cluster mode: lobby ids, the listing and quick join go through `cluster` from now on.
    pub fn join_cluster(&self, cluster: Arc<Cluster>) {
        let _ = self.cluster.set(cluster);
    }

    pub fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.cluster.get()
    }

    /// The id the next lobby will get: from the cluster's blocks in cluster mode (`None`
    /// when this node has none left), else counted here.
    pub fn next_lobby_id(&self) -> Option<u32> {
        match self.cluster() {
            Some(c) => c.next_lobby_id(),
            None => Some(self.next_id.fetch_add(1, Ordering::Relaxed)),
        }
    }

    /// A new join code of the right length that no lobby here has.
    pub fn fresh_code(&self, private: bool) -> String {
        let dir = self.dir();
        new_free_code(&dir, private)
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
        let id = self.next_lobby_id().ok_or(ErrorCode::ServerFull)?;
        self.open(req, id, None)
    }

    /// Opens a lobby with id `id` (from [`Lobbies::next_lobby_id`]) and the join `code` if
    /// given (one the cluster registered; else a new one), and starts its task. Must run
    /// inside a tokio runtime.
    pub fn open(
        self: &Arc<Self>,
        req: NewLobby,
        id: u32,
        code: Option<String>,
    ) -> Result<LobbyHandle, ErrorCode> {
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
        let (tx, plays, rx) = inbox();
        let shared = Arc::new(LobbyShared::default());
        let handle = {
            let mut dir = self.dir();
            if dir.by_id.len() >= self.defaults.max_lobbies && !dir.evict_an_empty_lobby() {
                return Err(ErrorCode::ServerFull);
            }
            let code = code
                .or_else(|| self.cluster().and_then(|c| c.take_code(req.private)))
                .filter(|c| !dir.by_code.contains_key(c))
                .unwrap_or_else(|| new_free_code(&dir, req.private));
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
            dir.generation += 1;
            METRICS.lobbies.inc();
            handle
        };
        if let Some(c) = self.cluster() {
            c.lobby_opened();
        }
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
        let code = self.dir().remove(id);
        if let (Some(code), Some(c)) = (code, self.cluster()) {
            c.lobby_closed(id, &code);
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

    /// At most [`MAX_LISTED`] public lobbies: those with a free seat first, then the
    /// fullest, then the oldest. Built anew only when a lobby opened or closed or a player
    /// count changed since the last call; otherwise every caller shares the same bytes.
    /// In cluster mode the other nodes' public lobbies (as the cluster's view last read
    /// them) are merged in: the listing is the whole cluster's.
    pub fn listing(&self) -> Arc<Listing> {
        let dir = self.dir();
        let view = self.cluster().map(|c| c.view());
        let fingerprint = dir.fingerprint()
            ^ view
                .as_ref()
                .map_or(0, |v| v.generation.wrapping_mul(0xc4ce_b9fe_1a85_ec53));
        let mut cached = self.listing.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = cached.as_ref().filter(|l| l.fingerprint == fingerprint) {
            return l.clone();
        }
        let mut lobbies: Vec<LobbyInfo> = dir
            .by_id
            .values()
            .filter(|h| !h.private)
            .map(LobbyHandle::info)
            .collect();
        drop(dir);
        if let Some(view) = &view {
            lobbies.extend(view.lobbies.iter().map(|l| l.info.clone()));
        }
        listing_order(&mut lobbies);
        let json = serde_json::to_vec(&lobbies).unwrap_or_default();
        let listing = Arc::new(Listing {
            fingerprint,
            frame: Bytes::from(encode(&ServerMsg::LobbyList { lobbies })),
            json: Bytes::from(json),
        });
        *cached = Some(listing.clone());
        listing
    }

    /// This node's own public lobbies in the listing's order, capped (what a cluster node
    /// publishes for the others' listings).
    pub fn local_listed(&self) -> Vec<LobbyInfo> {
        let mut lobbies: Vec<LobbyInfo> = self
            .dir()
            .by_id
            .values()
            .filter(|h| !h.private)
            .map(LobbyHandle::info)
            .collect();
        listing_order(&mut lobbies);
        lobbies
    }

    /// Cluster mode: the public lobbies of `game` with a free seat on every node, fullest
    /// first (this node's before others' among equals, then the oldest), this node's with
    /// their current counts and the others' as last read.
    pub fn cluster_candidates(&self, game: &str) -> Vec<Candidate> {
        let mut c: Vec<Candidate> = self
            .quick_join_candidates(game)
            .iter()
            .map(|h| Candidate {
                id: h.id,
                players: h.shared.players.load(Ordering::Relaxed),
                node: None,
            })
            .collect();
        if let Some(cluster) = self.cluster() {
            let view = cluster.view();
            c.extend(
                view.lobbies
                    .iter()
                    .filter(|l| {
                        // As `takes_quick_joins`, for lobbies on other nodes.
                        l.info.game == game && (1..l.info.max_players).contains(&l.info.players)
                    })
                    .map(|l| Candidate {
                        id: l.info.id,
                        players: l.info.players,
                        node: Some(l.node.clone()),
                    }),
            );
        }
        c.sort_by_key(|c| (std::cmp::Reverse(c.players), c.node.is_some(), c.id));
        c
    }

    /// Players seated in this node's lobbies (its load, for the cluster).
    pub fn players(&self) -> u32 {
        self.dir()
            .by_id
            .values()
            .map(|h| u32::from(h.shared.players.load(Ordering::Relaxed)))
            .sum()
    }

    /// Lobbies of `game` that take quick joins (public, a seat free, one held), fullest
    /// first (then oldest).
    pub fn quick_join_candidates(&self, game: &str) -> Vec<LobbyHandle> {
        let mut c: Vec<LobbyHandle> = self
            .dir()
            .by_id
            .values()
            .filter(|h| h.takes_quick_joins() && h.game == game)
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

    /// Every lobby, private ones included, for the operator's dashboard (in no order).
    pub fn all(&self) -> Vec<LobbyHandle> {
        self.dir().by_id.values().cloned().collect()
    }

    /// Any lobby by id, private ones included, for the operator's actions.
    pub fn any_by_id(&self, id: u32) -> Option<LobbyHandle> {
        self.dir().by_id.get(&id).cloned()
    }
}
