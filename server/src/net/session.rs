//! One WebSocket connection: decodes each binary frame (size-checked first), walks the
//! handshake, answers lobby requests, and forwards play messages to the client's lobby.
//! Everything it sends goes through the client's [`Outbox`], written by a separate task.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use tickwire_protocol::codec::{CodecError, encode};
use tickwire_protocol::messages::{
    ClientMsg, ErrorCode, LobbyTarget, MAX_LOBBY_NAME_CHARS, MAX_NAME_CHARS, ReconnectToken,
    ServerMsg, is_valid_name,
};
use tickwire_protocol::{PROTOCOL_VERSION, decode_client};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tracing::{Instrument, debug, info_span};

use super::budgets::{Budgets, LISTINGS, MOVES};
use super::frames::{FrameWatch, MAX_FRAGMENTS, Violation};
use super::outbox::Outbox;
use super::rate::{RateLimiter, Verdict};
use super::upgrade::Socket;
use super::writer;
use super::{AppState, ConnectionSlot, Refusal, Ticket};
use crate::lobbies::{LobbyHandle, NewLobby};
use crate::lobby::Resume;
use crate::lobby::input::INPUT_QUEUE_CAP;
use crate::lobby::runner::{Command, Play};
use crate::lobby::stats::LobbyStats;
use crate::metrics::METRICS;

