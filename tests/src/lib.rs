//! Test support for end-to-end tests: a real server on 127.0.0.1 port 0 and a protocol
//! client over tokio-tungstenite that keeps the world its snapshots describe.

pub mod attacks;
pub mod cluster;
pub mod honest;
pub mod hostile;
pub mod process;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use tickwire_protocol::codec::encode;
use tickwire_protocol::messages::*;
use tickwire_protocol::schema::Replicate;
use tickwire_protocol::{Input, InputValues, Layout, PROTOCOL_VERSION, WorldState, decode_server};
use tickwire_server::app::Server;
use tickwire_server::config::Config;
pub use tickwire_server::kit::mover::Body;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Longest any single expected message may take to arrive.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// The value of the unlabelled counter or gauge `name` in a Prometheus text exposition.
pub fn metric_value(text: &str, name: &str) -> Option<f64> {
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).ok()?;
    let sample = scrape
        .samples
        .iter()
        .find(|s| s.metric == name && s.labels.is_empty())?;
    match sample.value {
        prometheus_parse::Value::Counter(v)
        | prometheus_parse::Value::Gauge(v)
        | prometheus_parse::Value::Untyped(v) => Some(v),
        _ => None,
    }
}

/// A server running in this process until dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestServer {
    /// Starts a server on 127.0.0.1:0 with the given extra command-line options.
    pub async fn start(args: &[&str]) -> Result<Self> {
        let argv = ["tickwire", "--addr", "127.0.0.1:0", "--seed", "1"]
            .into_iter()
            .chain(args.iter().copied());
        let config = Config::try_parse_from(argv)?;
        let server = Server::bind(config).await?;
        let addr = server.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.serve(async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            addr,
            stop: Some(stop),
        })
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// A plain HTTP GET: (status, body).
    pub async fn get(&self, path: &str) -> Result<(u16, String)> {
        http_get(self.addr, path).await
    }

    /// The value of a counter or gauge in `/metrics`. Metrics are process-wide: a test that
    /// reads one must be alone in its test binary.
    pub async fn metric(&self, name: &str) -> Result<f64> {
        let (status, text) = self.get("/metrics").await?;
        anyhow::ensure!(status == 200, "/metrics answered {status}");
        metric_value(&text, name).with_context(|| format!("{name} in /metrics"))
    }

    pub async fn public_lobbies(&self) -> Result<Vec<serde_json::Value>> {
        let (status, body) = self.get("/api/lobbies").await?;
        if status != 200 {
            bail!("/api/lobbies answered {status}");
        }
        Ok(serde_json::from_str(&body)?)
    }

    pub async fn client(&self, name: &str) -> Result<Client> {
        let mut c = Client::connect(&self.ws_url()).await?;
        c.hello(name).await?;
        Ok(c)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// What the socket delivered next.
#[derive(Debug)]
pub enum Event {
    Msg(ServerMsg),
    Closed(Option<CloseFrame>),
}

/// A protocol client that applies snapshots as they arrive.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub client_id: u32,
    /// The reconnect token of the newest `Welcome`.
    pub token: ReconnectToken,
    pub joined: Option<Joined>,
    layout: Option<Layout>,
    pub roster: Vec<PlayerInfo>,
    worlds: HashMap<u32, WorldState>,
    pub world: Option<WorldState>,
    pub last_input_seq: u32,
    /// Ticks of every snapshot received, in order.
    pub snapshot_ticks: Vec<u32>,
    seq: u32,
}

