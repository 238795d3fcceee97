//! Cluster mode (`--redis`): several Tickwire nodes share one lobby directory through Redis.
//! Each node keeps running its own lobbies exactly as a single node does; Redis holds only
//! what the others need to find them, and every entry expires by itself:
//!
//! - `directory.rs`: this node's records (each lobby, itself and its load, reconnect seats),
//!   written by one task on a heartbeat with a TTL, and withdrawn at shutdown;
//! - `view.rs`: the cluster as this node last read it (nodes, their loads, their public
//!   lobbies), refreshed by one task and shared by every listing and quick join;
//! - `seats.rs`: seat tickets and the Lua scripts that reserve and redeem them atomically;
//! - `ids.rs`: lobby ids unique cluster-wide, in blocks;
//! - `redirect.rs`: the answers a connection gets from the cluster, and the `Redirect`;
//! - `store.rs`: the Redis connection, with timeouts, latency and up/down in `/metrics`.
//!
//! Nothing here runs on a lobby thread or inside a tick: a lobby closing only queues a note
//! for the directory task.

pub mod directory;
pub mod ids;
pub mod redirect;
pub mod seats;
pub mod store;
pub mod view;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tickwire_protocol::messages::ReconnectToken;
use tokio::sync::Notify;

use ids::IdBlocks;
use store::Store;
use view::View;

/// Most notes (closed lobbies, seats filed or let go) kept for the directory task while
/// Redis is away; older ones are dropped (their records expire by themselves).
const MAX_NOTES: usize = 16_384;