/// WebSocket close codes used by the server.
pub mod close {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const PROTOCOL_ERROR: u16 = 1002;
    pub const UNSUPPORTED_DATA: u16 = 1003;
    pub const POLICY: u16 = 1008;
    pub const TOO_BIG: u16 = 1009;
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

/// How long queued frames (and the close frame) may take to flush after the session ends.
const FLUSH_DEADLINE: Duration = Duration::from_secs(2);
/// Seats in a lobby opened by quick join.
const QUICK_JOIN_SEATS: u8 = 16;
/// Ends the session: an error to send (if the peer can still take one), then a close frame.
struct Fatal {
    code: Option<ErrorCode>,
    message: String,
    close: u16,
}

struct Session {
    app: Arc<AppState>,
    client: u32,
    outbox: Arc<Outbox>,
    name: Option<String>,
    lobby: Option<LobbyHandle>,
    /// This connection's reconnect token, sent in `Welcome`.
    token: ReconnectToken,
    /// Play messages forwarded since the lobby's tick counter last moved, and that tick.
    plays_this_tick: (u32, usize),
    budgets: Budgets,
    /// A control frame did not fit in the outbox: the client is not reading.
    stuck: bool,
}

pub async fn run(
    socket: Socket,
    frames: Arc<FrameWatch>,
    app: Arc<AppState>,
    peer: SocketAddr,
    slot: Result<ConnectionSlot, Refusal>,
) {
    let client = app.next_client_id();
    let span = info_span!("conn", client, %peer);
    async move {
        debug!("connected");
        METRICS.clients.inc();
        let (sink, mut stream) = socket.split();
        let (outbox, reader) = Outbox::new();
        let ping_every = app.config.ping_timeout / 3;
        let last_ping = Arc::new(AtomicU64::new(0));
        let writer = tokio::spawn(writer::write_loop(
            sink,
            reader,
            outbox.clone(),
            ping_every,
            last_ping.clone(),
        ));
        let mut session = Session {
            app,
            client,
            outbox: outbox.clone(),
            name: None,
            lobby: None,
            token: [0; 16],
            plays_this_tick: (0, 0),
            budgets: Budgets::new(peer.ip(), Instant::now()),
            stuck: false,
        };
        // The slot counts this connection until its close frame is flushed (shutdown waits
        // for every slot to be given back).
        let (slot, refused) = match slot {
            Ok(slot) => (Some(slot), None),
            Err(refusal) => (None, Some(refusal)),
        };
        let fatal = match refused {
            None => session.read_loop(&mut stream, &frames, &last_ping).await,
            Some(refusal) => Some(Fatal {
                code: Some(ErrorCode::ServerFull),
                message: match refusal {
                    Refusal::ServerFull => {
                        "the server is at its connection limit; try again later".into()
                    }
                    Refusal::TooManyFromAddress => "too many connections from your address".into(),
                },
                close: close::TRY_AGAIN_LATER,
            }),
        };
        session.disconnect().await;
        match fatal {
            Some(f) => {
                debug!(code = ?f.code, message = %f.message, "closing");
                if let Some(code) = f.code {
                    session.refuse(code, f.message.clone());
                }
                outbox.close(f.close, f.message);
            }
            None => outbox.close(close::NORMAL, "bye"),
        }
        drop(session);
        // Finish the closing handshake: flush what is queued, and keep reading (discarding)
        // until the peer's close, so it is not reset while it still sends.
        let drain = async {
            while let Some(Ok(msg)) = stream.next().await {
                if matches!(msg, Message::Close(_)) {
                    break;
                }
            }
        };
        let _ =
            tokio::time::timeout(FLUSH_DEADLINE, futures_util::future::join(writer, drain)).await;
        drop(slot);
        METRICS.clients.dec();
        debug!("disconnected");
    }
    .instrument(span)
    .await
}

impl Session {
    /// Reads frames until the peer leaves (`None`) or the session must end (`Some`): a bad
    /// frame, sustained flooding, a missing pong, a client that does not read, or server
    /// shutdown.
    async fn read_loop(
        &mut self,
        stream: &mut SplitStream<Socket>,
        frames: &FrameWatch,
        last_ping: &AtomicU64,
    ) -> Option<Fatal> {
        let mut shutdown = self.app.shutdown_signal();
        let timeout = self.app.config.ping_timeout;
        let mut limiter = RateLimiter::new(self.app.config.rate_limit, std::time::Instant::now());
        // Both futures live for the whole loop: making them anew for every frame would
        // register a timer and a watch waiter per message.
        let shutdown = shutdown.wait_for(|down| *down);
        let pong_deadline = tokio::time::sleep(timeout);
        tokio::pin!(shutdown, pong_deadline);
        loop {
            let msg = tokio::select! {
                biased;
                _ = &mut shutdown => {
                    return Some(Fatal {
                code: Some(ErrorCode::ShuttingDown), message: "server shutting down".into(), close: close::GOING_AWAY });
                }
                () = &mut pong_deadline => {
                    // The peer is gone or not reading: a close frame is all it may still get.
                    let message = format!("no pong for {} ms", timeout.as_millis());
                    return Some(Fatal { code: None, message, close: close::GOING_AWAY });
                }
                violation = frames.violated() => return Some(frame_violation(violation)),
                msg = stream.next() => msg?,
            };
            let bytes = match msg {
                Ok(Message::Binary(bytes)) => bytes,
                Ok(Message::Pong(payload)) => {
                    // Unsolicited pongs (or answers to an older ping) prove nothing.
                    let expected = last_ping.load(Ordering::Relaxed).to_be_bytes();
                    if payload.as_ref() == expected {
                        pong_deadline
                            .as_mut()
                            .reset(tokio::time::Instant::now() + timeout);
                    }
                    continue;
                }
                Ok(Message::Ping(_) | Message::Frame(_)) => continue,
                Ok(Message::Close(_)) => return None,
                Ok(Message::Text(_)) => {
                    let message =
                        "text frames are not part of the protocol: send binary bincode frames"
                            .into();
                    return Some(Fatal {
                        code: Some(ErrorCode::Malformed),
                        message,
                        close: close::UNSUPPORTED_DATA,
                    });
                }
                Err(WsError::ConnectionClosed | WsError::AlreadyClosed | WsError::Io(_)) => {
                    return None;
                }
                Err(WsError::Capacity(e)) => {
                    return Some(Fatal {
                        code: Some(ErrorCode::TooLarge),
                        message: format!("frame too large: {e}"),
                        close: close::TOO_BIG,
                    });
                }
                Err(e) => {
                    return Some(Fatal {
                        code: Some(ErrorCode::Malformed),
                        message: format!("bad frame: {e}"),
                        close: close::PROTOCOL_ERROR,
                    });
                }
            };
            METRICS.messages_in.inc();
            METRICS.bytes_in.inc_by(bytes.len() as u64);
            if let Some(lobby) = &self.lobby {
                LobbyStats::add(&lobby.shared.stats.bytes_in, bytes.len() as u64);
            }
            match limiter.check(std::time::Instant::now()) {
                Verdict::Accept => {
                    if let Err(fatal) = self.on_frame(&bytes).await {
                        return Some(fatal);
                    }
                    if self.stuck {
                        let message = "not reading fast enough".into();
                        return Some(Fatal {
                            code: None,
                            message,
                            close: close::POLICY,
                        });
                    }
                }
                Verdict::Drop { warn: true } => {
                    let rate = self.app.config.rate_limit;
                    self.refuse(
                        ErrorCode::RateLimited,
                        format!("more than {rate} messages a second: the excess is dropped"),
                    );
                    continue;
                }
                Verdict::Drop { warn: false } => continue,
                Verdict::Close => {
                    let message = "kept sending faster than the rate limit".into();
                    return Some(Fatal {
                        code: Some(ErrorCode::RateLimited),
                        message,
                        close: close::POLICY,
                    });
                }
            };
        }
    }

