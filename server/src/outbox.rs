//! A client's outbound queue. Control frames (welcome, errors, lobby lists) wait in a queue
//! bounded in frames and in bytes; the roster and snapshots each wait in a one-frame slot,
//! where a newer one replaces an unsent older one, so a slow reader gets stale rosters and
//! snapshots dropped and never holds up its lobby.
//!
//! A snapshot offered while nothing waits and the writer is idle is written straight to the
//! socket from the lobby's thread, when the edge gave the outbox a [`DirectWrite`]: the
//! common case costs one write and wakes nothing. What the socket does not take at once
//! stays queued below, for the writer to finish before anything else.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::Notify;

use crate::metrics::METRICS;

/// Control frames a client may have waiting before it counts as stuck.
pub const CONTROL_CAPACITY: usize = 64;
/// Bytes of control frames a client may have waiting before it counts as stuck.
pub const CONTROL_BYTES: usize = 128 << 10;

#[derive(Debug)]
pub enum Outgoing {
    Frame(Bytes),
    /// Send a close frame with this code and reason, then stop.
    Close(u16, String),
    /// Finish writing what a direct write left queued.
    Drain,
}

/// What a [`DirectWrite::write_now`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The socket took the whole frame.
    All,
    /// The socket took part (or none) of it; the rest is queued for the writer.
    Queued,
    /// Bytes were already queued: nothing was written.
    Busy,
    /// The socket is broken.
    Failed,
}

/// A socket a frame can be written to at once, from any thread, without blocking (the
/// edge's; see `net::wire`).
pub trait DirectWrite: Send + Sync + std::fmt::Debug {
    /// Writes a binary frame of `payload` (its parts, in order) now, unless bytes are
    /// queued ahead of it.
    fn write_now(&self, payload: &[&[u8]]) -> Written;
    /// Bytes queued and not yet taken by the socket.
    fn queued(&self) -> usize;
}

/// A connection whose messages its lobby reads itself while it holds the player's seat: at
/// each tick, before the step, from the lobby's thread (the edge's; see `net::link`).
/// Nothing is woken per message, and nothing crosses a thread.
pub trait LobbyReads: Send + Sync + std::fmt::Debug {
    /// A lobby seats this connection and reads it at every tick from now on; returns the
    /// hold's number, which the lobby reads and lets go by.
    fn hold(&self) -> u64;
    /// Takes the play messages that have arrived, without waiting, and hands anything
    /// else back to the connection's own task; nothing if `hold` is no longer the newest.
    fn read(&self, hold: u64);
    /// The lobby no longer seats this connection: its own task reads again (unless a newer
    /// hold has replaced `hold`).
    fn release(&self, hold: u64);
}

#[derive(Debug, Default)]
struct Queue {
    control: VecDeque<Bytes>,
    control_bytes: usize,
    roster: Option<Bytes>,
    snapshot: Option<Bytes>,
    close: Option<(u16, String)>,
    writer_gone: bool,
    /// The socket, for direct writes.
    direct: Option<Arc<dyn DirectWrite>>,
    /// The connection, for its lobby to read while it holds the seat.
    reads: Option<Arc<dyn LobbyReads>>,
    /// The writer took something and has not finished writing it.
    writing: bool,
}

impl Queue {
    /// Nothing waits and the writer is idle: a frame may go straight to the socket.
    fn idle(&self) -> bool {
        !self.writing
            && self.control.is_empty()
            && self.roster.is_none()
            && self.snapshot.is_none()
            && self.close.is_none()
            && !self.writer_gone
    }
}

#[derive(Debug, Default)]
pub struct Outbox {
    queue: Mutex<Queue>,
    ready: Notify,
    /// The id of a lobby that let this client go on its own (it closed, or the operator
    /// removed the player) and has not been noticed yet; 0: none.
    removed_from: AtomicU32,
}

/// The socket writer's end of an [`Outbox`]; the outbox counts as closed once it is dropped.
pub struct OutboxReader {
    outbox: Arc<Outbox>,
}

impl Drop for OutboxReader {
    fn drop(&mut self) {
        self.outbox.queue().writer_gone = true;
    }
}

