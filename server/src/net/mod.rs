//! The network edge: HTTP routes, WebSocket sessions, outboxes. Only moves bytes between
//! sockets and lobbies; all game logic is in `lobby`.

pub mod http;
pub mod outbox;
pub mod session;
pub mod static_files;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::config::Config;
use crate::lobbies::Lobbies;

/// State shared by every connection.
pub struct AppState {
    pub config: Config,
    pub lobbies: Arc<Lobbies>,
    next_client: AtomicU32,
}

impl AppState {
    pub fn new(config: Config, lobbies: Arc<Lobbies>) -> Arc<Self> {
        Arc::new(Self {
            config,
            lobbies,
            next_client: AtomicU32::new(1),
        })
    }

    pub fn next_client_id(&self) -> u32 {
        self.next_client.fetch_add(1, Ordering::Relaxed)
    }
}
