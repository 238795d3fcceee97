//! One WebSocket connection's protocol logic, as a state machine with no socket and no clock
//! of its own: the socket loop (`session.rs`) hands it each frame with the time it arrived
//! and carries out the [`Step`] it returns. It walks the handshake (version, name, resume),
//! answers lobby requests within the connection's budgets, checks inputs against the
//! lobby's schema and forwards play messages. Everything it sends goes into the client's
//! [`Outbox`]; what needs the lobby's answer (joining, resuming) is handed back as a
//! [`Call`] (`net/call.rs`), whose [`Answer`] comes back through [`Connection::answered`].
//! The lobby requests themselves (join, quick join, create, list, leave) are in
//! `requests.rs`.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tickwire_protocol::codec::{CodecError, encode};
use tickwire_protocol::messages::{
    ClientMsg, ErrorCode, LobbyTarget, MAX_LOBBY_NAME_CHARS, MAX_NAME_CHARS, ReconnectToken,
    ServerMsg, is_valid_name,
};
use tickwire_protocol::{PROTOCOL_VERSION, decode_client};
use tokio::sync::{mpsc, oneshot};
use tracing::debug;

mod cluster;
mod requests;

use super::budgets::{Budgets, MOVES};
use super::call::{Answer, Call, Reply};
use super::frames::{MAX_FRAGMENTS, Violation};
use super::rate::{RateLimiter, Verdict};
use super::{AppState, Ticket};
use crate::lobbies::{LobbyHandle, NewLobby};
use crate::lobby::Resume;
use crate::lobby::input::INPUT_QUEUE_CAP;
use crate::lobby::runner::{Command, Play};
use crate::lobby::stats::LobbyStats;
use crate::metrics::METRICS;
use crate::outbox::Outbox;

/// WebSocket close codes used by the server.
pub mod close {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const PROTOCOL_ERROR: u16 = 1002;
    pub const UNSUPPORTED_DATA: u16 = 1003;
    pub const POLICY: u16 = 1008;
    pub const TOO_BIG: u16 = 1009;
    pub const INTERNAL_ERROR: u16 = 1011;
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

/// Seats in a lobby opened by quick join.
const QUICK_JOIN_SEATS: u8 = 16;

/// A frame as the socket delivered it.
pub enum Incoming<'a> {
    Binary(&'a [u8]),
    Text,
    /// Over the frame or message size limit.
    TooLarge(String),
    /// Broken WebSocket framing.
    Broken(String),
}

/// What the socket loop does next.
#[must_use]
pub enum Step {
    /// Read the next frame.
    Read,
    /// Carry out the call, then hand its answer to [`Connection::answered`] (reading nothing
    /// meanwhile, so that each message takes effect in the order the client sent them).
    Call(Call),
    /// End the connection: send the ending's error (if any), then its close frame.
    End(Ending),
}

/// Why a connection ends: an error to send (if the peer can still take one), then a close
/// frame with this code and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    pub code: Option<ErrorCode>,
    pub message: String,
    pub close: u16,
}

impl Ending {
    fn new(code: Option<ErrorCode>, message: impl Into<String>, close: u16) -> Self {
        Self {
            code,
            message: message.into(),
            close,
        }
    }

    /// How a frame-level violation ends the connection.
    pub fn violation(v: Violation) -> Self {
        match v {
            Violation::Flood => Self::new(
                Some(ErrorCode::RateLimited),
                "kept sending frames faster than the rate limit",
                close::POLICY,
            ),
            Violation::TooManyFragments => Self::new(
                Some(ErrorCode::TooLarge),
                format!("a message in more than {MAX_FRAGMENTS} fragments"),
                close::TOO_BIG,
            ),
        }
    }
}

/// What an answer continues.
enum Pending {
    /// Joining `lobby` as `name`; for a quick join, the lobbies left to try and the one to
    /// open if none has room.
    Join {
        lobby: LobbyHandle,
        name: String,
        quick: Option<QuickJoin>,
    },
    /// Taking back `ticket`'s seat with `token`; if refused, the connection goes on as a
    /// new client named `hello_name`.
    Resume {
        ticket: Ticket,
        token: ReconnectToken,
        previous: (u32, ReconnectToken),
        hello_name: String,
    },
    /// A command with no answer.
    Sent,
    /// Cluster mode: a request to the shared directory (`cluster.rs`).
    Cluster(cluster::Waiting),
}

