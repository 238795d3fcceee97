//! Hostile clients built by hand: TCP connections from other loopback addresses, raw
//! WebSocket handshakes and frames (pings, empty continuations, bad bits), a player seated
//! in a lobby over such a socket, partial HTTP requests, and a server whose shutdown a test
//! can time.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use tickwire_protocol::codec::{decode_server, encode};
use tickwire_protocol::messages::{
    ClientMsg, ErrorCode, Input, LobbyTarget, ReconnectToken, ServerMsg,
};
use tickwire_protocol::{InputValues, PROTOCOL_VERSION};
use tickwire_server::app::Server;
use tickwire_server::config::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};

/// A loopback address other than 127.0.0.1, so an attacker counts as another address.
pub fn loopback(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

/// A TCP connection to `to` from the address `from`.
pub async fn connect_from(from: IpAddr, to: SocketAddr) -> Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    Ok(socket.connect(to).await?)
}

/// A WebSocket handshake by hand; the stream then carries frames.
pub async fn raw_websocket(from: IpAddr, to: SocketAddr) -> Result<TcpStream> {
    let (head, s) = handshake(from, to, &format!("Host: {to}\r\n")).await?;
    if !head.starts_with("HTTP/1.1 101") {
        bail!("not upgraded: {head}");
    }
    Ok(s)
}

/// Sends a WebSocket upgrade request with the given extra header lines (each ending in
/// `\r\n`); returns the response head and the stream.
pub async fn handshake(from: IpAddr, to: SocketAddr, headers: &str) -> Result<(String, TcpStream)> {
    handshake_over(connect_from(from, to).await?, headers).await
}

/// [`handshake`] over a connection the caller opened.
async fn handshake_over(mut s: TcpStream, headers: &str) -> Result<(String, TcpStream)> {
    let request = format!(
        "GET /ws HTTP/1.1\r\n{headers}Upgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    s.write_all(request.as_bytes()).await?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut byte))
            .await
            .context("no handshake answer")??;
        if n == 0 {
            bail!("closed during the handshake");
        }
        head.push(byte[0]);
    }
    Ok((String::from_utf8_lossy(&head).into_owned(), s))
}