    fn send(&mut self, msg: &ServerMsg) {
        self.send_frame(Bytes::from(encode(msg)));
    }

    fn send_frame(&mut self, frame: Bytes) {
        if !self.outbox.send(frame) {
            self.stuck = true;
        }
    }

    fn refuse(&mut self, code: ErrorCode, message: impl Into<String>) {
        self.send(&ServerMsg::Error {
            code,
            message: message.into(),
        });
    }

    async fn on_frame(&mut self, frame: &[u8]) -> Result<(), Fatal> {
        let msg = match decode_client(frame) {
            Ok(msg) => msg,
            Err(CodecError::TooLarge { len, limit }) => {
                return Err(Fatal {
                    code: Some(ErrorCode::TooLarge),
                    message: format!("frame of {len} bytes is over the {limit}-byte limit"),
                    close: close::TOO_BIG,
                });
            }
            Err(e) => {
                return Err(Fatal {
                    code: Some(ErrorCode::Malformed),
                    message: e.to_string(),
                    close: close::PROTOCOL_ERROR,
                });
            }
        };
        let Some(name) = self.name.clone() else {
            return self.hello(msg).await;
        };
        if let Some(id) = self.outbox.take_removal() {
            // The lobby closed or the operator removed this player (the lobby said so).
            if self.lobby.as_ref().is_some_and(|l| l.id == id) {
                self.lobby = None;
                self.app.forget_seat(&self.token);
            }
        }
        let moves_lobby = matches!(
            msg,
            ClientMsg::CreateLobby { .. }
                | ClientMsg::JoinLobby { .. }
                | ClientMsg::QuickJoin { .. }
                | ClientMsg::LeaveLobby
        );
        if moves_lobby && !self.budgets.lobby_move(Instant::now()) {
            let (burst, rate) = MOVES;
            self.refuse(
                ErrorCode::RateLimited,
                format!(
                    "at most {rate} lobby moves a second (bursts of {burst}): try again shortly"
                ),
            );
            return Ok(());
        }
        match msg {
            ClientMsg::Hello { .. } => self.refuse(ErrorCode::BadHandshake, "already said hello"),
            ClientMsg::ListLobbies => self.list_lobbies(),
            ClientMsg::CreateLobby {
                game,
                name: lobby_name,
                map,
                max_players,
                private,
            } => {
                if !is_valid_name(&lobby_name, MAX_LOBBY_NAME_CHARS) {
                    self.refuse(
                        ErrorCode::InvalidName,
                        format!("lobby names are 1 to {MAX_LOBBY_NAME_CHARS} visible characters: no control, invisible or reordering ones"),
                    );
                } else if self.lobby.is_some() {
                    self.refuse(ErrorCode::AlreadyInLobby, "leave your lobby first");
                } else if !self.may_create() {
                    self.refuse_creation();
                } else {
                    let req = NewLobby {
                        game,
                        name: lobby_name.trim().to_owned(),
                        map,
                        max_players,
                        private,
                    };
                    match self.app.lobbies.create(req) {
                        Ok(handle) => self.join(handle, &name).await,
                        Err(code) => self.refuse(code, create_refusal(code)),
                    }
                }
            }
            ClientMsg::JoinLobby { target, schema } => {
                if matches!(target, LobbyTarget::Code(_)) && !self.may_guess() {
                    self.refuse(
                        ErrorCode::RateLimited,
                        "too many joins by code that found no lobby: try again in a few seconds",
                    );
                    return Ok(());
                }
                let found = match &target {
                    LobbyTarget::Id(id) => self.app.lobbies.by_id(*id),
                    LobbyTarget::Code(code) => self.app.lobbies.by_code(code),
                };
                match found {
                    _ if self.lobby.is_some() => {
                        self.refuse(ErrorCode::AlreadyInLobby, "leave your lobby first")
                    }
                    Some(handle) => {
                        if self.schema_fits(&handle, schema) {
                            self.join(handle, &name).await;
                        }
                    }
                    None => self.failed_join(&target),
                }
            }
            ClientMsg::QuickJoin { game, schema } => self.quick_join(&name, &game, schema).await,
            ClientMsg::LeaveLobby => {
                if self.lobby.is_none() {
                    self.refuse(ErrorCode::NotInLobby, "not in a lobby");
                }
                self.leave().await;
            }
            ClientMsg::Input(input) => {
                // Checked here, against the lobby's input fields, so a bad input costs the
                // lobby nothing and changes nothing.
                let problem = self
                    .lobby
                    .as_ref()
                    .and_then(|l| input.values.check(&l.schema.input).err());
                match problem {
                    Some(why) => self.refuse(ErrorCode::InvalidInput, why),
                    None => self.forward(Play::Input {
                        client: self.client,
                        input,
                    }),
                }
            }
            ClientMsg::RequestFull => self.forward(Play::RequestFull {
                client: self.client,
            }),
            ClientMsg::Ping { client_time } => {
                let server_tick = self
                    .lobby
                    .as_ref()
                    .map_or(0, |l| l.shared.tick.load(Ordering::Relaxed));
                self.send(&ServerMsg::Pong {
                    client_time,
                    server_tick,
                });
            }
        }
        Ok(())
    }

