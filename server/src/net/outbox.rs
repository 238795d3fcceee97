//! A client's outbound queue. Control frames (welcome, roster, errors) wait in a bounded
//! queue; snapshots wait in a one-frame slot, where a newer one replaces an unsent older one,
//! so a slow reader gets stale snapshots dropped and never holds up its lobby.

use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::{Notify, mpsc};

use crate::metrics::METRICS;

/// Control frames a client may have waiting before it counts as stuck.
pub const CONTROL_CAPACITY: usize = 64;

#[derive(Debug)]
pub enum Outgoing {
    Frame(Bytes),
    /// Send a close frame with this code and reason, then stop.
    Close(u16, String),
}

#[derive(Debug)]
pub struct Outbox {
    control: mpsc::Sender<Outgoing>,
    snapshot: Mutex<Option<Bytes>>,
    ready: Notify,
}

/// The socket writer's end of an [`Outbox`].
pub struct OutboxReader {
    control: mpsc::Receiver<Outgoing>,
}

impl Outbox {
    pub fn new() -> (std::sync::Arc<Self>, OutboxReader) {
        let (tx, rx) = mpsc::channel(CONTROL_CAPACITY);
        let outbox = Self {
            control: tx,
            snapshot: Mutex::new(None),
            ready: Notify::new(),
        };
        (std::sync::Arc::new(outbox), OutboxReader { control: rx })
    }

    /// Queues a control frame. False when the queue is full or the writer is gone: the
    /// client is stuck or disconnected.
    pub fn send(&self, frame: Bytes) -> bool {
        self.control.try_send(Outgoing::Frame(frame)).is_ok()
    }

    /// Asks the writer to close the socket after the frames already queued.
    pub fn close(&self, code: u16, reason: impl Into<String>) {
        let _ = self.control.try_send(Outgoing::Close(code, reason.into()));
    }

    /// Offers the newest snapshot; an unsent older one is dropped. Returns false when it
    /// replaced an unsent one.
    pub fn send_snapshot(&self, frame: Bytes) -> bool {
        let replaced = self
            .snapshot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace(frame)
            .is_some();
        if replaced {
            METRICS.snapshots_dropped.inc();
        }
        self.ready.notify_one();
        !replaced
    }

    /// Whether the writer has taken the last snapshot offered (none waits in the slot), so
    /// it goes out before anything offered later.
    pub fn snapshot_taken(&self) -> bool {
        self.snapshot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
    }

    fn take_snapshot(&self) -> Option<Bytes> {
        self.snapshot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    pub fn is_closed(&self) -> bool {
        self.control.is_closed()
    }
}

impl OutboxReader {
    /// The next thing to write: control frames first, then the newest snapshot. `None` when
    /// every sender is gone.
    pub async fn next(&mut self, outbox: &Outbox) -> Option<Outgoing> {
        loop {
            if let Ok(msg) = self.control.try_recv() {
                return Some(msg);
            }
            if let Some(frame) = outbox.take_snapshot() {
                return Some(Outgoing::Frame(frame));
            }
            tokio::select! {
                biased;
                msg = self.control.recv() => return msg,
                _ = outbox.ready.notified() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn control_first_and_only_the_newest_snapshot() {
        let (outbox, mut reader) = Outbox::new();
        assert!(outbox.send_snapshot(Bytes::from_static(b"s1")));
        assert!(
            !outbox.send_snapshot(Bytes::from_static(b"s2")),
            "s1 was stale"
        );
        assert!(outbox.send(Bytes::from_static(b"c1")));
        assert!(!outbox.snapshot_taken(), "s2 waits");
        let mut got = Vec::new();
        for _ in 0..2 {
            match reader.next(&outbox).await {
                Some(Outgoing::Frame(f)) => got.push(f),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(
            got,
            vec![Bytes::from_static(b"c1"), Bytes::from_static(b"s2")]
        );
        assert!(outbox.snapshot_taken(), "the writer has s2");
    }
}