struct QuickJoin {
    candidates: std::vec::IntoIter<LobbyHandle>,
    fallback: NewLobby,
    /// Times the candidates were looked up again after running out (many quick joins at
    /// once fill a lobby while they are on their way; the one opened meanwhile is joined
    /// rather than one more opened).
    rechecks: u8,
}

pub struct Connection {
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
    limiter: RateLimiter,
    /// A control frame did not fit in the outbox: the client is not reading.
    stuck: bool,
    pending: Option<Pending>,
    /// How long the frame being taken waited in the server after it arrived (its lobby
    /// reads it at a tick); a pong reports it.
    waited: Duration,
    /// Its lobby let it go on its own (closed, or removed it) and told it why; play messages
    /// still in flight are dropped quietly until it is seated again.
    let_go: bool,
}

impl Connection {
    pub fn new(
        app: Arc<AppState>,
        client: u32,
        outbox: Arc<Outbox>,
        ip: IpAddr,
        now: Instant,
    ) -> Self {
        let limiter = RateLimiter::new(app.config.rate_limit, now);
        Self {
            app,
            client,
            outbox,
            name: None,
            lobby: None,
            token: [0; 16],
            plays_this_tick: (0, 0),
            waited: Duration::ZERO,
            budgets: Budgets::new(ip, now),
            limiter,
            stuck: false,
            pending: None,
            let_go: false,
        }
    }

    /// The frames taken next waited this long in the server after they arrived (until
    /// said otherwise).
    pub fn waited(&mut self, waited: Duration) {
        self.waited = waited;
    }

    /// Whether the connection holds a seat in a lobby.
    pub fn in_lobby(&self) -> bool {
        self.lobby.is_some()
    }

    /// The client id this connection plays as (a resume changes it).
    pub fn client(&self) -> u32 {
        self.client
    }

    /// Takes one frame that arrived at `now`.
    pub fn on_frame(&mut self, now: Instant, frame: Incoming<'_>) -> Step {
        let bytes = match frame {
            Incoming::Binary(bytes) => bytes,
            Incoming::Text => {
                return Step::End(Ending::new(
                    Some(ErrorCode::Malformed),
                    "text frames are not part of the protocol: send binary bincode frames",
                    close::UNSUPPORTED_DATA,
                ));
            }
            Incoming::TooLarge(why) => {
                return Step::End(Ending::new(
                    Some(ErrorCode::TooLarge),
                    format!("frame too large: {why}"),
                    close::TOO_BIG,
                ));
            }
            Incoming::Broken(why) => {
                return Step::End(Ending::new(
                    Some(ErrorCode::Malformed),
                    format!("bad frame: {why}"),
                    close::PROTOCOL_ERROR,
                ));
            }
        };
        METRICS.messages_in.inc();
        METRICS.bytes_in.inc_by(bytes.len() as u64);
        if let Some(lobby) = &self.lobby {
            LobbyStats::add(&lobby.shared.stats.bytes_in, bytes.len() as u64);
        }
        match self.limiter.check(now) {
            Verdict::Accept => {
                let step = self.message(now, bytes);
                self.settle(step)
            }
            Verdict::Drop { warn } => {
                if warn {
                    let rate = self.app.config.rate_limit;
                    self.refuse(
                        ErrorCode::RateLimited,
                        format!("more than {rate} messages a second: the excess is dropped"),
                    );
                }
                Step::Read
            }
            Verdict::Close => Step::End(Ending::new(
                Some(ErrorCode::RateLimited),
                "kept sending faster than the rate limit",
                close::POLICY,
            )),
        }
    }

    /// Takes the answer to the last [`Step::Call`], at `now`.
    pub fn answered(&mut self, now: Instant, answer: Answer) -> Step {
        let step = match self.pending.take() {
            Some(Pending::Join { lobby, name, quick }) => {
                self.join_answered(now, lobby, name, quick, answer)
            }
            Some(Pending::Resume {
                ticket,
                token,
                previous,
                hello_name,
            }) => self.resume_answered(ticket, token, previous, hello_name, answer),
            Some(Pending::Cluster(waiting)) => self.cluster_answered(now, waiting, answer),
            Some(Pending::Sent) | None => Step::Read,
        };
        self.settle(step)
    }

