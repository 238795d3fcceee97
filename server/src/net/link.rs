//! A connection's WebSocket: tungstenite's codec state over the connection's [`Wire`], with
//! the connection's protocol logic beside it. One of two reads it at a time: the
//! connection's own task ([`Link::next`]), or, while the player holds a seat, the lobby's
//! thread at each tick, before the step ([`LobbyReads`]). The lobby takes play messages
//! (inputs, pings, full-snapshot requests) itself and hands anything else back to the task
//! as read, so every message is taken once and in order, and an input wakes nothing and
//! crosses no thread (a ping's pong is sent by the connection's writer). The codec's own
//! replies (pongs to WebSocket pings, the close handshake) join the wire's queue either way.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::Duration;

use bytes::Bytes;
use tickwire_protocol::codec::is_play_frame;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{
    CloseFrame, Role, WebSocketConfig, WebSocketContext,
};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::connection::{Connection, Incoming, Step};
use super::frames::FrameGuard;
use super::wire::Wire;
use crate::outbox::LobbyReads;

/// Most messages a lobby takes from one connection in one tick; the rest waits (in the
/// socket or the codec's buffer) for the next. An honest client sends one or two. A
/// message that is not a play message ends the tick's reading of that connection: the
/// connection's task takes it, and the lobby reads on at the next tick.
const LOBBY_READS: usize = 32;

/// What the connection's task is handed to act on.
pub enum Handback {
    /// A message (or the codec's error) as read.
    Read(Result<Message, WsError>),
    /// What the connection's logic asked for on a play message the lobby read: an ending.
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
    /// The lobby seat this connection's messages are read by: its hold number, 0 for none
    /// ([`LobbyReads::hold`]).
    hold: u64,
    /// What the lobby read and left to the connection's task.
    handed: Option<Handback>,
    /// The codec failed (a broken or oversized frame, a reset): it is not read again.
    broken: bool,
}

impl State {
    /// The codec's next message, read by the connection's task.
    fn read(&mut self, wire: &Wire) -> Result<Message, WsError> {
        let mut io = Io::new(wire, &mut self.guard, false);
        read_codec(&mut self.codec, &mut io, &mut self.broken)
    }
}

/// The codec's next message through `io`; once the codec fails (`broken`), never again.
fn read_codec(
    codec: &mut WebSocketContext,
    io: &mut Io<'_>,
    broken: &mut bool,
) -> Result<Message, WsError> {
    if *broken {
        return Err(WsError::AlreadyClosed);
    }
    let read = codec.read(io);
    *broken = read.as_ref().is_err_and(failed);
    read
}

/// Whether a codec error means it failed (not merely: nothing yet, or the close handshake
/// is over).
fn failed(e: &WsError) -> bool {
    match e {
        WsError::Io(io) => io.kind() != io::ErrorKind::WouldBlock,
        WsError::ConnectionClosed | WsError::AlreadyClosed => false,
        _ => true,
    }
}

/// The codec's view of the socket: reads pass the frame guard, writes join the wire's queue.
struct Io<'a> {
    wire: &'a Wire,
    guard: &'a mut FrameGuard,
    /// The lobby's read: the socket is out of the event loop, and once a read comes back
    /// short it is taken to be empty for the rest of the tick (saving the system call that
    /// would say so).
    lobby: bool,
    drained: bool,
    /// How long ago the bytes of the lobby's last read arrived.
    waited: Option<Duration>,
}

impl<'a> Io<'a> {
    fn new(wire: &'a Wire, guard: &'a mut FrameGuard, lobby: bool) -> Self {
        Self {
            wire,
            guard,
            lobby,
            drained: false,
            waited: None,
        }
    }
}

impl Read for Io<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.drained {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = if self.lobby {
            let (n, waited) = self.wire.read_direct(buf)?;
            self.waited = waited.or(self.waited);
            n
        } else {
            self.wire.try_read(buf)?
        };
        self.drained = self.lobby && n < buf.len();
        if n == 0 {
            return Ok(0);
        }
        // Past a frame that broke a rule nothing reaches the codec: what the peer still
        // sends is read and dropped, so the socket is not reset before the connection's
        // error and close frame reach it.
        match self.guard.pass(&buf[..n]) {
            0 => Err(io::ErrorKind::WouldBlock.into()),
            pass => Ok(pass),
        }
    }
}

