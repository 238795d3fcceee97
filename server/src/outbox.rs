//! A client's outbound queue. Control frames (welcome, errors, lobby lists) wait in a queue
//! bounded in frames and in bytes; the roster and snapshots each wait in a one-frame slot,
//! where a newer one replaces an unsent older one, so a slow reader gets stale rosters and
//! snapshots dropped and never holds up its lobby.

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
}

#[derive(Debug, Default)]
struct Queue {
    control: VecDeque<Bytes>,
    control_bytes: usize,
    roster: Option<Bytes>,
    snapshot: Option<Bytes>,
    close: Option<(u16, String)>,
    writer_gone: bool,
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

    /// Queues a control frame. False when the queue is full (in frames or bytes), closing,
    /// or the writer is gone: the client is stuck or disconnected.
    pub fn send(&self, frame: Bytes) -> bool {
        let mut q = self.queue();
        if q.writer_gone
            || q.close.is_some()
            || q.control.len() >= CONTROL_CAPACITY
            || q.control_bytes + frame.len() > CONTROL_BYTES
        {
            return false;
        }
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

    /// Offers the newest snapshot; an unsent older one is dropped. Returns false when it
    /// replaced an unsent one.
    pub fn send_snapshot(&self, frame: Bytes) -> bool {
        let replaced = self.queue().snapshot.replace(frame).is_some();
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

    pub(crate) fn take(&self) -> Option<Outgoing> {
        let mut q = self.queue();
        if let Some(frame) = q.control.pop_front() {
            q.control_bytes -= frame.len();
            return Some(Outgoing::Frame(frame));
        }
        if let Some((code, reason)) = q.close.take() {
            return Some(Outgoing::Close(code, reason));
        }
        q.roster
            .take()
            .or_else(|| q.snapshot.take())
            .map(Outgoing::Frame)
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