    async fn hello(&mut self, msg: ClientMsg) -> Result<(), Fatal> {
        let ClientMsg::Hello {
            protocol_version,
            name,
            resume,
        } = msg
        else {
            self.refuse(ErrorCode::BadHandshake, "say Hello first");
            return Ok(());
        };
        if protocol_version != PROTOCOL_VERSION {
            return Err(Fatal {
                code: Some(ErrorCode::BadVersion),
                message: format!(
                    "protocol version {protocol_version} is not supported; this server speaks {PROTOCOL_VERSION}"
                ),
                close: close::PROTOCOL_ERROR,
            });
        }
        if !is_valid_name(&name, MAX_NAME_CHARS) {
            self.refuse(
                ErrorCode::InvalidName,
                format!("names are 1 to {MAX_NAME_CHARS} visible characters: no control, invisible or reordering ones"),
            );
            return Ok(());
        }
        if let Some(token) = resume {
            match self.resume(&token).await {
                Ok(()) => return Ok(()),
                Err(why) => self.refuse(ErrorCode::ResumeRefused, why),
            }
        }
        self.name = Some(name.trim().to_owned());
        let welcome = self.welcome();
        self.send(&welcome);
        Ok(())
    }

    /// A `Welcome` with a fresh reconnect token (128 bits from the OS-seeded CSPRNG).
    fn welcome(&mut self) -> ServerMsg {
        self.token = rand::random();
        ServerMsg::Welcome {
            client_id: self.client,
            server_version: env!("CARGO_PKG_VERSION").into(),
            tick_rate: self.app.config.tick_rate,
            reconnect_token: self.token,
        }
    }

    /// Takes back the seat a token holds: same client id, lobby, entity and score.
    async fn resume(&mut self, token: &ReconnectToken) -> Result<(), &'static str> {
        let refused = "that reconnect token is unknown, already used, or its seat was given up";
        let ticket = self.app.redeem(token).ok_or(refused)?;
        let (previous_client, previous_token) = (self.client, self.token);
        self.client = ticket.client;
        let welcome = Bytes::from(encode(&self.welcome()));
        let (reply, answer) = oneshot::channel();
        let cmd = Command::Resume {
            client: ticket.client,
            outbox: self.outbox.clone(),
            welcome,
            reply,
        };
        let outcome = match ticket.lobby.commands.send(cmd).await {
            Ok(()) => answer.await.unwrap_or(Resume::Refused),
            Err(_) => Resume::Refused,
        };
        if !matches!(outcome, Resume::Resumed(_)) {
            (self.client, self.token) = (previous_client, previous_token);
            if outcome == Resume::InUse {
                // The seat's owner is still playing: whoever sent this token cannot take
                // the seat, and the owner keeps the right to.
                self.app.file_seat(*token, ticket);
                return Err("that seat is in use by a connection that is still playing");
            }
            return Err(refused);
        }
        debug!(client = ticket.client, lobby = ticket.lobby.id, "resumed");
        self.name = Some(ticket.name.clone());
        self.seated(ticket.lobby, ticket.name);
        Ok(())
    }

