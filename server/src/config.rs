//! Command-line options (each also settable from the environment).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// Parses seconds, fractions allowed ("15", "0.5"), into a positive duration.
fn seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(v > 0.0 && v <= 86_400.0) {
        return Err("must be more than 0 and at most 86400 seconds".into());
    }
    Ok(Duration::from_secs_f64(v))
}

/// Shortest admin token accepted: 16 characters (`openssl rand -hex 16` gives 32).
pub const MIN_ADMIN_TOKEN_CHARS: usize = 16;

fn admin_token(s: &str) -> Result<String, String> {
    if s.chars().count() < MIN_ADMIN_TOKEN_CHARS || s.chars().any(char::is_whitespace) {
        return Err(format!(
            "an admin token is at least {MIN_ADMIN_TOKEN_CHARS} characters with no spaces (e.g. `openssl rand -hex 16`)"
        ));
    }
    Ok(s.to_owned())
}

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
    #[arg(long, env = "TICKWIRE_EMPTY_LOBBY_GRACE", default_value = "30", value_parser = seconds)]
    pub empty_lobby_grace: Duration,

    /// Seconds a disconnected player's seat, entity and score are held for a reconnect.
    #[arg(long, env = "TICKWIRE_RECONNECT_GRACE", default_value = "15", value_parser = seconds)]
    pub reconnect_grace: Duration,

    /// Seconds a client may take no snapshot at all before it is disconnected.
    #[arg(long, env = "TICKWIRE_STUCK_CLIENT_TIMEOUT", default_value = "5", value_parser = seconds)]
    pub stuck_client_timeout: Duration,

    /// Seconds without a WebSocket pong before a peer counts as dead (pings go out at a
    /// third of this).
    #[arg(long, env = "TICKWIRE_PING_TIMEOUT", default_value = "10", value_parser = seconds)]
    pub ping_timeout: Duration,

    /// Frames per second a connection may send, whatever their kind (bursts up to twice
    /// this); excess messages are dropped, and a connection that keeps exceeding it is
    /// closed.
    #[arg(long, env = "TICKWIRE_RATE_LIMIT", default_value_t = 120, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: u32,

    /// Most WebSocket connections at once.
    #[arg(long, env = "TICKWIRE_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,

    /// Most WebSocket connections at once from one IP address (0: no limit).
    #[arg(long, env = "TICKWIRE_MAX_CONNECTIONS_PER_IP", default_value_t = 64)]
    pub max_connections_per_ip: usize,

    /// Origins allowed to open a WebSocket, comma-separated (e.g. `https://game.example`);
    /// `*` allows any. By default only pages from this server's own origins: the bound
    /// address (and `localhost` on loopback) and `--public-url`, never the request's `Host`.
    /// Clients that send no Origin (not browsers) are always allowed.
    #[arg(long, env = "TICKWIRE_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// The URL players reach this server at (e.g. `https://game.example`, behind a proxy):
    /// its origin may open sockets. In cluster mode, where other nodes send browsers to
    /// reach this node (its WebSocket is this URL's `/ws`, `wss://` for `https://`); it
    /// defaults to the bound address, which must then not be 0.0.0.0 or [::].
    #[arg(long, env = "TICKWIRE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Cluster mode: the Redis holding the lobby directory every node shares
    /// (`redis://[:password@]host:port[/db]`; `rediss://` for TLS). Without it the server is
    /// a single node and needs no Redis.
    #[arg(long, env = "TICKWIRE_REDIS", hide_env_values = true)]
    pub redis: Option<String>,

    /// Cluster mode: seconds a node's records (its lobbies, itself) live in Redis without a
    /// heartbeat (sent every third of this): a killed node's lobbies leave the directory
    /// within this time.
    #[arg(long, env = "TICKWIRE_CLUSTER_TTL", default_value = "10", value_parser = seconds)]
    pub cluster_ttl: Duration,

    /// Require `Authorization: Bearer TOKEN` on `/metrics` (by default it is public).
    #[arg(long, env = "TICKWIRE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Enables the dashboard's admin actions (close a lobby, remove a player) for requests
    /// bearing `Authorization: Bearer TOKEN` (at least 16 characters). Without it the
    /// dashboard at `/dashboard` is read-only.
    #[arg(long, env = "TICKWIRE_ADMIN_TOKEN", hide_env_values = true, value_parser = admin_token)]
    pub admin_token: Option<String>,

    /// Seconds a client may take to send a whole HTTP request head; slower ones are closed.
    #[arg(long, env = "TICKWIRE_HEADER_READ_TIMEOUT", default_value = "5", value_parser = seconds)]
    pub header_read_timeout: Duration,

    /// Most plain HTTP connections at once (requests not yet upgraded to a WebSocket). Kept,
    /// with --max-connections, below the process's descriptor limit.
    #[arg(long, env = "TICKWIRE_MAX_HTTP_CONNECTIONS", default_value_t = 4096)]
    pub max_http_connections: usize,

    /// Most plain HTTP connections at once from one IP address (0: no limit).
    #[arg(
        long,
        env = "TICKWIRE_MAX_HTTP_CONNECTIONS_PER_IP",
        default_value_t = 64
    )]
    pub max_http_connections_per_ip: usize,

    /// Seconds to wait for clients to take their close frames on shutdown; past it the
    /// server exits whatever is still open.
    #[arg(long, env = "TICKWIRE_SHUTDOWN_DEADLINE", default_value = "5", value_parser = seconds)]
    pub shutdown_deadline: Duration,

    /// Most lobbies open at once.
    #[arg(long, env = "TICKWIRE_MAX_LOBBIES", default_value_t = 1000)]
    pub max_lobbies: usize,

    /// Seed for the lobbies' random numbers (orb spots); random when not given.
    #[arg(long, env = "TICKWIRE_SEED")]
    pub seed: Option<u64>,

    /// Threads serving connections (0: one per core). Fewer threads cost less CPU per
    /// client (no thread wakes another); with --lobby-threads 0, a lobby's tick may then
    /// wait behind connection work and miss its deadline.
    #[arg(long, env = "TICKWIRE_WORKER_THREADS", default_value_t = 0)]
    pub worker_threads: usize,

    /// Threads of their own that lobbies tick on, apart from connections (0: lobbies run
    /// on the connection threads). Connection work can then never delay a tick, but on a
    /// machine with no idle core a tick may wait for the OS to schedule its thread.
    #[arg(long, env = "TICKWIRE_LOBBY_THREADS", default_value_t = 0)]
    pub lobby_threads: usize,

    /// Load maps from this directory instead of the ones built in.
    #[arg(long, env = "TICKWIRE_MAPS_DIR")]
    pub maps_dir: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        let c = Config::try_parse_from(["tickwire"]).expect("defaults parse");
        assert_eq!(c.tick_rate, 30);
        assert_eq!(c.reconnect_grace, Duration::from_secs(15));
        assert!(Config::try_parse_from(["tickwire", "--tick-rate", "121"]).is_err());
        assert!(Config::try_parse_from(["tickwire", "--reconnect-grace", "-1"]).is_err());
        let c = Config::try_parse_from([
            "tickwire",
            "--ping-timeout",
            "0.5",
            "--allowed-origins",
            "https://a.example,https://b.example",
        ])
        .expect("parses");
        assert_eq!(c.ping_timeout, Duration::from_millis(500));
        assert_eq!(c.allowed_origins.len(), 2);
        assert!(Config::try_parse_from(["tickwire", "--admin-token", "short"]).is_err());
        let token = "0123456789abcdef";
        let c = Config::try_parse_from(["tickwire", "--admin-token", token]).expect("parses");
        assert_eq!(c.admin_token.as_deref(), Some(token));
        assert!(c.redis.is_none(), "a single node by default");
        let c = Config::try_parse_from([
            "tickwire",
            "--redis",
            "redis://127.0.0.1:6379",
            "--cluster-ttl",
            "1.5",
        ])
        .expect("parses");
        assert_eq!(c.cluster_ttl, Duration::from_millis(1500));
    }
}