    /// The connection ended without a leave: the lobby holds the seat, redeemable with this
    /// connection's token for the reconnect grace period. Returns the lobby's notice to send.
    pub fn disconnect(&mut self, now: Instant) -> Option<Call> {
        // Whatever became of the seat, this connection's token now expires with the grace.
        self.app.hold_seat(
            &self.token,
            tokio::time::Instant::from_std(now) + self.app.config.reconnect_grace,
        );
        let lobby = self.lobby.take()?;
        if let Some(cluster) = self.app.lobbies.cluster() {
            cluster.seat_held(self.token, self.app.config.reconnect_grace);
        }
        let command = Command::Disconnect {
            client: self.client,
            outbox: self.outbox.clone(),
        };
        Some(Call::lobby(lobby, command, Reply::None))
    }

    /// Sends the ending's error, if any, and its close frame.
    pub fn end(&mut self, ending: Ending) {
        debug!(code = ?ending.code, message = %ending.message, "closing");
        if let Some(code) = ending.code {
            self.refuse(code, ending.message.clone());
        }
        self.outbox.close(ending.close, ending.message);
    }

    /// A client that does not take its control frames is ended once nothing waits.
    fn settle(&mut self, step: Step) -> Step {
        match step {
            Step::Read if self.stuck => {
                Step::End(Ending::new(None, "not reading fast enough", close::POLICY))
            }
            step => step,
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

    fn message(&mut self, now: Instant, frame: &[u8]) -> Step {
        let msg = match decode_client(frame) {
            Ok(msg) => msg,
            Err(CodecError::TooLarge { len, limit }) => {
                return Step::End(Ending::new(
                    Some(ErrorCode::TooLarge),
                    format!("frame of {len} bytes is over the {limit}-byte limit"),
                    close::TOO_BIG,
                ));
            }
            Err(e) => {
                return Step::End(Ending::new(
                    Some(ErrorCode::Malformed),
                    e.to_string(),
                    close::PROTOCOL_ERROR,
                ));
            }
        };
        let Some(name) = &self.name else {
            return self.hello(now, msg);
        };
        // Only requests that seat the player take its name (a clone per input would cost
        // every tick an allocation).
        let name = || name.clone();
        if let Some(id) = self.outbox.take_removal() {
            // The lobby closed or the operator removed this player (the lobby said so).
            if self.lobby.as_ref().is_some_and(|l| l.id == id) {
                self.lobby = None;
                self.let_go = true;
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
        if moves_lobby && !self.budgets.lobby_move(now) {
            let (burst, rate) = MOVES;
            self.refuse(
                ErrorCode::RateLimited,
                format!(
                    "at most {rate} lobby moves a second (bursts of {burst}): try again shortly"
                ),
            );
            return Step::Read;
        }
        match msg {
            ClientMsg::Hello { .. } => self.refuse(ErrorCode::BadHandshake, "already said hello"),
            ClientMsg::ListLobbies => self.list_lobbies(now),
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
                } else {
                    let req = NewLobby {
                        game,
                        name: lobby_name.trim().to_owned(),
                        map,
                        max_players,
                        private,
                    };
                    return self.create(now, req, name());
                }
            }
            ClientMsg::JoinLobby { target, schema } => {
                // Codes and seat tickets are secrets: only failed guesses cost.
                if !matches!(target, LobbyTarget::Id(_)) && !self.budgets.guess(&self.app, now) {
                    self.refuse(
                        ErrorCode::RateLimited,
                        "too many joins by code that found no lobby: try again in a few seconds",
                    );
                    return Step::Read;
                }
                return self.join_target(now, name(), target, schema);
            }
            ClientMsg::QuickJoin { game, schema } => {
                return self.quick_join(now, name(), &game, schema);
            }
            ClientMsg::LeaveLobby => {
                if self.lobby.is_none() {
                    self.refuse(ErrorCode::NotInLobby, "not in a lobby");
                }
                return self.leave();
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
                let waited_us = u32::try_from(self.waited.as_micros()).unwrap_or(u32::MAX);
                self.send(&ServerMsg::Pong {
                    client_time,
                    server_tick,
                    waited_us,
                });
            }
        }
        Step::Read
    }

    fn hello(&mut self, now: Instant, msg: ClientMsg) -> Step {
        let ClientMsg::Hello {
            protocol_version,
            name,
            resume,
        } = msg
        else {
            self.refuse(ErrorCode::BadHandshake, "say Hello first");
            return Step::Read;
        };
        if protocol_version != PROTOCOL_VERSION {
            return Step::End(Ending::new(
                Some(ErrorCode::BadVersion),
                format!(
                    "protocol version {protocol_version} is not supported; this server speaks {PROTOCOL_VERSION}"
                ),
                close::PROTOCOL_ERROR,
            ));
        }
        if !is_valid_name(&name, MAX_NAME_CHARS) {
            self.refuse(
                ErrorCode::InvalidName,
                format!("names are 1 to {MAX_NAME_CHARS} visible characters: no control, invisible or reordering ones"),
            );
            return Step::Read;
        }
        let hello_name = name.trim().to_owned();
        if let Some(token) = resume {
            match self.app.redeem(&token) {
                Some(ticket) => return self.resume(ticket, token, hello_name),
                // Cluster mode: the seat may be on another node.
                None if self.app.lobbies.cluster().is_some()
                    && self.budgets.guess(&self.app, now) =>
                {
                    return self.find_seat(token, hello_name);
                }
                None => self.refuse(ErrorCode::ResumeRefused, RESUME_REFUSED),
            }
        }
        self.welcome_as(hello_name);
        Step::Read
    }

    /// Greets the client as a new player named `name`.
    fn welcome_as(&mut self, name: String) {
        self.name = Some(name);
        let welcome = self.welcome();
        self.send(&welcome);
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

    /// Asks the lobby for the seat a token holds: same client id, lobby, entity and score.
    fn resume(&mut self, ticket: Ticket, token: ReconnectToken, hello_name: String) -> Step {
        let previous = (self.client, self.token);
        self.client = ticket.client;
        let welcome = Bytes::from(encode(&self.welcome()));
        let (reply, answer) = oneshot::channel();
        let command = Command::Resume {
            client: ticket.client,
            outbox: self.outbox.clone(),
            welcome,
            reply,
        };
        let lobby = ticket.lobby.clone();
        self.pending = Some(Pending::Resume {
            ticket,
            token,
            previous,
            hello_name,
        });
        Step::Call(Call::lobby(lobby, command, Reply::Resume(answer)))
    }

    fn resume_answered(
        &mut self,
        ticket: Ticket,
        token: ReconnectToken,
        previous: (u32, ReconnectToken),
        hello_name: String,
        answer: Answer,
    ) -> Step {
        if let Answer::Resumed(Resume::Resumed(_)) = answer {
            debug!(client = ticket.client, lobby = ticket.lobby.id, "resumed");
            self.name = Some(ticket.name.clone());
            self.seated(ticket.lobby, ticket.name);
            return Step::Read;
        }
        (self.client, self.token) = previous;
        if let Answer::Resumed(Resume::InUse) = answer {
            // The seat's owner is still playing: whoever sent this token cannot take the
            // seat, and the owner keeps the right to.
            self.app.file_seat(token, ticket);
            self.refuse(
                ErrorCode::ResumeRefused,
                "that seat is in use by a connection that is still playing",
            );
        } else {
            self.refuse(ErrorCode::ResumeRefused, RESUME_REFUSED);
        }
        self.welcome_as(hello_name);
        Step::Read
    }

    /// Sends a play message to the lobby, which takes them at its next tick. At most
    /// [`INPUT_QUEUE_CAP`] a tick per connection (the lobby keeps no more per player), so a
    /// few connections sending bursts cannot fill the lobby's queue and crowd out everyone
    /// else's inputs; the excess is dropped here, as it would be by the lobby.
    fn forward(&mut self, play: Play) {
        let Some(lobby) = &self.lobby else {
            // Inputs sent before the client heard its lobby let it go are expected: only a
            // client that was never let go is told it is in no lobby.
            if !self.let_go {
                self.refuse(ErrorCode::NotInLobby, "join a lobby first");
            }
            return;
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
            self.let_go = true;
            self.app.forget_seat(&self.token);
        }
    }
}

pub(super) const RESUME_REFUSED: &str =
    "that reconnect token is unknown, already used, or its seat was given up";