impl Outbox {
    pub fn new() -> (Arc<Self>, OutboxReader) {
        let outbox = Arc::new(Self::default());
        (outbox.clone(), OutboxReader { outbox })
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes `frame` straight to the socket when the queue lets it ([`Queue::idle`]), from
    /// the caller's thread, waking the writer only to finish a partial write. Hands the
    /// queue back when the frame must wait in it instead (behind queued bytes, or the
    /// socket broke: the writer finds out).
    fn write_direct<'a>(
        &self,
        q: MutexGuard<'a, Queue>,
        frame: &Bytes,
    ) -> Option<MutexGuard<'a, Queue>> {
        let Some(direct) = q.direct.as_ref().filter(|_| q.idle()) else {
            return Some(q);
        };
        let wake = match direct.write_now(&[frame]) {
            Written::All => false,
            Written::Queued => true,
            Written::Busy | Written::Failed => return Some(q),
        };
        drop(q);
        METRICS.messages_out.inc();
        METRICS.bytes_out.inc_by(frame.len() as u64);
        if wake {
            self.ready.notify_one();
        }
        None
    }

    /// Sends a control frame: straight to the socket when nothing waits and the writer is
    /// idle, else queued. False when the queue is full (in frames or bytes), closing, or
    /// the writer is gone: the client is stuck or disconnected.
    pub fn send(&self, frame: Bytes) -> bool {
        let q = self.queue();
        if q.writer_gone
            || q.close.is_some()
            || q.control.len() >= CONTROL_CAPACITY
            || q.control_bytes + frame.len() > CONTROL_BYTES
        {
            return false;
        }
        let Some(mut q) = self.write_direct(q, &frame) else {
            return true;
        };
        q.control_bytes += frame.len();
        q.control.push_back(frame);
        drop(q);
        self.ready.notify_one();
        true
    }

    /// Asks the writer to close the socket after the frames already queued.
    pub fn close(&self, code: u16, reason: impl Into<String>) {
        let mut q = self.queue();
        if q.close.is_none() {
            q.close = Some((code, reason.into()));
        }
        drop(q);
        self.ready.notify_one();
    }

    /// Offers the newest roster; an unsent older one is dropped. False when the writer is
    /// gone.
    pub fn send_roster(&self, frame: Bytes) -> bool {
        let mut q = self.queue();
        q.roster = Some(frame);
        let ok = !q.writer_gone;
        drop(q);
        self.ready.notify_one();
        ok
    }

    /// Lets snapshots go straight to `socket` when the writer is idle.
    pub fn attach(&self, socket: Arc<dyn DirectWrite>) {
        self.queue().direct = Some(socket);
    }

    /// Lets the lobby that seats this client read its messages ([`LobbyReads`]).
    pub fn attach_reads(&self, reads: Arc<dyn LobbyReads>) {
        self.queue().reads = Some(reads);
    }

    /// Lets go of the socket and the connection (it ended: the outbox must not keep either).
    pub fn detach(&self) {
        let mut q = self.queue();
        q.direct = None;
        q.reads = None;
    }

    fn reads(&self) -> Option<Arc<dyn LobbyReads>> {
        self.queue().reads.clone()
    }

    /// The lobby seats this client and reads it at every tick from now on: the hold's
    /// number (0 when the connection is not one its lobby can read).
    pub fn hold_reads(&self) -> u64 {
        self.reads().map_or(0, |r| r.hold())
    }

    /// The lobby reads what its client sent under `hold` (see [`LobbyReads`]).
    pub fn read_held(&self, hold: u64) {
        if hold != 0
            && let Some(reads) = self.reads()
        {
            reads.read(hold);
        }
    }

    /// The lobby lets go of its client: the connection reads for itself again.
    pub fn release_reads(&self, hold: u64) {
        if hold != 0
            && let Some(reads) = self.reads()
        {
            reads.release(hold);
        }
    }

    /// Offers the newest snapshot; an unsent older one is dropped. Returns false when it
    /// replaced an unsent one.
    pub fn send_snapshot(&self, frame: Bytes) -> bool {
        let Some(mut q) = self.write_direct(self.queue(), &frame) else {
            return true;
        };
        let replaced = q.snapshot.replace(frame).is_some();
        drop(q);
        if replaced {
            METRICS.snapshots_dropped.inc();
        }
        self.ready.notify_one();
        !replaced
    }

    /// Whether the writer has taken the last snapshot offered (none waits in the slot), so
    /// it goes out before anything offered later.
    pub fn snapshot_taken(&self) -> bool {
        self.queue().snapshot.is_none()
    }

    /// The lobby `id` no longer seats this client (it tells the client why itself).
    pub fn removed_from_lobby(&self, id: u32) {
        self.removed_from.store(id, Ordering::Relaxed);
    }

    /// The lobby that let this client go since the last call, if any.
    pub fn take_removal(&self) -> Option<u32> {
        // A load first: this runs for every message a client sends, and is almost always 0.
        if self.removed_from.load(Ordering::Relaxed) == 0 {
            return None;
        }
        Some(self.removed_from.swap(0, Ordering::Relaxed)).filter(|&id| id != 0)
    }

    pub fn is_closed(&self) -> bool {
        self.queue().writer_gone
    }

    /// The next thing to write; the writer calls [`Outbox::written`] once it has.
    pub(crate) fn take(&self) -> Option<Outgoing> {
        let mut q = self.queue();
        let out = if let Some(frame) = q.control.pop_front() {
            q.control_bytes -= frame.len();
            Some(Outgoing::Frame(frame))
        } else if let Some((code, reason)) = q.close.take() {
            Some(Outgoing::Close(code, reason))
        } else if let Some(frame) = q.roster.take().or_else(|| q.snapshot.take()) {
            Some(Outgoing::Frame(frame))
        } else if q.direct.as_ref().is_some_and(|d| d.queued() > 0) {
            Some(Outgoing::Drain)
        } else {
            None
        };
        // Only a direct write needs to know (an outbox with no socket has none).
        q.writing = out.is_some() && q.direct.is_some();
        out
    }

    /// The writer finished writing what it took last.
    pub(crate) fn written(&self) {
        self.queue().writing = false;
    }
}