    /// Sends a play message to the lobby, which takes them at its next tick. At most
    /// [`INPUT_QUEUE_CAP`] a tick per connection (the lobby keeps no more per player), so a
    /// few connections sending bursts cannot fill the lobby's queue and crowd out everyone
    /// else's inputs; the excess is dropped here, as it would be by the lobby.
    fn forward(&mut self, play: Play) {
        let Some(lobby) = &self.lobby else {
            return self.refuse(ErrorCode::NotInLobby, "join a lobby first");
        };
        let tick = lobby.shared.tick.load(Ordering::Relaxed);
        let (seen, sent) = &mut self.plays_this_tick;
        if *seen != tick {
            (*seen, *sent) = (tick, 0);
        }
        if *sent >= INPUT_QUEUE_CAP {
            METRICS.inputs_dropped.inc();
            return;
        }
        *sent += 1;
        if let Err(mpsc::error::TrySendError::Closed(_)) = lobby.plays.try_send(play) {
            // The lobby closed (it told this client why); the client may join another.
            self.lobby = None;
            self.app.forget_seat(&self.token);
        }
    }

    async fn try_join(&mut self, handle: &LobbyHandle, name: &str) -> Result<(), ErrorCode> {
        let (reply, answer) = oneshot::channel();
        let cmd = Command::Join {
            client: self.client,
            name: name.to_owned(),
            outbox: self.outbox.clone(),
            reply,
        };
        handle
            .commands
            .send(cmd)
            .await
            .map_err(|_| ErrorCode::UnknownLobby)?;
        answer.await.map_err(|_| ErrorCode::UnknownLobby)??;
        self.seated(handle.clone(), name.to_owned());
        Ok(())
    }

    async fn join(&mut self, handle: LobbyHandle, name: &str) {
        if let Err(code) = self.try_join(&handle, name).await {
            self.refuse(
                code,
                match code {
                    ErrorCode::LobbyFull => format!(
                        "lobby {:?} is full ({} players)",
                        handle.name, handle.max_players
                    ),
                    ErrorCode::UnknownLobby => "that lobby just closed".to_owned(),
                    ErrorCode::InvalidName => {
                        format!(
                            "someone in {:?} already has that name: pick another",
                            handle.name
                        )
                    }
                    _ => format!("could not join: {code:?}"),
                },
            );
        }
    }

    /// Whether a client built for schema hash `expected` (none: any) can play `handle`'s
    /// game; refuses with `SchemaMismatch` if not.
    fn schema_fits(&mut self, handle: &LobbyHandle, expected: Option<u64>) -> bool {
        match expected {
            Some(h) if h != handle.schema_hash => {
                self.refuse(
                    ErrorCode::SchemaMismatch,
                    format!(
                        "this lobby runs {} with schema {:016x}; your client was built for schema {h:016x}",
                        handle.game, handle.schema_hash
                    ),
                );
                false
            }
            _ => true,
        }
    }

    async fn quick_join(&mut self, name: &str, game: &str, schema: Option<u64>) {
        if self.lobby.is_some() {
            return self.refuse(ErrorCode::AlreadyInLobby, "leave your lobby first");
        }
        let games = self.app.lobbies.games();
        let entry = if game.is_empty() {
            games.default_game()
        } else {
            games.get(game)
        };
        let Some(entry) = entry else {
            return self.refuse(ErrorCode::UnknownGame, format!("no game named {game:?}"));
        };
        if let Some(h) = schema.filter(|h| *h != entry.schema_hash) {
            let message = format!(
                "{} has schema {:016x}; your client was built for schema {h:016x}",
                entry.game.name(),
                entry.schema_hash
            );
            return self.refuse(ErrorCode::SchemaMismatch, message);
        }
        let (game, map) = (
            entry.game.name().to_owned(),
            entry.maps.keys().next().cloned().unwrap_or_default(),
        );
        for handle in self.app.lobbies.quick_join_candidates(&game) {
            if self.try_join(&handle, name).await.is_ok() {
                return;
            }
        }
        let req = NewLobby {
            game,
            name: format!("{name}'s lobby"),
            map,
            max_players: QUICK_JOIN_SEATS,
            private: false,
        };
        let req = NewLobby {
            name: req.name.chars().take(MAX_LOBBY_NAME_CHARS).collect(),
            ..req
        };
        if !self.may_create() {
            return self.refuse_creation();
        }
        match self.app.lobbies.create(req) {
            Ok(handle) => self.join(handle, name).await,
            Err(code) => self.refuse(code, create_refusal(code)),
        }
    }

