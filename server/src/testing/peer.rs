//! A client connection driven in process with no socket: each frame goes straight into the
//! connection's protocol logic ([`Connection`]) at a time the test sets by hand, the lobby
//! calls it asks for are carried out against the real lobby directory, and what the server
//! sends is read back from the connection's outbox. For the edge's tests of the handshake,
//! budgets, rate limits and lobby requests, which then need neither sockets nor sleeps.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use tickwire_protocol::codec::encode;
use tickwire_protocol::messages::{ClientMsg, ServerMsg};
use tickwire_protocol::{PROTOCOL_VERSION, decode_server};

use crate::config::Config;
use crate::net::AppState;
use crate::net::connection::{Connection, Ending, Incoming, Step};
use crate::outbox::{Outbox, OutboxReader, Outgoing};

/// Longest a test waits for a frame from the server.
const WAIT: Duration = Duration::from_secs(5);

/// Server state for in-process peers: the built-in games on their embedded maps, configured
/// by command-line options (`["--rate-limit", "10"]`). No listener is bound.
pub fn app(args: &[&str]) -> anyhow::Result<Arc<AppState>> {
    let config = Config::try_parse_from(std::iter::once("tickwire").chain(args.iter().copied()))?;
    let lobbies = crate::app::lobbies(&config, crate::games::built_in())?;
    Ok(AppState::new(config, lobbies, Vec::new()))
}

/// One client's connection, its clock stepped by the test.
pub struct Peer {
    conn: Connection,
    outbox: Arc<Outbox>,
    reader: OutboxReader,
    /// The connection's clock: only [`Peer::advance`] moves it.
    pub now: Instant,
    /// How the connection ended, once it has.
    pub ended: Option<Ending>,
}

impl Peer {
    /// A new connection from `ip` (any address; 127.0.0.1 if `None`).
    pub fn connect(app: &Arc<AppState>, ip: Option<IpAddr>) -> Self {
        let (outbox, reader) = Outbox::new();
        let now = Instant::now();
        let ip = ip.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let conn = Connection::new(app.clone(), app.next_client_id(), outbox.clone(), ip, now);
        Self {
            conn,
            outbox,
            reader,
            now,
            ended: None,
        }
    }

    /// Moves the connection's clock on.
    pub fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    /// Sends a message; returns how the connection ended if it did.
    pub async fn send(&mut self, msg: &ClientMsg) -> Option<Ending> {
        self.send_frame(Incoming::Binary(&encode(msg))).await
    }

    /// Sends a frame as the socket would deliver it.
    pub async fn send_frame(&mut self, frame: Incoming<'_>) -> Option<Ending> {
        assert!(self.ended.is_none(), "the connection has ended");
        let mut step = self.conn.on_frame(self.now, frame);
        loop {
            match step {
                Step::Read => return None,
                Step::Call(call) => step = self.conn.answered(self.now, call.perform().await),
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

    /// The next message the server sent (snapshots and rosters included), waiting for it.
    pub async fn recv(&mut self) -> anyhow::Result<ServerMsg> {
        match self.next().await? {
            Outgoing::Frame(frame) => Ok(decode_server(&frame)?),
            Outgoing::Close(code, reason) => anyhow::bail!("closed {code}: {reason}"),
            Outgoing::Drain => anyhow::bail!("an in-process outbox has no socket to drain"),
        }
    }

    /// The next thing the server wrote: a frame, or the close frame's code and reason.
    pub async fn next(&mut self) -> anyhow::Result<Outgoing> {
        tokio::time::timeout(WAIT, self.reader.next(&self.outbox))
            .await?
            .ok_or_else(|| anyhow::anyhow!("outbox gone"))
    }

    /// Messages the server has sent that are waiting, without waiting for more.
    pub fn pending(&mut self) -> Vec<ServerMsg> {
        let mut out = Vec::new();
        while let Some(Outgoing::Frame(frame)) = self.outbox.take() {
            if let Ok(msg) = decode_server(&frame) {
                out.push(msg);
            }
        }
        out
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // Tell the lobby, as the socket loop does when a connection drops.
        if let (Some(call), Ok(runtime)) = (
            self.conn.disconnect(self.now),
            tokio::runtime::Handle::try_current(),
        ) {
            runtime.spawn(call.perform());
        }
    }
}
