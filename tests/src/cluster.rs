//! A Tickwire cluster on this machine for the cluster tests: one `redis-server` on a free
//! loopback port (no persistence, its own temporary folder; no Docker, no service manager)
//! and nodes that are the real `tickwire` binary run with `--redis`, each on port 0. Also a
//! client that follows `Redirect`s as the browser SDK does.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tickwire_protocol::messages::{
    ClientMsg, ErrorCode, Joined, LobbyTarget, ReconnectToken, ServerMsg,
};
use tokio::process::{Child, Command};

use crate::process::{Listening, start_listening};
use crate::{Client, metric_value};

/// Most redirects one join follows (a node never sends a redeemed ticket on again).
const MAX_REDIRECTS: usize = 3;

/// The `tickwire` binary: `$TICKWIRE_BIN`, else the one built beside this binary (a
/// benchmark in `target/release/`) or beside its folder (a test in `target/debug/deps/`).
pub fn server_bin() -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("TICKWIRE_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let exe = std::env::current_exe()?;
    if let Some(beside) = exe.parent().map(|dir| dir.join("tickwire"))
        && beside.exists()
    {
        return Ok(beside);
    }
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .context("the test binary's folder")?;
    let bin = dir.join("tickwire");
    if !bin.exists() {
        bail!(
            "no server binary at {}: run the test command (tests/run-all.sh), or `cargo build -p tickwire-server --bin tickwire` first",
            bin.display()
        );
    }
    Ok(bin)
}

/// A free loopback port (bound and let go: good enough for a test machine).
fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A `redis-server` of this test's own.
pub struct Redis {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
}

impl Redis {
    pub async fn start() -> Result<Self> {
        let port = free_port()?;
        let dir =
            std::env::temp_dir().join(format!("tickwire-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let mut redis = Self {
            child: None,
            port,
            dir,
        };
        redis.spawn().await?;
        Ok(redis)
    }

    async fn spawn(&mut self) -> Result<()> {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "yes"])
            .arg("--dir")
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context(
                "starting redis-server: it is not installed; run the test command (tests/run-all.sh), which installs Debian's redis-server",
            )?;
        self.child = Some(child);
        // Ready once it answers PING.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if self.ping().await {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                bail!("redis-server did not answer on port {} in 10 s", self.port);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn ping(&self) -> bool {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let Ok(mut s) = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await else {
            return false;
        };
        let mut buf = [0u8; 7];
        s.write_all(b"PING\r\n").await.is_ok()
            && s.read_exact(&mut buf).await.is_ok()
            && &buf == b"+PONG\r\n"
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills it (SIGKILL): everything it held is lost.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts it again on the same port, empty.
    pub async fn restart(&mut self) -> Result<()> {
        self.kill().await;
        self.spawn().await
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One `tickwire` process in the cluster.
pub struct Node {
    child: Child,
    pid: u32,
    pub addr: SocketAddr,
}

impl Node {
    /// Starts a node against `redis` with the given extra options.
    pub async fn start(redis: &Redis, args: &[&str]) -> Result<Self> {
        let bin = server_bin()?;
        let mut cmd = Command::new(&bin);
        cmd.args(["--addr", "127.0.0.1:0", "--redis", &redis.url()])
            .args(args)
            .stderr(Stdio::null());
        let Listening { child, pid, addr } = start_listening(cmd).await?;
        Ok(Self { child, pid, addr })
    }

    /// Three nodes against `redis`.
    pub async fn three(redis: &Redis, args: &[&str]) -> Result<[Self; 3]> {
        Ok([
            Self::start(redis, args).await?,
            Self::start(redis, args).await?,
            Self::start(redis, args).await?,
        ])
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// The node's process id (for its CPU time in `/proc`).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// A plain HTTP GET: (status, body).
    pub async fn get(&self, path: &str) -> Result<(u16, String)> {
        crate::http_get(self.addr, path).await
    }

    /// The ids of the lobbies `GET /api/lobbies` lists.
    pub async fn listed(&self) -> Result<Vec<u64>> {
        let (status, body) = self.get("/api/lobbies").await?;
        anyhow::ensure!(status == 200, "/api/lobbies answered {status}");
        let lobbies: Vec<serde_json::Value> = serde_json::from_str(&body)?;
        Ok(lobbies.iter().filter_map(|l| l["id"].as_u64()).collect())
    }

    /// The public lobbies `GET /api/lobbies` lists, as JSON.
    pub async fn lobbies(&self) -> Result<Vec<serde_json::Value>> {
        let (status, body) = self.get("/api/lobbies").await?;
        anyhow::ensure!(status == 200, "/api/lobbies answered {status}");
        Ok(serde_json::from_str(&body)?)
    }

    /// A counter or gauge of this node's `/metrics`.
    pub async fn metric(&self, name: &str) -> Result<f64> {
        let (_, text) = self.get("/metrics").await?;
        metric_value(&text, name).with_context(|| format!("{name} in /metrics"))
    }

    /// A client said hello to this node.
    pub async fn client(&self, name: &str) -> Result<Client> {
        let mut c = Client::connect(&self.ws_url()).await?;
        c.hello(name).await?;
        Ok(c)
    }

    /// SIGKILL: no goodbye to Redis.
    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }

    /// SIGTERM, then waits for it to exit.
    pub async fn terminate(&mut self) -> Result<()> {
        std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status()?;
        tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await??;
        Ok(())
    }
}

/// A client seated by a lobby request, after the redirects it followed.
pub struct Seated {
    pub client: Client,
    pub joined: Joined,
    /// The node URL it ended on, and how many redirects took it there.
    pub url: String,
    pub redirects: usize,
}

/// Connects to `url` as `name` and sends `request`, following `Redirect`s (a ticket goes
/// back as `JoinLobby { target: Ticket }`), until `Joined`; an `Error` fails.
pub async fn seat(url: &str, name: &str, request: ClientMsg) -> Result<Seated> {
    let (mut url, mut request) = (url.to_owned(), request);
    for redirects in 0..=MAX_REDIRECTS {
        let mut client = Client::connect(&url).await?;
        client.hello(name).await?;
        client.send(&request).await?;
        let msg = client
            .recv_until(|m| {
                matches!(
                    m,
                    ServerMsg::Joined(_) | ServerMsg::Error { .. } | ServerMsg::Redirect { .. }
                )
                .then(|| m.clone())
            })
            .await?;
        match msg {
            ServerMsg::Joined(joined) => {
                return Ok(Seated {
                    client,
                    joined: *joined,
                    url,
                    redirects,
                });
            }
            ServerMsg::Redirect {
                url: next,
                ticket: Some(ticket),
            } => {
                url = next;
                request = ClientMsg::JoinLobby {
                    target: LobbyTarget::Ticket(ticket),
                    schema: None,
                };
            }
            ServerMsg::Error { code, message } => {
                return Err(Refused {
                    name: name.to_owned(),
                    code,
                    message,
                }
                .into());
            }
            other => bail!("{name}: {other:?}"),
        }
    }
    bail!("{name}: more than {MAX_REDIRECTS} redirects")
}

/// A request [`seat`] sent was refused.
#[derive(Debug)]
pub struct Refused {
    pub name: String,
    pub code: ErrorCode,
    pub message: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: refused ({:?}): {}",
            self.name, self.code, self.message
        )
    }
}