    /// Sends the shared, capped lobby listing, within the connection's and the address's
    /// budgets.
    fn list_lobbies(&mut self) {
        if !self.budgets.listing(&self.app, Instant::now()) {
            let (burst, rate) = LISTINGS;
            return self.refuse(
                ErrorCode::RateLimited,
                format!("at most {rate} lobby listings a second (bursts of {burst})"),
            );
        }
        let frame = self.app.lobbies.listing().frame.clone();
        self.send_frame(frame);
    }

    fn may_create(&mut self) -> bool {
        self.budgets.creation(&self.app, Instant::now())
    }

    fn refuse_creation(&mut self) {
        self.refuse(
            ErrorCode::RateLimited,
            "opening lobbies too fast: join one, or try again in a few seconds",
        );
    }

    fn may_guess(&mut self) -> bool {
        self.budgets.guess(&self.app, Instant::now())
    }

    fn failed_join(&mut self, target: &LobbyTarget) {
        let message = match target {
            LobbyTarget::Id(id) => format!("no public lobby with id {id}"),
            LobbyTarget::Code(code) => {
                self.budgets.failed_guess(&self.app, Instant::now());
                format!("no lobby with code {code:?}")
            }
        };
        self.refuse(ErrorCode::UnknownLobby, message);
    }

    async fn leave(&mut self) {
        if let Some(lobby) = self.lobby.take() {
            self.app.forget_seat(&self.token);
            let _ = lobby
                .commands
                .send(Command::Leave {
                    client: self.client,
                })
                .await;
        }
    }

    /// The connection ended without a leave: the lobby holds the seat, redeemable with this
    /// connection's token for the reconnect grace period.
    async fn disconnect(&mut self) {
        // Whatever became of the seat, this connection's token now expires with the grace.
        self.app.hold_seat(
            &self.token,
            tokio::time::Instant::now() + self.app.config.reconnect_grace,
        );
        let Some(lobby) = self.lobby.take() else {
            return;
        };
        let cmd = Command::Disconnect {
            client: self.client,
            outbox: self.outbox.clone(),
        };
        let _ = lobby.commands.send(cmd).await;
    }

    /// Now seated in `lobby`: the seat is filed under this connection's token.
    fn seated(&mut self, lobby: LobbyHandle, name: String) {
        let ticket = Ticket {
            client: self.client,
            name,
            lobby: lobby.clone(),
            expires: None,
        };
        self.app.file_seat(self.token, ticket);
        self.lobby = Some(lobby);
    }
}

fn create_refusal(code: ErrorCode) -> String {
    match code {
        ErrorCode::UnknownGame => "no game by that name (GET /api/games lists them)".into(),
        ErrorCode::InvalidMaxPlayers => "max players must be 2 to 64".into(),
        ErrorCode::UnknownMap => {
            "that game has no map by that name (GET /api/games lists them)".into()
        }
        ErrorCode::ServerFull => "the server has no room for another lobby".into(),
        _ => format!("could not create the lobby: {code:?}"),
    }
}

/// How a frame-level violation ends the session.
fn frame_violation(v: Violation) -> Fatal {
    match v {
        Violation::Flood => Fatal {
            code: Some(ErrorCode::RateLimited),
            message: "kept sending frames faster than the rate limit".into(),
            close: close::POLICY,
        },
        Violation::TooManyFragments => Fatal {
            code: Some(ErrorCode::TooLarge),
            message: format!("a message in more than {MAX_FRAGMENTS} fragments"),
            close: close::TOO_BIG,
        },
    }
}
