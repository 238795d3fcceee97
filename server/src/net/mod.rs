//! The network edge: HTTP routes, WebSocket sessions, outboxes, connection limits and
//! shutdown. Only moves bytes between sockets and lobbies; game logic lives in `lobby`.

pub mod http;
pub mod outbox;
pub mod rate;
pub mod session;
pub mod static_files;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tickwire_protocol::messages::ReconnectToken;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use crate::config::Config;
use crate::lobbies::{Lobbies, LobbyHandle};

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
    connections: Mutex<Connections>,
    idle: Notify,
    shutdown: watch::Sender<bool>,
    tickets: Mutex<HashMap<ReconnectToken, Ticket>>,
}

#[derive(Default)]
struct Connections {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    ServerFull,
    TooManyFromAddress,
}

/// A connection's place in the limits; given back when dropped.
pub struct ConnectionSlot {
    app: Arc<AppState>,
    ip: IpAddr,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut c = self.app.conns();
        c.total -= 1;
        if let Some(n) = c.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                c.per_ip.remove(&self.ip);
            }
        }
        if c.total == 0 {
            self.app.idle.notify_waiters();
        }
    }
}

impl AppState {
    pub fn new(config: Config, lobbies: Arc<Lobbies>) -> Arc<Self> {
        Arc::new(Self {
            config,
            lobbies,
            next_client: AtomicU32::new(1),
            connections: Mutex::default(),
            idle: Notify::new(),
            shutdown: watch::Sender::new(false),
            tickets: Mutex::default(),
        })
    }

    fn conns(&self) -> std::sync::MutexGuard<'_, Connections> {
        self.connections.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn next_client_id(&self) -> u32 {
        self.next_client.fetch_add(1, Ordering::Relaxed)
    }

    /// Counts a new connection against the server and per-address limits.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<ConnectionSlot, Refusal> {
        let mut c = self.conns();
        if c.total >= self.config.max_connections {
            return Err(Refusal::ServerFull);
        }
        let per_ip = c.per_ip.get(&ip).copied().unwrap_or(0);
        if self.config.max_connections_per_ip > 0 && per_ip >= self.config.max_connections_per_ip {
            return Err(Refusal::TooManyFromAddress);
        }
        c.total += 1;
        *c.per_ip.entry(ip).or_default() += 1;
        Ok(ConnectionSlot {
            app: self.clone(),
            ip,
        })
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
        self.conns().total
    }

    /// Tells every session to close with a reason.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Waits until no connection is left, or the deadline passes. True if none is left.
    pub async fn wait_idle(&self, deadline: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.idle.notified();
                if self.connections() == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(deadline, wait).await.is_ok()
    }
}