/// Redis key names; every key Tickwire writes starts with `tickwire:`.
pub mod key {
    pub const NODES: &str = "tickwire:nodes";
    pub const LOBBY_ID_BLOCKS: &str = "tickwire:lobby-id-blocks";
    pub fn node(node: &str) -> String {
        format!("tickwire:node:{node}")
    }
    pub fn lobby(id: u32) -> String {
        format!("tickwire:lobby:{id}")
    }
    pub fn code(code: &str) -> String {
        format!("tickwire:code:{code}")
    }
    pub fn holds(id: u32) -> String {
        format!("tickwire:holds:{id}")
    }
    pub fn ticket(ticket: &[u8; 16]) -> String {
        format!("tickwire:ticket:{}", super::hex(ticket))
    }
    pub fn seat(token: &[u8; 16]) -> String {
        format!("tickwire:seat:{}", super::hex(token))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a lobby or connection tells the directory task, applied on its next pass.
#[derive(Debug)]
enum Note {
    /// A lobby closed: its records go at once.
    Closed { id: u32, code: String },
    /// A seat is filed under this reconnect token, findable from any node for `for_how_long`.
    Seat {
        token: ReconnectToken,
        for_how_long: Duration,
    },
    /// The seat was given up.
    SeatGone { token: ReconnectToken },
}

/// A cluster node's link to the shared directory.
pub struct Cluster {
    /// This node's id in Redis: 64 random bits in hex, new each start.
    pub node: String,
    /// The WebSocket URL browsers reach this node at.
    pub url: String,
    store: Store,
    /// How long an entry lives without a heartbeat (`--cluster-ttl`).
    ttl: Duration,
    ids: IdBlocks,
    view: Mutex<Arc<View>>,
    notes: Mutex<Vec<Note>>,
    /// Join codes reserved in Redis for this node's next lobbies (public, private), so
    /// opening a lobby never waits for Redis and its code is unique cluster-wide.
    codes: Mutex<(Vec<String>, Vec<String>)>,
    wake: Notify,
    stopped: AtomicBool,
}

impl Cluster {
    /// A node that will talk to Redis at `redis_url` (connecting on first use).
    pub fn new(redis_url: &str, url: String, ttl: Duration) -> anyhow::Result<Arc<Self>> {
        let store = Store::open(redis_url)
            .map_err(|e| anyhow::anyhow!("--redis {}: {e}", redact(redis_url)))?;
        let node = hex(&rand::random::<[u8; 8]>());
        Ok(Arc::new(Self {
            node,
            url,
            store,
            ttl,
            ids: IdBlocks::default(),
            view: Mutex::new(Arc::new(View::default())),
            notes: Mutex::default(),
            codes: Mutex::default(),
            wake: Notify::new(),
            stopped: AtomicBool::new(false),
        }))
    }

    /// Takes this node's first block of lobby ids (waiting up to [`STARTUP_WAIT`] for
    /// Redis: a node cannot hand out cluster-unique ids without it) and starts the tasks
    /// that write this node's records and read the others'.
    pub async fn start(
        self: &Arc<Self>,
        lobbies: &Arc<crate::lobbies::Lobbies>,
    ) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + STARTUP_WAIT;
        while !directory::take_id_block(self).await {
            if tokio::time::Instant::now() >= deadline {
                anyhow::bail!(
                    "cluster mode: Redis did not answer for {} s; a node needs it once at start to take its lobby ids",
                    STARTUP_WAIT.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        tracing::info!(node = %self.node, url = %self.url, "joined the cluster");
        tokio::spawn(directory::publish_loop(
            self.clone(),
            Arc::downgrade(lobbies),
        ));
        tokio::spawn(view::refresh_loop(self.clone()));
        self.wake.notify_one();
        Ok(())
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Whether Redis answered the last command.
    pub fn is_up(&self) -> bool {
        self.store.is_up()
    }

    /// A lobby id no other node hands out, or `None` when this node has none (Redis has
    /// not been reachable since it started).
    pub fn next_lobby_id(&self) -> Option<u32> {
        let id = self.ids.take();
        if self.ids.wants_block() {
            self.wake.notify_one();
        }
        id
    }

    /// A join code reserved for this node cluster-wide, if one is left (none while Redis
    /// has been away long enough to use them up).
    pub fn take_code(&self, private: bool) -> Option<String> {
        let mut codes = self.codes.lock().unwrap_or_else(|e| e.into_inner());
        let pool = if private { &mut codes.1 } else { &mut codes.0 };
        let code = pool.pop();
        if pool.len() < CODE_POOL / 2 {
            self.wake.notify_one();
        }
        code
    }

    /// How many reserved codes are left (public, private).
    fn codes_left(&self) -> (usize, usize) {
        let codes = self.codes.lock().unwrap_or_else(|e| e.into_inner());
        (codes.0.len(), codes.1.len())
    }

    fn add_codes(&self, private: bool, new: Vec<String>) {
        let mut codes = self.codes.lock().unwrap_or_else(|e| e.into_inner());
        if private { &mut codes.1 } else { &mut codes.0 }.extend(new);
    }

    /// The cluster as last read.
    pub fn view(&self) -> Arc<View> {
        self.view.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_view(&self, view: View) {
        *self.view.lock().unwrap_or_else(|e| e.into_inner()) = Arc::new(view);
    }

    fn note(&self, note: Note) {
        let mut notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        if notes.len() >= MAX_NOTES {
            notes.remove(0);
        }
        notes.push(note);
        drop(notes);
        self.wake.notify_one();
    }

    fn take_notes(&self) -> Vec<Note> {
        std::mem::take(&mut *self.notes.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// A lobby opened here: published on the directory task's next pass (at once).
    pub fn lobby_opened(&self) {
        self.wake.notify_one();
    }

    /// A lobby closed here (called from its own thread: it only queues a note).
    pub fn lobby_closed(&self, id: u32, code: &str) {
        self.note(Note::Closed {
            id,
            code: code.to_owned(),
        });
    }

    /// A player is seated here under `token`: any node can send it back here for a while.
    pub fn seat_filed(&self, token: ReconnectToken) {
        self.note(Note::Seat {
            token,
            for_how_long: SEAT_RECORD_LIFE,
        });
    }

    /// The player's connection dropped: its seat is held here for `grace`.
    pub fn seat_held(&self, token: ReconnectToken, grace: Duration) {
        self.note(Note::Seat {
            token,
            for_how_long: grace,
        });
    }

    /// The player gave its seat up.
    pub fn seat_forgotten(&self, token: ReconnectToken) {
        self.note(Note::SeatGone { token });
    }

    fn stopped(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }
}

/// Join codes of each kind a node keeps reserved ahead.
pub const CODE_POOL: usize = 32;
/// How long a reserved, unused code stays reserved (the pool is refreshed well before).
pub const CODE_RESERVATION: Duration = Duration::from_secs(3600);

/// How long a node waits for Redis at start.
pub const STARTUP_WAIT: Duration = Duration::from_secs(10);

/// How long the record of a seat that is being played lives (renewed by every join, and cut
/// to the reconnect grace when its connection drops).
const SEAT_RECORD_LIFE: Duration = Duration::from_secs(6 * 3600);

/// `url` without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***{}", &url[..scheme], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// The WebSocket URL for a node reachable at `public_url` (`https://node1.game.example` →
/// `wss://node1.game.example/ws`).
pub fn ws_url(public_url: &str) -> String {
    let base = public_url.trim_end_matches('/');
    let base = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_owned()
    };
    if base.ends_with("/ws") {
        base
    } else {
        format!("{base}/ws")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            ws_url("https://n1.game.example/"),
            "wss://n1.game.example/ws"
        );
        assert_eq!(ws_url("http://127.0.0.1:8080"), "ws://127.0.0.1:8080/ws");
        assert_eq!(ws_url("ws://127.0.0.1:8080/ws"), "ws://127.0.0.1:8080/ws");
        assert_eq!(
            redact("redis://:hunter2@db:6379/0"),
            "redis://***@db:6379/0"
        );
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }
}
