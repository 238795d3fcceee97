//! The network edge: HTTP routes, WebSocket connections (their protocol logic as a sans-IO
//! state machine in `connection`, their socket loop in `session`), connection limits and
//! shutdown. Only moves bytes between sockets and lobbies; game logic lives in
//! `lobby`.

pub mod budgets;
pub mod call;
pub mod connection;
pub mod dashboard;
pub mod frames;
pub mod http;
pub mod limits;
pub mod link;
pub mod listener;
pub mod rate;
pub mod session;
pub mod static_files;
pub mod upgrade;
pub mod wire;
pub mod writer;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use tickwire_protocol::messages::ReconnectToken;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::config::Config;
use crate::lobbies::{Lobbies, LobbyHandle};
use budgets::{CREATIONS_PER_IP, FAILED_JOINS_PER_IP, LISTINGS_PER_IP};
pub use limits::Refusal;
use limits::{AddressBuckets, Tally, TallySlot};

/// A client's seat, redeemable once with the reconnect token of the connection holding it.
pub struct Ticket {
    pub client: u32,
    pub name: String,
    pub lobby: LobbyHandle,
    /// Set once the connection dropped: the end of the reconnect grace period.
    pub expires: Option<Instant>,
}

impl Ticket {
    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|t| t > now)
    }
}

/// State shared by every connection.
pub struct AppState {
    pub config: Config,
    pub lobbies: Arc<Lobbies>,
    next_client: AtomicU32,
    connections: Arc<Tally>,
    shutdown: watch::Sender<bool>,
    tickets: Mutex<HashMap<ReconnectToken, Ticket>>,
    /// Lobby listings (WebSocket and HTTP) per address.
    pub listings: AddressBuckets,
    /// Lobbies created per address.
    pub creations: AddressBuckets,
    /// Failed joins by code per address.
    pub failed_joins: AddressBuckets,
    /// Origins whose pages may open sockets when `--allowed-origins` is not given.
    pub own_origins: Vec<String>,
}

/// A WebSocket connection's place in the limits; given back when dropped.
pub type ConnectionSlot = TallySlot;

impl AppState {
    pub fn new(config: Config, lobbies: Arc<Lobbies>, own_origins: Vec<String>) -> Arc<Self> {
        let connections = Tally::new(config.max_connections, config.max_connections_per_ip);
        Arc::new(Self {
            config,
            lobbies,
            next_client: AtomicU32::new(1),
            connections,
            shutdown: watch::Sender::new(false),
            tickets: Mutex::default(),
            listings: AddressBuckets::new(LISTINGS_PER_IP.0, LISTINGS_PER_IP.1),
            creations: AddressBuckets::new(CREATIONS_PER_IP.0, CREATIONS_PER_IP.1),
            failed_joins: AddressBuckets::new(FAILED_JOINS_PER_IP.0, FAILED_JOINS_PER_IP.1),
            own_origins,
        })
    }

    pub fn next_client_id(&self) -> u32 {
        self.next_client.fetch_add(1, Ordering::Relaxed)
    }

    /// Counts a new connection against the server and per-address limits.
    pub fn admit(&self, ip: IpAddr) -> Result<ConnectionSlot, Refusal> {
        self.connections.admit(ip)
    }

    fn tickets(&self) -> std::sync::MutexGuard<'_, HashMap<ReconnectToken, Ticket>> {
        self.tickets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Files a seat under the token of the connection that holds it (and forgets expired ones).
    pub fn file_seat(&self, token: ReconnectToken, ticket: Ticket) {
        let now = Instant::now();
        let mut tickets = self.tickets();
        tickets.retain(|_, t| t.live(now));
        tickets.insert(token, ticket);
    }

    /// The connection dropped: its seat stays redeemable until `expires`. (Nothing happens if
    /// the token was already redeemed by a newer connection.)
    pub fn hold_seat(&self, token: &ReconnectToken, expires: Instant) {
        if let Some(t) = self.tickets().get_mut(token) {
            t.expires = Some(expires);
        }
    }

    /// The client left its seat on purpose.
    pub fn forget_seat(&self, token: &ReconnectToken) {
        self.tickets().remove(token);
    }

    /// Redeems a token: each works once, and only while its seat may still be held.
    pub fn redeem(&self, token: &ReconnectToken) -> Option<Ticket> {
        let ticket = self.tickets().remove(token)?;
        ticket.live(Instant::now()).then_some(ticket)
    }

    pub fn connections(&self) -> usize {
        self.connections.total()
    }

    /// Tells every session to close with a reason.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Waits until no WebSocket connection is left.
    pub async fn idle(&self) {
        self.connections.idle().await
    }
}
