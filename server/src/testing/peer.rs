//! A client connection driven in process with no socket: each frame goes straight into the
//! connection's protocol logic ([`Connection`]), the lobby calls it asks for are carried out
//! against the real lobby directory, and what the server sends is read back from the
//! connection's outbox into a [`View`] (the roster, and the worlds its snapshots rebuild).
//! For the edge's tests of the handshake, budgets, rate limits and lobby requests, and for
//! whole lobby flows (joins, listings, drops and resumes), which then need neither sockets
//! nor sleeps.
//!
//! One clock for everything: tokio's. Peers read it for each frame, lobbies tick on it and
//! seats expire by it, so a test on a paused runtime (`#[tokio::test(start_paused = true)]`)
//! steps the whole server: waiting for the next snapshot moves the clock to the lobby's next
//! tick, [`pass`] lets a span of time go by tick after tick, and no wall-clock time is spent.
//! Lobbies must run on the test's runtime (`--lobby-threads 0`, the default) for that.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use tickwire_protocol::codec::encode;
use tickwire_protocol::messages::{
    ClientMsg, ErrorCode, Joined, LobbyInfo, LobbyTarget, ReconnectToken, ServerMsg,
};
use tickwire_protocol::schema::Replicate;
use tickwire_protocol::{Input, InputValues, NetId, PROTOCOL_VERSION};

use super::View;
use crate::config::Config;
use crate::net::AppState;
use crate::net::connection::{Connection, Ending, Incoming, Step};
use crate::outbox::{Outbox, OutboxReader, Outgoing};

/// Longest a test waits for what it expects from the server (on a paused clock, time the
/// lobbies tick through, not time spent).
const WAIT: Duration = Duration::from_secs(5);

/// Server state for in-process peers: the built-in games on their embedded maps, configured
/// by command-line options (`["--rate-limit", "10"]`). No listener is bound. Lobbies run on
/// the caller's runtime, so that a paused test clock steps them.
pub fn app(args: &[&str]) -> anyhow::Result<Arc<AppState>> {
    let config = Config::try_parse_from(std::iter::once("tickwire").chain(args.iter().copied()))?;
    anyhow::ensure!(
        config.lobby_threads == 0,
        "in-process peers step lobbies on the test's clock: lobbies run on its runtime"
    );
    let lobbies = crate::app::lobbies(&config, crate::games::built_in())?;
    Ok(AppState::new(config, lobbies, Vec::new()))
}

/// Lets `by` go by on tokio's clock: on a paused clock, every lobby ticks through it at its
/// own deadlines (none has to catch up), up to and including those due at its last instant,
/// and every peer's budgets refill by it.
pub async fn pass(by: Duration) {
    tokio::time::sleep(by).await;
    // Lobbies woken at the same instant run before the test goes on.
    tokio::task::yield_now().await;
}

/// One client's connection, and what it holds of what the server sent.
pub struct Peer {
    conn: Connection,
    outbox: Arc<Outbox>,
    reader: OutboxReader,
    /// How the connection ended, once it has.
    pub ended: Option<Ending>,
    /// Every message read, the lobby joined, its roster and the worlds rebuilt.
    pub view: View,
    /// From the newest `Welcome`.
    pub client_id: u32,
    pub token: ReconnectToken,
    /// The close frame's code and reason, once the server wrote it.
    pub closed: Option<(u16, String)>,
    /// The newest input seq sent (a resumed seat's connection carries on from the old
    /// one's: the server drops inputs whose seq is not above the newest it received).
    pub seq: u32,
}

impl Peer {
    /// A new connection from `ip` (any address; 127.0.0.1 if `None`).
    pub fn connect(app: &Arc<AppState>, ip: Option<IpAddr>) -> Self {
        let (outbox, reader) = Outbox::new();
        let ip = ip.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let conn = Connection::new(app.clone(), app.next_client_id(), outbox.clone(), ip, now());
        Self {
            conn,
            outbox,
            reader,
            ended: None,
            view: View::default(),
            client_id: 0,
            token: [0; 16],
            closed: None,
            seq: 0,
        }
    }

    /// A new connection from 127.0.0.1 that has said hello as `name`.
    pub async fn player(app: &Arc<AppState>, name: &str) -> anyhow::Result<Self> {
        let mut peer = Self::connect(app, None);
        peer.hello(name).await?;
        Ok(peer)
    }

    /// Sends a message; returns how the connection ended if it did.
    pub async fn send(&mut self, msg: &ClientMsg) -> Option<Ending> {
        self.send_frame(Incoming::Binary(&encode(msg))).await
    }