impl std::error::Error for Refused {}

/// As [`seat`], for a lobby that opened moments ago on another node. A lobby reaches the
/// cluster's directory shortly after it opens (opening never waits for Redis), and until
/// it does the other nodes answer `UnknownLobby`: that answer is retried for up to `limit`.
pub async fn seat_once_published(
    url: &str,
    name: &str,
    request: ClientMsg,
    limit: Duration,
) -> Result<Seated> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match seat(url, name, request.clone()).await {
            Err(e)
                if e.downcast_ref::<Refused>()
                    .is_some_and(|r| r.code == ErrorCode::UnknownLobby)
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            seated => return seated,
        }
    }
}

/// Resumes `token`'s seat through `url`, following a `Redirect` to the node holding it.
/// Returns the client and what it got up to the `Welcome`, and the node it ended on.
pub async fn resume(
    url: &str,
    name: &str,
    token: ReconnectToken,
) -> Result<(Client, Vec<ServerMsg>, String)> {
    let mut url = url.to_owned();
    for _ in 0..=MAX_REDIRECTS {
        let mut client = Client::connect(&url).await?;
        client
            .send(&ClientMsg::Hello {
                protocol_version: tickwire_protocol::PROTOCOL_VERSION,
                name: name.into(),
                resume: Some(token),
            })
            .await?;
        let mut seen = Vec::new();
        let next = loop {
            let msg = client.recv().await?;
            match msg {
                ServerMsg::Redirect { url, ticket: None } => break Some(url),
                ServerMsg::Welcome { .. } => {
                    seen.push(msg);
                    break None;
                }
                msg => seen.push(msg),
            }
        };
        match next {
            Some(next) => url = next,
            None => return Ok((client, seen, url)),
        }
    }
    bail!("{name}: more than {MAX_REDIRECTS} redirects")
}

/// Waits (polling every 100 ms, up to `limit`) until `check` holds.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check().await.unwrap_or(false) {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("not within {} s: {what}", limit.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