/// One client frame (masked, as a client must) with the given first byte (FIN, RSV bits,
/// opcode) and payload.
pub fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x11, 0x22, 0x33, 0x44];
    let mut f = vec![first];
    match payload.len() {
        n @ 0..=125 => f.push(0x80 | n as u8),
        n @ 126..=0xffff => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(0x80 | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

pub const FIN: u8 = 0x80;
pub const CONTINUATION: u8 = 0x0;
pub const BINARY: u8 = 0x2;
pub const CLOSE: u8 = 0x8;
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xA;

/// Opens a raw socket from `from`, writes `start` once and then `repeat` as fast as the
/// server takes it for up to `span`; returns the close code the server ended it with.
pub async fn flood(
    from: IpAddr,
    to: SocketAddr,
    start: Vec<u8>,
    repeat: Vec<u8>,
    span: Duration,
) -> Option<u16> {
    let mut s = raw_websocket(from, to).await.ok()?;
    s.write_all(&start).await.ok()?;
    let batch: Vec<u8> = repeat
        .iter()
        .copied()
        .cycle()
        .take(repeat.len() * 200)
        .collect();
    let until = tokio::time::Instant::now() + span;
    while tokio::time::Instant::now() < until {
        // A server that stopped reading lets the socket fill: then only the close matters.
        match tokio::time::timeout(Duration::from_millis(200), s.write_all(&batch)).await {
            Ok(Ok(())) => tokio::task::yield_now().await,
            _ => break,
        }
    }
    close_code(&mut s, Duration::from_secs(3)).await
}

/// Reads what the server sends until it closes the connection (or `limit` passes); returns
/// the close code of its close frame, if one came.
pub async fn close_code(s: &mut TcpStream, limit: Duration) -> Option<u16> {
    let mut buf = Vec::new();
    let read_all = async {
        let mut chunk = [0u8; 4096];
        loop {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if let Some(code) = find_close(&buf) {
                return Some(code);
            }
        }
        find_close(&buf)
    };
    tokio::time::timeout(limit, read_all).await.ok().flatten()
}

/// The code of the first close frame among the server's (unmasked) frames in `buf`.
fn find_close(mut buf: &[u8]) -> Option<u16> {
    while let Some((first, payload, len)) = server_frame(buf) {
        if first & 0x0f == 0x8 && payload.len() >= 2 {
            return Some(u16::from_be_bytes([payload[0], payload[1]]));
        }
        buf = &buf[len..];
    }
    None
}

/// The server frame (unmasked) at the start of `buf`, if it is all there: its first byte,
/// its payload and its whole length.
fn server_frame(buf: &[u8]) -> Option<(u8, &[u8], usize)> {
    let (&first, rest) = buf.split_first()?;
    let (&second, rest) = rest.split_first()?;
    let (len, rest) = match second & 0x7f {
        126 => {
            let (ext, rest) = rest.split_first_chunk::<2>()?;
            (usize::from(u16::from_be_bytes(*ext)), rest)
        }
        127 => {
            let (ext, rest) = rest.split_first_chunk::<8>()?;
            (usize::try_from(u64::from_be_bytes(*ext)).ok()?, rest)
        }
        n => (usize::from(n), rest),
    };
    let payload = rest.get(..len)?;
    Some((first, payload, buf.len() - rest.len() + len))
}

/// A server whose serving task a test can await, to time its shutdown.
pub struct TimedServer {
    pub addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TimedServer {
    pub async fn start(args: &[&str]) -> Result<Self> {
        let argv = ["tickwire", "--addr", "127.0.0.1:0", "--seed", "1"]
            .into_iter()
            .chain(args.iter().copied());
        let server = Server::bind(Config::try_parse_from(argv)?).await?;
        let addr = server.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(server.serve(async move {
            let _ = stopped.await;
        }));
        Ok(Self { addr, stop, served })
    }

    /// Signals shutdown and returns how long serving took to finish (at most `limit`).
    pub async fn shut_down(self, limit: Duration) -> Result<Duration> {
        let start = std::time::Instant::now();
        let _ = self.stop.send(());
        tokio::time::timeout(limit, self.served)
            .await
            .context("the server did not stop")???;
        Ok(start.elapsed())
    }
}

/// A protocol client (said hello) connected from the address `from`.
pub async fn client_from(server: SocketAddr, from: IpAddr, name: &str) -> Result<crate::Client> {
    let stream = connect_from(from, server).await?;
    let mut c = crate::Client::connect_over(stream, &format!("ws://{server}/ws")).await?;
    c.hello(name).await?;
    Ok(c)
}

/// A proxy to `server` for one connection that passes what the server sends at about
/// `bytes_per_second` (a slow link) and what the client sends freely; returns its address.
pub async fn slow_link(server: SocketAddr, bytes_per_second: usize) -> Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let Ok((client, _)) = listener.accept().await else {
            return;
        };
        let Ok(upstream) = TcpStream::connect(server).await else {
            return;
        };
        let (mut client_reads, mut client_writes) = client.into_split();
        let (mut server_reads, mut server_writes) = upstream.into_split();
        let up = tokio::io::copy(&mut client_reads, &mut server_writes);
        let down = async {
            // A slice of the budget every 20 ms.
            let mut buf = vec![0u8; (bytes_per_second / 50).max(1)];
            let mut every = tokio::time::interval(Duration::from_millis(20));
            loop {
                every.tick().await;
                let n = server_reads.read(&mut buf).await?;
                if n == 0 {
                    return std::io::Result::Ok(());
                }
                client_writes.write_all(&buf[..n]).await?;
            }
        };
        tokio::select! {
            _ = up => {}
            _ = down => {}
        }
    });
    Ok(addr)
}

