//! A connection's TCP socket, shared by the connection's task and its lobby's thread, with
//! the one queue every byte sent to it passes through, in order.
//!
//! The WebSocket codec (tungstenite, driven by `link.rs`) reads from the socket, and its
//! writes land in the queue whole. The lobby's thread may write a snapshot frame straight
//! to the socket ([`Wire::write_now`]) when nothing is queued: one vectored write of the
//! frame's few header bytes and the shared body, with no copy, no task woken and no thread
//! crossed. What the socket does not take at once is queued, and the connection's writer
//! finishes it. Server frames are not masked, so a binary frame is its RFC 6455 header and
//! the payload as is. The socket is in the runtime's event loop only while a task waits on
//! it, and the kernel stamps when its bytes arrive (for the pong's `waited_us`).

use std::collections::VecDeque;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::{Buf, Bytes};
use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg, send, setsockopt, sockopt};
use tokio::io::Interest;

use crate::outbox::{DirectWrite, Written};

/// Bytes queued before the socket took them, oldest first.
#[derive(Debug, Default)]
struct Queue {
    chunks: VecDeque<Bytes>,
    bytes: usize,
    /// The codec has written a close frame (its own reply to the peer's close, or the
    /// connection's): nothing may follow it.
    closed: bool,
}

/// Whether the server frames in `bytes` (whole, unmasked, as the codec writes them) include
/// a close frame.
fn has_close(mut bytes: &[u8]) -> bool {
    while let [first, second, rest @ ..] = bytes {
        if first & 0x0f == 0x8 {
            return true;
        }
        let (len, header): (usize, usize) = match second & 0x7f {
            126 if rest.len() >= 2 => (usize::from(u16::from_be_bytes([rest[0], rest[1]])), 2),
            127 if rest.len() >= 8 => {
                let mut n = [0u8; 8];
                n.copy_from_slice(&rest[..8]);
                (
                    usize::try_from(u64::from_be_bytes(n)).unwrap_or(usize::MAX),
                    8,
                )
            }
            126 | 127 => return false,
            n => (usize::from(n), 0),
        };
        bytes = rest.get(header.saturating_add(len)..).unwrap_or(&[]);
    }
    false
}

/// The socket is in the runtime's event loop only while a task may wait on it (the
/// connection's task to read, or the writer for room), under a duplicate descriptor made
/// for that. A seated player's inputs are read by its lobby at each tick, so they wake
/// nothing as they arrive.
#[derive(Debug)]
pub struct Wire {
    tcp: TcpStream,
    events: Mutex<Option<Arc<tokio::net::TcpStream>>>,
    /// The connection's task reads (through the event loop), rather than its lobby at ticks.
    task_reads: AtomicBool,
    queue: Mutex<Queue>,
    /// Bytes the HTTP server read past the upgrade request, read before the socket's.
    early: Mutex<Bytes>,
    /// `early` still holds bytes (checked without its lock on the lobby's reads).
    early_left: AtomicBool,
}

/// Largest frame (header included) written by a copy into one contiguous `send`.
const CONTIGUOUS_WRITE: usize = 1024;