impl OutboxReader {
    /// The next thing to write from `outbox` (this reader's): control frames first, then a
    /// close, then the newest roster, then the newest snapshot.
    pub async fn next(&mut self, outbox: &Outbox) -> Option<Outgoing> {
        debug_assert!(std::ptr::eq(outbox, &*self.outbox));
        loop {
            let ready = outbox.ready.notified();
            if let Some(out) = outbox.take() {
                return Some(out);
            }
            ready.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn control_first_and_only_the_newest_roster_and_snapshot() {
        let (outbox, mut reader) = Outbox::new();
        assert!(outbox.send_snapshot(Bytes::from_static(b"s1")));
        assert!(
            !outbox.send_snapshot(Bytes::from_static(b"s2")),
            "s1 was stale"
        );
        assert!(outbox.send_roster(Bytes::from_static(b"r1")));
        assert!(outbox.send_roster(Bytes::from_static(b"r2")));
        assert!(outbox.send(Bytes::from_static(b"c1")));
        assert!(!outbox.snapshot_taken(), "s2 waits");
        let mut got = Vec::new();
        for _ in 0..3 {
            match reader.next(&outbox).await {
                Some(Outgoing::Frame(f)) => got.push(f),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(
            got,
            vec![
                Bytes::from_static(b"c1"),
                Bytes::from_static(b"r2"),
                Bytes::from_static(b"s2")
            ]
        );
        assert!(outbox.snapshot_taken(), "the writer has s2");
    }

    /// A socket that takes every frame whole, recording each.
    #[derive(Debug, Default)]
    struct Socket(Mutex<Vec<Vec<u8>>>);

    impl DirectWrite for Socket {
        fn write_now(&self, payload: &[&[u8]]) -> Written {
            self.0.lock().expect("socket").push(payload.concat());
            Written::All
        }

        fn queued(&self) -> usize {
            0
        }
    }

    #[tokio::test]
    async fn an_idle_writer_lets_control_frames_go_straight_to_the_socket_in_order() {
        let (outbox, mut reader) = Outbox::new();
        let socket = Arc::new(Socket::default());
        outbox.attach(socket.clone());
        assert!(outbox.send(Bytes::from_static(b"pong")));
        assert!(outbox.send_snapshot(Bytes::from_static(b"s1")));
        assert_eq!(
            *socket.0.lock().expect("socket"),
            [b"pong".to_vec(), b"s1".to_vec()]
        );
        // Behind a roster waiting for the writer, a control frame waits too, and goes
        // first.
        assert!(outbox.send_roster(Bytes::from_static(b"r1")));
        assert!(outbox.send(Bytes::from_static(b"error")));
        assert!(matches!(reader.next(&outbox).await, Some(Outgoing::Frame(f)) if f == "error"));
        outbox.written();
        assert!(matches!(reader.next(&outbox).await, Some(Outgoing::Frame(f)) if f == "r1"));
        assert_eq!(
            socket.0.lock().expect("socket").len(),
            2,
            "nothing else went direct"
        );
    }

    #[test]
    fn control_frames_are_bounded_in_bytes() {
        let (outbox, reader) = Outbox::new();
        let big = Bytes::from(vec![0u8; CONTROL_BYTES / 2]);
        assert!(outbox.send(big.clone()) && outbox.send(big.clone()));
        assert!(!outbox.send(big), "a third would pass the byte bound");
        drop(reader);
        assert!(outbox.is_closed());
    }
}