/// A TCP connection to `to` from `from` whose receive buffer holds about `bytes`: a client
/// that stops reading fills it, and then the server's send buffer, within a few frames.
pub async fn connect_small_window(from: IpAddr, to: SocketAddr, bytes: u32) -> Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(bytes)?;
    socket.bind(SocketAddr::new(from, 0))?;
    Ok(socket.connect(to).await?)
}

/// One frame the server sent a raw client.
#[derive(Debug)]
pub enum Heard {
    Msg(ServerMsg),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// A close frame, with its code if it carried one.
    Close(Option<u16>),
}

/// A player seated in a lobby over a WebSocket written by hand: the test writes frames
/// (whole, split, oversized, fragmented) as it likes and reads the server's frames raw.
pub struct RawSeat {
    reads: OwnedReadHalf,
    buf: Vec<u8>,
    pub writes: OwnedWriteHalf,
    pub client_id: u32,
    pub token: ReconnectToken,
    /// The entity it plays.
    pub entity: u32,
    /// Every `Error` the server sent it (its code and message), in order.
    pub errors: Vec<(ErrorCode, String)>,
    /// The payloads of the pongs the server sent it, in order.
    pub pongs: Vec<Vec<u8>>,
    /// Ticks of the snapshots it received, with the newest input seq each says was applied.
    pub snapshots: Vec<(u32, u32)>,
    /// The code of the server's close frame, once one came with a code.
    pub close_code: Option<u16>,
    close_frame: bool,
    hung_up: bool,
    seq: u32,
}

impl RawSeat {
    /// Says hello over `stream` (connected to `server`) as `name` and joins the lobby
    /// `target`.
    pub async fn join(
        stream: TcpStream,
        server: SocketAddr,
        name: &str,
        target: LobbyTarget,
    ) -> Result<Self> {
        let (head, stream) = handshake_over(stream, &format!("Host: {server}\r\n")).await?;
        if !head.starts_with("HTTP/1.1 101") {
            bail!("not upgraded: {head}");
        }
        let (reads, writes) = stream.into_split();
        let mut seat = Self {
            reads,
            buf: Vec::new(),
            writes,
            client_id: 0,
            token: [0; 16],
            entity: 0,
            errors: Vec::new(),
            pongs: Vec::new(),
            snapshots: Vec::new(),
            close_code: None,
            close_frame: false,
            hung_up: false,
            seq: 0,
        };
        seat.send(&ClientMsg::Hello {
            protocol_version: PROTOCOL_VERSION,
            name: name.into(),
            resume: None,
        })
        .await?;
        seat.send(&ClientMsg::JoinLobby {
            target,
            schema: None,
        })
        .await?;
        loop {
            match seat.heard().await? {
                Some(Heard::Msg(ServerMsg::Welcome {
                    client_id,
                    reconnect_token,
                    ..
                })) => (seat.client_id, seat.token) = (client_id, reconnect_token),
                Some(Heard::Msg(ServerMsg::Joined(j))) => {
                    seat.entity = j.entity;
                    return Ok(seat);
                }
                Some(Heard::Msg(ServerMsg::Error { code, message })) => {
                    bail!("join refused: {code:?} {message}")
                }
                Some(Heard::Close(code)) => bail!("closed while joining: {code:?}"),
                None => bail!("the server hung up while joining"),
                Some(_) => {}
            }
        }
    }

