//! Command-line options (each also settable from the environment).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "tickwire",
    version,
    about = "Tickwire: multiplayer game state server with fixed-tick lobbies over WebSocket"
)]
pub struct Config {
    /// Address to listen on for HTTP and WebSocket (port 0 picks a free port).
    #[arg(long, env = "TICKWIRE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Simulation ticks per second for every lobby (1 to 120).
    #[arg(long, env = "TICKWIRE_TICK_RATE", default_value_t = 30, value_parser = clap::value_parser!(u16).range(1..=120))]
    pub tick_rate: u16,

    /// Seconds an empty lobby stays open before it closes.
    #[arg(long, env = "TICKWIRE_EMPTY_LOBBY_GRACE", default_value_t = 30)]
    pub empty_lobby_grace: u64,

    /// Seconds a client may go without taking a single snapshot before it is disconnected.
    #[arg(long, env = "TICKWIRE_STUCK_CLIENT_TIMEOUT", default_value_t = 5)]
    pub stuck_client_timeout: u64,

    /// Most lobbies open at once.
    #[arg(long, env = "TICKWIRE_MAX_LOBBIES", default_value_t = 1000)]
    pub max_lobbies: usize,

    /// Seed for the lobbies' random numbers (orb spots); random when not given.
    #[arg(long, env = "TICKWIRE_SEED")]
    pub seed: Option<u64>,

    /// Load maps from this directory instead of the ones built in.
    #[arg(long, env = "TICKWIRE_MAPS_DIR")]
    pub maps_dir: Option<PathBuf>,
}

impl Config {
    pub fn empty_lobby_grace(&self) -> Duration {
        Duration::from_secs(self.empty_lobby_grace)
    }

    pub fn stuck_client_timeout(&self) -> Duration {
        Duration::from_secs(self.stuck_client_timeout.max(1))
    }
}