impl Client {
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url.into_client_request()?).await
    }

    /// Connects with the `Origin` header a browser page at `origin` would send.
    pub async fn connect_from_origin(url: &str, origin: &str) -> Result<Self> {
        let mut request = url.into_client_request()?;
        request.headers_mut().insert("Origin", origin.parse()?);
        Self::connect_with(request).await
    }

    /// Connects over a TCP stream the caller opened (from another source address, say).
    pub async fn connect_over(stream: TcpStream, url: &str) -> Result<Self> {
        let request = url.into_client_request()?;
        let (ws, _) =
            tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream)).await?;
        Ok(Self::over(ws))
    }

    async fn connect_with(
        request: tokio_tungstenite::tungstenite::handshake::client::Request,
    ) -> Result<Self> {
        let (ws, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Self::over(ws))
    }

    fn over(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Self {
        Self {
            ws,
            client_id: 0,
            token: [0; 16],
            joined: None,
            layout: None,
            roster: vec![],
            worlds: HashMap::new(),
            world: None,
            last_input_seq: 0,
            snapshot_ticks: vec![],
            seq: 0,
        }
    }

    pub async fn send(&mut self, msg: &ClientMsg) -> Result<()> {
        self.send_raw(Message::Binary(encode(msg).into())).await
    }

    pub async fn send_raw(&mut self, msg: Message) -> Result<()> {
        Ok(self.ws.send(msg).await?)
    }

    /// The next message or close, applying snapshots and tracking join and roster state.
    pub async fn next_event(&mut self) -> Result<Event> {
        loop {
            let msg = tokio::time::timeout(TIMEOUT, self.ws.next())
                .await
                .context("timed out waiting for the server")?;
            let frame = match msg {
                None => return Ok(Event::Closed(None)),
                Some(Err(e)) => return Err(anyhow!("socket error: {e}")),
                Some(Ok(Message::Close(frame))) => return Ok(Event::Closed(frame)),
                Some(Ok(Message::Binary(b))) => b,
                Some(Ok(Message::Text(t))) => bail!("server sent a text frame: {t}"),
                Some(Ok(_)) => continue,
            };
            let msg = decode_server(&frame)?;
            match &msg {
                ServerMsg::Welcome {
                    client_id,
                    reconnect_token,
                    ..
                } => {
                    self.client_id = *client_id;
                    self.token = *reconnect_token;
                }
                ServerMsg::Joined(j) => {
                    anyhow::ensure!(j.schema.hash() == j.schema_hash, "schema hash mismatch");
                    self.layout = Some(Layout::new(&j.schema)?);
                    self.joined = Some((**j).clone());
                    self.worlds.clear();
                    self.world = None;
                }
                ServerMsg::Left => self.joined = None,
                ServerMsg::Roster { players, .. } => self.roster = players.clone(),
                ServerMsg::Snapshot(s) => {
                    let base = match s.body.baseline {
                        Some(t) => Some(
                            self.worlds
                                .get(&t)
                                .with_context(|| format!("baseline {t} not held"))?,
                        ),
                        None => None,
                    };
                    let layout = self.layout.as_ref().context("a snapshot before Joined")?;
                    let world = s.body.apply(layout, base)?;
                    self.last_input_seq = s.last_input_seq;
                    if let Some(b) = s.body.baseline {
                        self.worlds.retain(|t, _| *t >= b);
                    }
                    self.worlds.insert(world.tick, world.clone());
                    self.snapshot_ticks.push(world.tick);
                    self.world = Some(world);
                }
                _ => {}
            }
            return Ok(Event::Msg(msg));
        }
    }

    pub async fn recv(&mut self) -> Result<ServerMsg> {
        match self.next_event().await? {
            Event::Msg(m) => Ok(m),
            Event::Closed(f) => bail!("connection closed: {f:?}"),
        }
    }

    /// Skips messages until one matches.
    pub async fn recv_until<T>(
        &mut self,
        mut pick: impl FnMut(&ServerMsg) -> Option<T>,
    ) -> Result<T> {
        let wait = async {
            loop {
                let msg = self.recv().await?;
                if let Some(t) = pick(&msg) {
                    return Ok(t);
                }
            }
        };
        tokio::time::timeout(TIMEOUT, wait)
            .await
            .context("timed out waiting for the expected message")?
    }

    /// The next `Error`, skipping snapshots and the like.
    pub async fn expect_error(&mut self) -> Result<ErrorCode> {
        Ok(self.expect_refusal().await?.0)
    }

    /// The next `Error` with its message, skipping snapshots and the like.
    pub async fn expect_refusal(&mut self) -> Result<(ErrorCode, String)> {
        self.recv_until(|m| match m {
            ServerMsg::Error { code, message } => Some((*code, message.clone())),
            _ => None,
        })
        .await
    }

    /// Skips messages until the socket closes; returns the close frame.
    pub async fn expect_close(&mut self) -> Result<Option<CloseFrame>> {
        let wait = async {
            loop {
                if let Event::Closed(f) = self.next_event().await? {
                    return Ok(f);
                }
            }
        };
        tokio::time::timeout(TIMEOUT, wait)
            .await
            .context("timed out waiting for the close")?
    }

    pub async fn hello(&mut self, name: &str) -> Result<()> {
        self.send(&ClientMsg::Hello {
            protocol_version: PROTOCOL_VERSION,
            name: name.into(),
            resume: None,
        })
        .await?;
        self.recv_until(|m| matches!(m, ServerMsg::Welcome { .. }).then_some(()))
            .await
    }

    /// Says hello presenting a reconnect token; returns the messages up to and including
    /// the `Welcome` (an `Error` comes first when the resume is refused).
    pub async fn hello_resume(
        &mut self,
        name: &str,
        token: ReconnectToken,
    ) -> Result<Vec<ServerMsg>> {
        let hello = ClientMsg::Hello {
            protocol_version: PROTOCOL_VERSION,
            name: name.into(),
            resume: Some(token),
        };
        self.send(&hello).await?;
        let mut seen = Vec::new();
        loop {
            let msg = self.recv().await?;
            let done = matches!(msg, ServerMsg::Welcome { .. });
            seen.push(msg);
            if done {
                return Ok(seen);
            }
        }
    }

    /// The next `Joined` (an `Error` in its place is an error).
    pub async fn expect_joined(&mut self) -> Result<Joined> {
        match self
            .recv_until(|m| {
                matches!(m, ServerMsg::Joined(_) | ServerMsg::Error { .. }).then(|| m.clone())
            })
            .await?
        {
            ServerMsg::Joined(j) => Ok(*j),
            other => bail!("expected Joined, got {other:?}"),
        }
    }

    /// Creates an arena lobby (the default game) and joins it.
    pub async fn create(&mut self, name: &str, max_players: u8, private: bool) -> Result<Joined> {
        self.create_game("arena", "arena", name, max_players, private)
            .await
    }

    /// Creates a lobby of `game` on `map` and joins it.
    pub async fn create_game(
        &mut self,
        game: &str,
        map: &str,
        name: &str,
        max_players: u8,
        private: bool,
    ) -> Result<Joined> {
        self.send(&ClientMsg::CreateLobby {
            game: game.into(),
            name: name.into(),
            map: map.into(),
            max_players,
            private,
        })
        .await?;
        self.expect_joined().await
    }

    pub async fn join(&mut self, target: LobbyTarget) -> Result<Joined> {
        self.send(&ClientMsg::JoinLobby {
            target,
            schema: None,
        })
        .await?;
        self.expect_joined().await
    }

    /// Quick join into the default game.
    pub async fn quick_join(&mut self) -> Result<Joined> {
        self.send(&ClientMsg::QuickJoin {
            game: String::new(),
            schema: None,
        })
        .await?;
        self.expect_joined().await
    }

    /// Sends one input of the arena's kind (a stick), acknowledging the newest world held.
    pub async fn input(&mut self, x: i32, y: i32) -> Result<()> {
        self.input_values(&[x, y]).await
    }

    /// Sends one input with these values, acknowledging the newest world held.
    pub async fn input_values(&mut self, values: &[i32]) -> Result<()> {
        self.seq += 1;
        let ack = self.world.as_ref().map_or(0, |w| w.tick);
        let input = Input {
            seq: self.seq,
            client_tick: self.seq,
            ack,
            values: InputValues::new(values),
        };
        self.send(&ClientMsg::Input(input)).await
    }

    /// Waits for the next snapshot; returns its tick.
    pub async fn next_snapshot(&mut self) -> Result<u32> {
        self.recv_until(|m| match m {
            ServerMsg::Snapshot(s) => Some(s.body.tick),
            _ => None,
        })
        .await
    }

    /// Plays `ticks` ticks holding the stick at (x, y): one input per snapshot received.
    pub async fn hold(&mut self, x: i32, y: i32, ticks: u32) -> Result<()> {
        for _ in 0..ticks {
            self.input(x, y).await?;
            self.next_snapshot().await?;
        }
        Ok(())
    }

    /// Component `C` of entity `id` in the newest world held.
    pub fn get<C: Replicate>(&self, id: u32) -> Option<C> {
        let joined = self.joined.as_ref()?;
        self.world
            .as_ref()?
            .get::<C>(&joined.schema, self.layout.as_ref()?, id)
    }

    /// The body of entity `id` (the built-in games' players and orbs have one).
    pub fn entity(&self, id: u32) -> Option<Body> {
        self.get::<Body>(id)
    }
}

/// A plain HTTP GET of `path` on the server at `addr`: (status, body).
pub async fn http_get(addr: impl std::fmt::Display, path: &str) -> Result<(u16, String)> {
    let client = reqwest::Client::builder().timeout(TIMEOUT).build()?;
    let res = client.get(format!("http://{addr}{path}")).send().await?;
    let status = res.status().as_u16();
    Ok((status, res.text().await?))
}