    /// Sends a frame as the socket would deliver it, at the clock's time, and carries out
    /// the lobby calls it leads to (waiting for the lobby's answers).
    pub async fn send_frame(&mut self, frame: Incoming<'_>) -> Option<Ending> {
        assert!(self.ended.is_none(), "the connection has ended");
        let mut step = self.conn.on_frame(now(), frame);
        loop {
            match step {
                Step::Read => return None,
                Step::Call(call) => step = self.conn.answered(now(), call.perform().await),
                Step::End(ending) => {
                    self.conn.end(ending.clone());
                    self.ended = Some(ending.clone());
                    return Some(ending);
                }
            }
        }
    }

    /// Says hello as `name` and takes the `Welcome`.
    pub async fn hello(&mut self, name: &str) -> anyhow::Result<()> {
        let hello = ClientMsg::Hello {
            protocol_version: PROTOCOL_VERSION,
            name: name.into(),
            resume: None,
        };
        if let Some(ending) = self.send(&hello).await {
            anyhow::bail!("ended: {ending:?}");
        }
        match self.recv().await? {
            ServerMsg::Welcome { .. } => Ok(()),
            other => anyhow::bail!("expected Welcome, got {other:?}"),
        }
    }

    /// Says hello presenting a reconnect token; returns the messages up to and including
    /// the `Welcome` (an `Error` comes first when the resume is refused). Returns once the
    /// lobby has answered: a resume of a seat still in use waits for it to go quiet.
    pub async fn hello_resume(
        &mut self,
        name: &str,
        token: ReconnectToken,
    ) -> anyhow::Result<Vec<ServerMsg>> {
        let hello = ClientMsg::Hello {
            protocol_version: PROTOCOL_VERSION,
            name: name.into(),
            resume: Some(token),
        };
        if let Some(ending) = self.send(&hello).await {
            anyhow::bail!("ended: {ending:?}");
        }
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

    /// Creates an arena lobby (the default game) and joins it.
    pub async fn create(
        &mut self,
        name: &str,
        max_players: u8,
        private: bool,
    ) -> anyhow::Result<Joined> {
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
    ) -> anyhow::Result<Joined> {
        let create = ClientMsg::CreateLobby {
            game: game.into(),
            name: name.into(),
            map: map.into(),
            max_players,
            private,
        };
        self.request(&create).await?;
        self.expect_joined().await
    }

    /// Joins a lobby by id or code.
    pub async fn join(&mut self, target: LobbyTarget) -> anyhow::Result<Joined> {
        self.request(&ClientMsg::JoinLobby {
            target,
            schema: None,
        })
        .await?;
        self.expect_joined().await
    }

    /// Quick join into the default game.
    pub async fn quick_join(&mut self) -> anyhow::Result<Joined> {
        self.request(&ClientMsg::QuickJoin {
            game: String::new(),
            schema: None,
        })
        .await?;
        self.expect_joined().await
    }

    /// Leaves the lobby and takes `Left`.
    pub async fn leave(&mut self) -> anyhow::Result<()> {
        self.request(&ClientMsg::LeaveLobby).await?;
        self.recv_until(|m| matches!(m, ServerMsg::Left).then_some(()))
            .await
    }

    /// The lobby listing, as this client asks for it.
    pub async fn lobbies(&mut self) -> anyhow::Result<Vec<LobbyInfo>> {
        self.request(&ClientMsg::ListLobbies).await?;
        self.recv_until(|m| match m {
            ServerMsg::LobbyList { lobbies } => Some(lobbies.clone()),
            _ => None,
        })
        .await
    }

    /// Sends a message that must not end the connection.
    pub async fn request(&mut self, msg: &ClientMsg) -> anyhow::Result<()> {
        match self.send(msg).await {
            None => Ok(()),
            Some(ending) => anyhow::bail!("ended: {ending:?}"),
        }
    }

    /// Sends one input with these values, acknowledging the newest world held.
    pub async fn input(&mut self, values: &[i32]) -> anyhow::Result<()> {
        self.seq += 1;
        let input = Input {
            seq: self.seq,
            client_tick: self.seq,
            ack: self.view.ack(),
            values: InputValues::new(values),
        };
        self.request(&ClientMsg::Input(input)).await
    }

    /// Plays `ticks` ticks with these input values: one input, then the next snapshot.
    pub async fn hold(&mut self, values: &[i32], ticks: u32) -> anyhow::Result<()> {
        for _ in 0..ticks {
            self.input(values).await?;
            self.next_snapshot().await?;
        }
        Ok(())
    }

    /// Waits for the next snapshot (on a paused clock, the clock moves on to the lobby's
    /// next tick); returns its tick.
    pub async fn next_snapshot(&mut self) -> anyhow::Result<u32> {
        self.recv_until(|m| match m {
            ServerMsg::Snapshot(s) => Some(s.body.tick),
            _ => None,
        })
        .await
    }

    /// The newest input seq the server says it applied.
    pub fn last_input_seq(&self) -> u32 {
        self.view.last_seq
    }

    /// The newest tick whose world this client holds.
    pub fn tick(&self) -> u32 {
        self.view.ack()
    }

    /// Component `C` of entity `id` in the newest world held.
    pub fn get<C: Replicate>(&self, id: NetId) -> Option<C> {
        self.view.get::<C>(id)
    }

    /// Whether the roster lists `client_id` as connected (`None`: not listed).
    pub fn connected(&self, client_id: u32) -> Option<bool> {
        self.view
            .roster
            .iter()
            .find(|p| p.client_id == client_id)
            .map(|p| p.connected)
    }

    /// The next message the server sent (snapshots and rosters included), waiting for it.
    pub async fn recv(&mut self) -> anyhow::Result<ServerMsg> {
        match self.next().await? {
            Outgoing::Frame(frame) => Ok(self.take(&frame)),
            Outgoing::Close(code, reason) => anyhow::bail!("closed {code}: {reason}"),
            Outgoing::Drain => anyhow::bail!("an in-process outbox has no socket to drain"),
        }
    }

    /// Reads messages until one matches.
    pub async fn recv_until<T>(
        &mut self,
        mut pick: impl FnMut(&ServerMsg) -> Option<T>,
    ) -> anyhow::Result<T> {
        let mut last = None;
        let wait = async {
            loop {
                let msg = self.recv().await?;
                if let Some(t) = pick(&msg) {
                    return Ok(t);
                }
                if !matches!(msg, ServerMsg::Snapshot(_)) {
                    last = Some(msg);
                }
            }
        };
        let got = tokio::time::timeout(WAIT, wait).await;
        got.map_err(|_| {
            anyhow::anyhow!("the expected message did not come; the last but snapshots: {last:?}")
        })?
    }

    /// The next `Error`'s code and message, reading past snapshots and the like.
    pub async fn expect_refusal(&mut self) -> anyhow::Result<(ErrorCode, String)> {
        self.recv_until(|m| match m {
            ServerMsg::Error { code, message } => Some((*code, message.clone())),
            _ => None,
        })
        .await
    }

    /// The next `Error`'s code, reading past snapshots and the like.
    pub async fn expect_error(&mut self) -> anyhow::Result<ErrorCode> {
        Ok(self.expect_refusal().await?.0)
    }

    /// The next `Joined` (an `Error` in its place is an error).
    pub async fn expect_joined(&mut self) -> anyhow::Result<Joined> {
        let answer = self
            .recv_until(|m| {
                matches!(m, ServerMsg::Joined(_) | ServerMsg::Error { .. }).then(|| m.clone())
            })
            .await?;
        match answer {
            ServerMsg::Joined(j) => Ok(*j),
            other => anyhow::bail!("expected Joined, got {other:?}"),
        }
    }

    /// Reads until the server closes the connection; returns the close code and reason.
    pub async fn expect_close(&mut self) -> anyhow::Result<(u16, String)> {
        let wait = async {
            loop {
                match self.next().await? {
                    Outgoing::Frame(frame) => {
                        self.take(&frame);
                    }
                    Outgoing::Close(code, reason) => return Ok((code, reason)),
                    Outgoing::Drain => {}
                }
            }
        };
        tokio::time::timeout(WAIT, wait)
            .await
            .map_err(|_| anyhow::anyhow!("the connection was not closed"))?
    }

    /// The next thing the server wrote: a frame, or the close frame's code and reason.
    pub async fn next(&mut self) -> anyhow::Result<Outgoing> {
        let out = tokio::time::timeout(WAIT, self.reader.next(&self.outbox))
            .await?
            .ok_or_else(|| anyhow::anyhow!("outbox gone"))?;
        if let Outgoing::Close(code, reason) = &out {
            self.closed = Some((*code, reason.clone()));
        }
        Ok(out)
    }

    /// Messages the server has sent that are waiting, without waiting for more.
    pub fn pending(&mut self) -> Vec<ServerMsg> {
        let mut out = Vec::new();
        while let Some(next) = self.outbox.take() {
            match next {
                Outgoing::Frame(frame) => out.push(self.take(&frame)),
                Outgoing::Close(code, reason) => self.closed = Some((code, reason)),
                Outgoing::Drain => {}
            }
        }
        out
    }

    /// Takes one frame into the view.
    fn take(&mut self, frame: &[u8]) -> ServerMsg {
        self.view.take(frame);
        let msg = self.view.msgs.last().cloned().expect("just taken");
        if let ServerMsg::Welcome {
            client_id,
            reconnect_token,
            ..
        } = &msg
        {
            (self.client_id, self.token) = (*client_id, *reconnect_token);
        }
        msg
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // Tell the lobby, as the socket loop does when a connection drops.
        if let (Some(call), Ok(runtime)) = (
            self.conn.disconnect(now()),
            tokio::runtime::Handle::try_current(),
        ) {
            runtime.spawn(call.perform());
        }
    }
}

/// The time on tokio's clock (paused and stepped in tests that pause it).
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}