/// A small frame (most snapshots are a few dozen bytes) is copied behind its header on
/// the stack and sent in one `send`: the socket call skips the file layer a vectored
/// `writev` goes through, a measurable part of a write this small.
fn send_contiguous(
    tcp: &TcpStream,
    head: &[u8],
    payload: &[&[u8]],
    total: usize,
) -> io::Result<usize> {
    let mut frame = [0u8; CONTIGUOUS_WRITE];
    let mut at = 0;
    for part in std::iter::once(head).chain(payload.iter().copied()) {
        frame[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    send(tcp.as_raw_fd(), &frame[..total], MsgFlags::MSG_NOSIGNAL).map_err(io::Error::from)
}

/// The header of an unmasked binary frame (FIN set) of `len` payload bytes.
pub fn binary_header(len: usize, out: &mut [u8; 10]) -> &[u8] {
    out[0] = 0x82;
    if len < 126 {
        out[1] = len as u8;
        &out[..2]
    } else if len <= usize::from(u16::MAX) {
        out[1] = 126;
        out[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        &out[..4]
    } else {
        out[1] = 127;
        out[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        &out[..10]
    }
}

impl Wire {
    /// Takes the socket out of the runtime's hands (it must be in one: the wire registers
    /// it with that runtime's event loop).
    pub fn new(tcp: tokio::net::TcpStream, early: Bytes) -> io::Result<Arc<Self>> {
        let tcp = tcp.into_std()?;
        // The kernel stamps when bytes arrive: a lobby reads at its ticks, and a pong says
        // how long the ping waited.
        setsockopt(&tcp, sockopt::ReceiveTimestampns, &true)?;
        Ok(Arc::new(Self {
            tcp,
            events: Mutex::new(None),
            task_reads: AtomicBool::new(true),
            queue: Mutex::new(Queue::default()),
            early_left: AtomicBool::new(!early.is_empty()),
            early: Mutex::new(early),
        }))
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues bytes behind what is queued (the codec's writes).
    fn push(&self, bytes: &[u8]) {
        let mut q = self.queue();
        q.closed = q.closed || has_close(bytes);
        q.bytes += bytes.len();
        q.chunks.push_back(Bytes::copy_from_slice(bytes));
    }

    /// Writes what is queued until the socket would block or nothing is left; true when
    /// nothing is left.
    fn try_drain(&self) -> io::Result<bool> {
        let mut q = self.queue();
        while q.bytes > 0 {
            let slices: Vec<IoSlice<'_>> =
                q.chunks.iter().take(16).map(|c| IoSlice::new(c)).collect();
            let mut n = match (&self.tcp).write_vectored(&slices) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
            };
            q.bytes -= n;
            while n > 0 {
                let Some(front) = q.chunks.front_mut() else {
                    break;
                };
                if front.len() <= n {
                    n -= front.len();
                    q.chunks.pop_front();
                } else {
                    front.advance(n);
                    n = 0;
                }
            }
        }
        Ok(true)
    }

    /// The socket in the runtime's event loop (registered now if it is not).
    fn events(&self) -> io::Result<Arc<tokio::net::TcpStream>> {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(ev) = &*events {
            return Ok(ev.clone());
        }
        let ev = Arc::new(tokio::net::TcpStream::from_std(self.tcp.try_clone()?)?);
        *events = Some(ev.clone());
        Ok(ev)
    }

    /// Writes what is queued, waking `cx` when the socket can take more.
    fn poll_drain(&self, ev: &tokio::net::TcpStream, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            // Through the registration, so that a full socket clears its readiness.
            let drained = ev.try_io(Interest::WRITABLE, || match self.try_drain() {
                Ok(true) => Ok(()),
                Ok(false) => Err(io::ErrorKind::WouldBlock.into()),
                Err(e) => Err(e),
            });
            match drained {
                Ok(()) => return Poll::Ready(Ok(())),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
            match ev.poll_write_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Waits until everything queued is written (or the socket fails).
    pub async fn drain(&self) -> io::Result<()> {
        if self.try_drain()? {
            return Ok(());
        }
        let ev = self.events()?;
        let drained = std::future::poll_fn(|cx| self.poll_drain(&ev, cx)).await;
        if !self.task_reads.load(Ordering::Acquire) {
            // A seated player's socket leaves the event loop again once it takes all.
            self.stop_events();
        }
        drained
    }

    /// Reads what has arrived into `buf` without waiting: first what the HTTP server read
    /// past the upgrade request, then the socket's. `WouldBlock` when nothing has (through
    /// the registration, if there is one, which then waits for more).
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(n) = self.read_early(buf) {
            return Ok(n);
        }
        let events = self
            .events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match events {
            Some(ev) => ev.try_read(buf),
            None => (&self.tcp).read(buf),
        }
    }

    /// [`Wire::try_read`] for the lobby's reads at its ticks: the socket is then out of the
    /// event loop, so this is one system call and no lock. Also says how long ago the last
    /// of the bytes read arrived, by the kernel's receive timestamp.
    pub fn read_direct(&self, buf: &mut [u8]) -> io::Result<(usize, Option<Duration>)> {
        if let Some(n) = self.read_early(buf) {
            return Ok((n, None));
        }
        let mut iov = [IoSliceMut::new(buf)];
        // Room for one timestamp message (CMSG_SPACE of a timespec is 32 bytes).
        let mut control = [0u8; 64];
        let msg = recvmsg::<()>(
            self.tcp.as_raw_fd(),
            &mut iov,
            Some(&mut control),
            MsgFlags::empty(),
        )
        .map_err(io::Error::from)?;
        let arrived = msg.cmsgs().ok().and_then(|mut messages| {
            messages.find_map(|m| match m {
                ControlMessageOwned::ScmTimestampns(ts) => {
                    let secs = u64::try_from(ts.tv_sec()).ok()?;
                    let nanos = u32::try_from(ts.tv_nsec()).ok()?;
                    Some(SystemTime::UNIX_EPOCH + Duration::new(secs, nanos))
                }
                _ => None,
            })
        });
        let waited = arrived.and_then(|at| SystemTime::now().duration_since(at).ok());
        Ok((msg.bytes, waited))
    }

    fn read_early(&self, buf: &mut [u8]) -> Option<usize> {
        if !self.early_left.load(Ordering::Acquire) {
            return None;
        }
        let mut early = self.early.lock().unwrap_or_else(|e| e.into_inner());
        if early.is_empty() {
            return None;
        }
        let n = early.len().min(buf.len());
        buf[..n].copy_from_slice(&early[..n]);
        early.advance(n);
        self.early_left.store(!early.is_empty(), Ordering::Release);
        Some(n)
    }

    /// Waits until the socket may have something to read (it may not: read, and wait
    /// again on `WouldBlock`).
    pub async fn readable(&self) -> io::Result<()> {
        self.task_reads.store(true, Ordering::Release);
        self.events()?.readable().await
    }

    /// The connection's lobby reads it at its ticks: arrivals stop waking the event loop (a
    /// writer waiting for room keeps the socket there until the socket takes all).
    pub fn stop_events(&self) {
        self.task_reads.store(false, Ordering::Release);
        self.events.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    /// Whether a close frame has been queued (nothing may follow it).
    pub fn close_sent(&self) -> bool {
        self.queue().closed
    }

    /// Queues the codec's bytes (whole frames: pongs, pings, close frames) behind what is
    /// queued, and writes what the socket takes now. Once queued they are the wire's to
    /// send: a broken socket shows on the next read or drain.
    pub fn write_codec(&self, bytes: &[u8]) {
        self.push(bytes);
        let _ = self.try_drain();
    }

    /// Queues a binary frame of `payload` behind what is queued (no copy of the payload),
    /// and writes what the socket takes now. An error once a close frame has been queued.
    pub fn send_binary(&self, payload: Bytes) -> io::Result<()> {
        {
            let mut q = self.queue();
            if q.closed {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            let mut head = [0u8; 10];
            let head = binary_header(payload.len(), &mut head);
            q.bytes += head.len() + payload.len();
            q.chunks.push_back(Bytes::copy_from_slice(head));
            q.chunks.push_back(payload);
        }
        self.try_drain().map(|_| ())
    }
}

impl DirectWrite for Wire {
    fn queued(&self) -> usize {
        self.queue().bytes
    }

    /// Writes a binary frame of `payload` (its parts, in order) now if nothing is queued
    /// ahead of it. Never blocks: the socket takes what it can.
    fn write_now(&self, payload: &[&[u8]]) -> Written {
        let mut q = self.queue();
        if q.closed {
            return Written::Failed;
        }
        if q.bytes > 0 {
            return Written::Busy;
        }
        let len: usize = payload.iter().map(|p| p.len()).sum();
        let mut head = [0u8; 10];
        let head = binary_header(len, &mut head);
        let total = head.len() + len;
        let sent = if total <= CONTIGUOUS_WRITE {
            send_contiguous(&self.tcp, head, payload, total)
        } else {
            let mut slices = Vec::with_capacity(payload.len() + 1);
            slices.push(IoSlice::new(head));
            slices.extend(payload.iter().map(|p| IoSlice::new(p)));
            (&self.tcp).write_vectored(&slices)
        };
        let sent = match sent {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
            Err(_) => return Written::Failed,
        };
        if sent == total {
            return Written::All;
        }
        // Queue the rest, as one chunk.
        let mut rest = Vec::with_capacity(total - sent);
        let mut skip = sent;
        for part in std::iter::once(head).chain(payload.iter().copied()) {
            let from = skip.min(part.len());
            skip -= from;
            rest.extend_from_slice(&part[from..]);
        }
        q.bytes += rest.len();
        q.chunks.push_back(Bytes::from(rest));
        Written::Queued
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn pair() -> (Arc<Wire>, tokio::net::TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let client = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        let wire = Wire::new(server, Bytes::from_static(b"early")).expect("wire");
        (wire, client)
    }

    #[test]
    fn headers_follow_rfc_6455() {
        let mut h = [0u8; 10];
        assert_eq!(binary_header(5, &mut h), &[0x82, 5]);
        assert_eq!(binary_header(126, &mut h), &[0x82, 126, 0, 126]);
        assert_eq!(
            binary_header(70_000, &mut h),
            &[0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]
        );
    }

    #[tokio::test]
    async fn nothing_is_written_after_the_codec_sends_a_close_frame() {
        let (wire, _client) = pair().await;
        // A ping, then a close (code 1000), in one write, as the codec batches them.
        wire.write_codec(&[0x89, 1, 7, 0x88, 2, 0x03, 0xe8]);
        assert_eq!(wire.write_now(&[b"late"]), Written::Failed);
        assert!(wire.send_binary(Bytes::from_static(b"late")).is_err());
        assert!(
            !has_close(&[0x82, 126, 0, 200]),
            "a binary frame's header alone"
        );
        assert!(
            has_close(&[0x82, 1, 0x88, 0x88, 0]),
            "a close after a one-byte frame"
        );
    }

    #[tokio::test]
    async fn frames_written_now_and_queued_arrive_whole_and_in_order() {
        let (wire, mut client) = pair().await;
        // The codec's writes go out at once while the socket takes them.
        wire.write_codec(b"codec");
        assert_eq!(wire.queued(), 0);
        assert_eq!(wire.write_now(&[b"ab", b"cd"]), Written::All);
        // A frame larger than the socket's buffers goes partly now, the rest queued; what
        // comes after waits behind it, whoever writes it.
        let big = vec![7u8; 8 << 20];
        assert_eq!(wire.write_now(&[&big]), Written::Queued);
        wire.write_codec(b"after");
        wire.send_binary(Bytes::from_static(b"xy")).expect("queued");
        assert_eq!(wire.write_now(&[b"late"]), Written::Busy);
        let reading = tokio::spawn(async move {
            let mut got = vec![0u8; 5 + 6 + 10 + big.len() + 5 + 4];
            client.read_exact(&mut got).await.expect("read");
            got
        });
        wire.drain().await.expect("drained");
        let got = reading.await.expect("reader");
        assert_eq!(&got[..5], b"codec");
        assert_eq!(&got[5..11], &[0x82, 4, b'a', b'b', b'c', b'd']);
        assert_eq!(&got[11..13], &[0x82, 127]);
        let end = got.len() - 9;
        assert!(got[21..end].iter().all(|b| *b == 7));
        assert_eq!(&got[end..end + 5], b"after");
        assert_eq!(&got[end + 5..], &[0x82, 2, b'x', b'y']);
        // What the HTTP server read early comes first.
        let mut first = [0u8; 8];
        assert_eq!(wire.try_read(&mut first).expect("early bytes"), 5);
        assert_eq!(&first[..5], b"early");
    }
}