impl Write for Io<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.wire.write_codec(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub struct Link {
    wire: Arc<Wire>,
    state: Mutex<State>,
    /// The lobby reads; the connection's task waits for a hand-back. Changed only under the
    /// state's lock, read without it by the lobby's cheap check.
    lobby_reads: AtomicBool,
    handed: Notify,
    pongs: Pongs,
    holds: AtomicU64,
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
                hold: 0,
                handed: None,
                broken: false,
            }),
            lobby_reads: AtomicBool::new(false),
            handed: Notify::new(),
            pongs: Pongs::new(),
            holds: AtomicU64::new(0),
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

    /// Sets who reads; the caller holds the state's lock (`_locked`).
    fn set_lobby_reads(&self, _locked: &mut State, on: bool) {
        self.lobby_reads.store(on, Ordering::Release);
    }

    fn lobby_reads(&self) -> bool {
        self.lobby_reads.load(Ordering::Acquire)
    }

    /// The connection's task has acted on everything it was handed: while a lobby holds
    /// the player's seat, the next messages are the lobby's to read.
    pub fn pass_to_lobby(&self) {
        let mut s = self.state();
        let on = s.hold != 0 && s.handed.is_none() && s.conn.in_lobby();
        self.set_lobby_reads(&mut s, on);
        if on {
            self.wire.stop_events();
        }
    }

    /// The connection's task reads from now on, whatever the lobby holds (it is ending).
    pub fn take_back(&self) {
        let mut s = self.state();
        s.hold = 0;
        self.set_lobby_reads(&mut s, false);
    }

    /// The next message (or what the lobby handed back) for the connection's task.
    pub async fn next(&self) -> Handback {
        loop {
            let read = {
                let mut s = self.state();
                if let Some(h) = s.handed.take() {
                    return h;
                }
                if self.lobby_reads() {
                    None
                } else {
                    Some(s.read(&self.wire))
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

    /// After the connection's end: reads (and drops) what the peer still sends until it
    /// closes or hangs up, so the socket is not reset under the frames sent last. Past a
    /// failed frame the bytes are dropped unread by the codec.
    pub async fn until_peer_closes(&self) {
        loop {
            if self.state().broken {
                break;
            }
            match self.next().await {
                Handback::Read(Ok(Message::Close(_))) => return,
                Handback::Read(Err(e)) if !failed(&e) => return,
                Handback::Read(_) | Handback::Step(_) => {}
            }
        }
        let mut buf = [0u8; 4096];
        loop {
            match self.wire.try_read(&mut buf) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if self.wire.readable().await.is_err() {
                        return;
                    }
                }
                Err(_) => return,
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

    /// Sends a close frame (the codec then expects the peer's close). A pong the codec
    /// still owes goes first: nothing follows a close frame.
    pub fn close(&self, code: u16, reason: String) {
        let mut s = self.state();
        let State { codec, guard, .. } = &mut *s;
        let mut io = Io::new(&self.wire, guard, false);
        let _ = codec.flush(&mut io);
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        };
        if codec.close(&mut io, Some(frame.clone())).is_err() && !self.wire.close_sent() {
            // The codec has given up on the connection (the peer half-closed, or sent a
            // broken frame): the peer may still read, so it still gets the close frame.
            let mut bytes = Vec::new();
            if Frame::close(Some(frame)).format(&mut bytes).is_ok() {
                self.wire.write_codec(&bytes);
            }
        }
    }

    fn hand_back(&self, mut s: MutexGuard<'_, State>, handback: Option<Handback>) {
        self.set_lobby_reads(&mut s, false);
        s.handed = handback;
        drop(s);
        self.handed.notify_one();
    }
}

impl LobbyReads for Link {
    fn hold(&self) -> u64 {
        let hold = self.holds.fetch_add(1, Ordering::Relaxed) + 1;
        self.state().hold = hold;
        hold
    }

    fn read(&self, hold: u64) {
        if !self.lobby_reads() {
            return;
        }
        // Busy (the writer sending a ping): read at the next tick rather than wait.
        let mut s = match self.state.try_lock() {
            Ok(s) => s,
            Err(TryLockError::Poisoned(e)) => e.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        if !self.lobby_reads() || s.hold != hold {
            return;
        }
        let now = std::time::Instant::now();
        let State {
            codec,
            guard,
            conn,
            broken,
            ..
        } = &mut *s;
        let mut io = Io::new(&self.wire, guard, true);
        let mut handback = None;
        for _ in 0..LOBBY_READS {
            match read_codec(codec, &mut io, broken) {
                Ok(Message::Binary(frame)) if is_play_frame(&frame) => {
                    conn.waited(io.waited.unwrap_or_default());
                    let step = conn.on_frame(now, Incoming::Binary(&frame));
                    conn.waited(Duration::ZERO);
                    match step {
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

    fn release(&self, hold: u64) {
        let mut s = self.state();
        if s.hold != hold {
            // A newer seat holds it (the player moved on before this lobby let go).
            return;
        }
        s.hold = 0;
        if self.lobby_reads() {
            self.hand_back(s, None);
        }
    }
}