    /// Writes bytes as they are (frames made with [`frame`], or parts of them).
    pub async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        Ok(self.writes.write_all(bytes).await?)
    }

    /// Sends one message in one binary frame.
    pub async fn send(&mut self, msg: &ClientMsg) -> Result<()> {
        self.write(&frame(FIN | BINARY, &encode(msg))).await
    }

    /// The next input (seq one more than the last) in its own frame, holding the stick at
    /// (x, y) and acknowledging the newest snapshot received.
    pub fn next_input(&mut self, x: i32, y: i32) -> Vec<u8> {
        frame(FIN | BINARY, &self.next_input_message(x, y))
    }

    /// The encoding of the next input, for a test to frame as it likes.
    pub fn next_input_message(&mut self, x: i32, y: i32) -> Vec<u8> {
        self.seq += 1;
        encode(&ClientMsg::Input(Input {
            seq: self.seq,
            client_tick: self.seq,
            ack: self.snapshots.last().map_or(0, |s| s.0),
            values: InputValues::new(&[x, y]),
        }))
    }

    /// Whether the server sent an `Error` with this code.
    pub fn was_told(&self, code: ErrorCode) -> bool {
        self.errors.iter().any(|(c, _)| *c == code)
    }

    /// The seq of the last input made with [`RawSeat::next_input`].
    pub fn last_seq(&self) -> u32 {
        self.seq
    }

    /// The next frame from the server (within [`crate::TIMEOUT`]); `None` once it closed or
    /// reset the socket. Snapshots, errors and pongs are recorded on the way.
    pub async fn heard(&mut self) -> Result<Option<Heard>> {
        loop {
            if let Some((first, payload, len)) = server_frame(&self.buf) {
                let heard = match first & 0x0f {
                    0x2 => Heard::Msg(decode_server(payload)?),
                    0x8 => Heard::Close(
                        payload
                            .first_chunk::<2>()
                            .map(|code| u16::from_be_bytes(*code)),
                    ),
                    0x9 => Heard::Ping(payload.to_vec()),
                    0xA => Heard::Pong(payload.to_vec()),
                    op => bail!("the server sent a frame of opcode {op}"),
                };
                self.buf.drain(..len);
                match &heard {
                    Heard::Msg(ServerMsg::Snapshot(s)) => {
                        self.snapshots.push((s.body.tick, s.last_input_seq));
                    }
                    Heard::Msg(ServerMsg::Error { code, message }) => {
                        self.errors.push((*code, message.clone()));
                    }
                    Heard::Pong(payload) => self.pongs.push(payload.clone()),
                    Heard::Close(code) => (self.close_code, self.close_frame) = (*code, true),
                    _ => {}
                }
                return Ok(Some(heard));
            }
            let mut chunk = [0u8; 16 << 10];
            let read = tokio::time::timeout(crate::TIMEOUT, self.reads.read(&mut chunk))
                .await
                .context("the server sent nothing")?;
            match read {
                Ok(0) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
                Err(e) => return Err(e.into()),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    continue;
                }
            }
            self.hung_up = true;
            return Ok(None);
        }
    }

    /// Reads up to the next snapshot and returns its tick, answering the server's pings on
    /// the way as a browser does. An error if the server closes the connection instead.
    pub async fn tick(&mut self) -> Result<u32> {
        loop {
            match self.heard().await? {
                Some(Heard::Msg(ServerMsg::Snapshot(s))) => return Ok(s.body.tick),
                Some(Heard::Ping(payload)) => self.write(&frame(FIN | PONG, &payload)).await?,
                Some(Heard::Close(code)) => {
                    bail!("closed with {code:?} after {:?}", self.errors)
                }
                None => bail!("the server hung up after {:?}", self.errors),
                Some(_) => {}
            }
        }
    }

    /// Reads (and drops) everything up to the server's close frame (unless it came
    /// already), answers it as a browser does, and reads on until the server hangs up (an
    /// error if it does not); returns the close frame's code, `None` if there was none.
    pub async fn closed(&mut self) -> Result<Option<u16>> {
        while !self.close_frame && !self.hung_up {
            self.heard().await?;
        }
        if !self.hung_up {
            let code = self.close_code.unwrap_or(1000).to_be_bytes();
            // The server may be gone already.
            let _ = self.write(&frame(FIN | CLOSE, &code)).await;
            while self
                .heard()
                .await
                .context("the server did not hang up after its close frame")?
                .is_some()
            {}
        }
        Ok(self.close_code)
    }
}
