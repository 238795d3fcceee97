//! A connection's WebSocket: tungstenite's codec state over the connection's [`Wire`], with
//! the connection's protocol logic beside it. One of two reads it at a time: the
//! connection's own task ([`Link::next`]), or, while the player is seated in a lobby, the
//! lobby's thread at each tick, before the step ([`SeatedRead`]). The lobby takes play
//! messages (inputs, pings, full-snapshot requests) itself and hands anything else back to
//! the task with the message as read, so every message is taken once and in order, and the
//! common one wakes nothing and crosses no thread. The codec's replies (pongs, the close
//! handshake) land in the wire's queue either way.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tickwire_protocol::codec::is_play_frame;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{
    CloseFrame, Role, WebSocketConfig, WebSocketContext,
};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::connection::{Connection, Incoming, Step};
use super::frames::FrameGuard;
use super::wire::Wire;
use crate::outbox::SeatedRead;

/// Most messages a lobby takes from one seated connection in one tick; the rest waits in
/// the socket for the next (an honest client sends one or two).
const SEATED_READS: usize = 32;

/// What the connection's task is handed to act on.
pub enum Handback {
    /// A message (or the codec's error) as read.
    Read(Result<Message, WsError>),
    /// What the connection's logic asked for on a play message the lobby read: a call or
    /// an ending.
    Step(Step),
}

/// The pings the writer sends and the pongs that answer them.
#[derive(Debug)]
pub struct Pongs {
    epoch: Instant,
    last_ping: AtomicU64,
    /// When the last ping was answered, in nanoseconds from `epoch`.
    answered: AtomicU64,
}

impl Pongs {
    fn new() -> Self {
        Self {
            epoch: Instant::now(),
            last_ping: AtomicU64::new(0),
            answered: AtomicU64::new(0),
        }
    }

    /// A pong arrived: only one carrying the last ping's number shows the peer reads
    /// (unsolicited pongs, or answers to an older ping, prove nothing).
    pub fn answer(&self, payload: &[u8]) {
        if payload == self.last_ping.load(Ordering::Relaxed).to_be_bytes() {
            let at = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
            self.answered.store(at, Ordering::Relaxed);
        }
    }

    /// When the connection counts as gone unless a ping is answered first.
    pub fn deadline(&self, timeout: Duration) -> Instant {
        self.epoch + Duration::from_nanos(self.answered.load(Ordering::Relaxed)) + timeout
    }
}

struct State {
    codec: WebSocketContext,
    guard: FrameGuard,
    conn: Connection,
    /// A lobby seats this connection and reads it at each tick (see [`SeatedRead::hold`]).
    held: bool,
    /// The lobby reads; the connection's task waits for a hand-back.
    seated: bool,
    /// What the lobby read and left to the connection's task.
    handed: Option<Handback>,
}

impl State {
    fn seat_if_held(&mut self) {
        self.seated = self.held && self.handed.is_none() && self.conn.in_lobby();
    }
}

/// The codec's view of the socket: reads pass the frame guard, writes join the wire's queue.
struct Io<'a> {
    wire: &'a Wire,
    guard: &'a mut FrameGuard,
    /// A seated read: once a read comes back short, the socket is taken to be empty for the
    /// rest of the tick (saving the system call that would say so).
    once: bool,
    drained: bool,
}

impl<'a> Io<'a> {
    fn new(wire: &'a Wire, guard: &'a mut FrameGuard, once: bool) -> Self {
        Self {
            wire,
            guard,
            once,
            drained: false,
        }
    }
}

fn broke_limits() -> io::Error {
    io::Error::other("a frame broke the connection's limits")
}

impl Read for Io<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.drained {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        if self.guard.blocked() {
            return Err(broke_limits());
        }
        let n = self.wire.try_read(buf)?;
        self.drained = self.once && n < buf.len();
        let pass = self.guard.pass(&buf[..n]);
        if pass == 0 && n > 0 {
            return Err(broke_limits());
        }
        Ok(pass)
    }
}

impl Write for Io<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.wire.write_codec(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub struct Link {
    wire: Arc<Wire>,
    state: Mutex<State>,
    handed: Notify,
    pongs: Pongs,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("wire", &self.wire)
            .finish_non_exhaustive()
    }
}

