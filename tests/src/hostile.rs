//! Hostile clients built by hand: TCP connections from other loopback addresses, raw
//! WebSocket handshakes and frames (pings, empty continuations, bad bits), partial HTTP
//! requests, and a server whose shutdown a test can time.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use tickwire_server::app::Server;
use tickwire_server::config::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
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
    let mut s = connect_from(from, to).await?;
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
        n => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

pub const FIN: u8 = 0x80;
pub const CONTINUATION: u8 = 0x0;
pub const BINARY: u8 = 0x2;
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
fn find_close(buf: &[u8]) -> Option<u16> {
    let mut i = 0;
    while i + 2 <= buf.len() {
        let opcode = buf[i] & 0x0f;
        let (len, header) = match buf[i + 1] & 0x7f {
            126 if i + 4 <= buf.len() => {
                (usize::from(u16::from_be_bytes([buf[i + 2], buf[i + 3]])), 4)
            }
            126 | 127 => return None,
            n => (usize::from(n), 2),
        };
        let start = i + header;
        if start + len > buf.len() {
            return None;
        }
        if opcode == 0x8 && len >= 2 {
            return Some(u16::from_be_bytes([buf[start], buf[start + 1]]));
        }
        i = start + len;
    }
    None
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
