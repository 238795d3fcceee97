//! A connection's socket writer: sends what its outbox holds, in the outbox's order, and a
//! WebSocket ping every so often whose payload the reader checks the pong against.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use super::upgrade::Socket;
use crate::metrics::METRICS;
use crate::outbox::{Outbox, OutboxReader, Outgoing};

/// Writes what the outbox holds, and a ping every `ping_every` carrying a fresh number
/// (stored in `last_ping`): only a pong with that number shows the peer reads.
pub async fn write_loop(
    mut sink: SplitSink<Socket, Message>,
    mut reader: OutboxReader,
    outbox: Arc<Outbox>,
    ping_every: Duration,
    last_ping: Arc<AtomicU64>,
) {
    let mut pings = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    let mut ping_number: u64 = rand::random();
    loop {
        let out = tokio::select! {
            out = reader.next(&outbox) => out,
            _ = pings.tick() => {
                ping_number = ping_number.wrapping_add(1);
                last_ping.store(ping_number, Ordering::Relaxed);
                let payload = Bytes::copy_from_slice(&ping_number.to_be_bytes());
                if sink.send(Message::Ping(payload)).await.is_err() {
                    return;
                }
                continue;
            }
        };
        match out {
            Some(Outgoing::Frame(frame)) => {
                METRICS.messages_out.inc();
                METRICS.bytes_out.inc_by(frame.len() as u64);
                if sink.send(Message::Binary(frame)).await.is_err() {
                    return;
                }
                outbox.written();
            }
            Some(Outgoing::Drain) => {
                // The codec has nothing buffered; its flush drains the socket's queue.
                if sink.flush().await.is_err() {
                    return;
                }
                outbox.written();
            }
            Some(Outgoing::Close(code, mut reason)) => {
                // A close reason must fit in a control frame (123 bytes).
                while reason.len() > 120 {
                    reason.pop();
                }
                let _ = sink
                    .send(Message::Close(Some(CloseFrame {
                        code: code.into(),
                        reason: reason.into(),
                    })))
                    .await;
                return;
            }
            None => return,
        }
    }
}