impl Link {
    pub fn new(
        wire: Arc<Wire>,
        guard: FrameGuard,
        conn: Connection,
        config: WebSocketConfig,
    ) -> Arc<Self> {
        Arc::new(Self {
            wire,
            state: Mutex::new(State {
                codec: WebSocketContext::new(Role::Server, Some(config)),
                guard,
                conn,
                held: false,
                seated: false,
                handed: None,
            }),
            handed: Notify::new(),
            pongs: Pongs::new(),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn wire(&self) -> &Arc<Wire> {
        &self.wire
    }

    pub fn pongs(&self) -> &Pongs {
        &self.pongs
    }

    /// The connection's logic, for a moment (never held across an await).
    pub fn conn<R>(&self, f: impl FnOnce(&mut Connection) -> R) -> R {
        f(&mut self.state().conn)
    }

    /// The connection's task has acted on everything it was handed: while a lobby seats
    /// the player, the next messages are the lobby's to read.
    pub fn settle(&self) {
        let mut s = self.state();
        s.seat_if_held();
        if s.seated {
            self.wire.stop_events();
        }
    }

    /// The connection's task reads again (the connection is ending).
    pub fn unseat(&self) {
        let mut s = self.state();
        s.held = false;
        s.seated = false;
    }

    /// The next message (or what the lobby handed back) for the connection's task.
    pub async fn next(&self) -> Handback {
        loop {
            let read = {
                let mut s = self.state();
                if let Some(h) = s.handed.take() {
                    return h;
                }
                if s.seated {
                    None
                } else {
                    let State { codec, guard, .. } = &mut *s;
                    Some(codec.read(&mut Io::new(&self.wire, guard, false)))
                }
            };
            match read {
                None => self.handed.notified().await,
                Some(Err(WsError::Io(e))) if e.kind() == io::ErrorKind::WouldBlock => {
                    if let Err(e) = self.wire.readable().await {
                        return Handback::Read(Err(WsError::Io(e)));
                    }
                }
                Some(read) => return Handback::Read(read),
            }
        }
    }

    /// Sends a ping carrying `number`, which the pong must echo.
    pub fn ping(&self, number: u64) -> Result<(), WsError> {
        self.pongs.last_ping.store(number, Ordering::Relaxed);
        let mut s = self.state();
        let State { codec, guard, .. } = &mut *s;
        let mut io = Io::new(&self.wire, guard, false);
        let payload = Bytes::copy_from_slice(&number.to_be_bytes());
        codec.write(&mut io, Message::Ping(payload))?;
        codec.flush(&mut io)
    }

    /// Sends a close frame (the codec then expects the peer's close).
    pub fn close(&self, code: u16, reason: String) {
        let mut s = self.state();
        let State { codec, guard, .. } = &mut *s;
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        };
        let _ = codec.close(&mut Io::new(&self.wire, guard, false), Some(frame));
    }

    fn hand_back(&self, mut s: MutexGuard<'_, State>, handback: Option<Handback>) {
        s.seated = false;
        s.handed = handback;
        drop(s);
        self.handed.notify_one();
    }
}

impl SeatedRead for Link {
    fn hold(&self) {
        self.state().held = true;
    }

    fn read_seated(&self) {
        let mut s = self.state();
        if !s.seated {
            return;
        }
        let now = Instant::now();
        let State {
            codec, guard, conn, ..
        } = &mut *s;
        let mut io = Io::new(&self.wire, guard, true);
        let mut handback = None;
        for _ in 0..SEATED_READS {
            match codec.read(&mut io) {
                Ok(Message::Binary(frame)) if is_play_frame(&frame) => {
                    match conn.on_frame(now, Incoming::Binary(&frame)) {
                        Step::Read => {}
                        step => {
                            handback = Some(Handback::Step(step));
                            break;
                        }
                    }
                }
                Ok(Message::Pong(payload)) => self.pongs.answer(&payload),
                Ok(Message::Ping(_) | Message::Frame(_)) => {}
                Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => break,
                other => {
                    handback = Some(Handback::Read(other));
                    break;
                }
            }
        }
        if handback.is_some() || !conn.in_lobby() {
            self.hand_back(s, handback);
        }
    }

    fn release(&self) {
        let mut s = self.state();
        s.held = false;
        if s.seated {
            self.hand_back(s, None);
        }
    }
}
