//! A connection's socket writer: sends what its outbox holds, in the outbox's order, and a
//! WebSocket ping every so often whose payload the reader checks the pong against.

use std::sync::Arc;
use std::time::Duration;

use super::link::Link;
use crate::metrics::METRICS;
use crate::outbox::{Outbox, OutboxReader, Outgoing};

/// Writes what the outbox holds, and a ping every `ping_every` carrying a fresh number:
/// only a pong with that number shows the peer reads.
pub async fn write_loop(
    link: Arc<Link>,
    mut reader: OutboxReader,
    outbox: Arc<Outbox>,
    ping_every: Duration,
) {
    let wire = link.wire().clone();
    let mut pings = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    let mut ping_number: u64 = rand::random();
    loop {
        let out = tokio::select! {
            out = reader.next(&outbox) => out,
            _ = pings.tick() => {
                ping_number = ping_number.wrapping_add(1);
                if link.ping(ping_number).is_err() || wire.drain().await.is_err() {
                    return;
                }
                continue;
            }
        };
        match out {
            Some(Outgoing::Frame(frame)) => {
                METRICS.messages_out.inc();
                METRICS.bytes_out.inc_by(frame.len() as u64);
                if wire.send_binary(frame).is_err() || wire.drain().await.is_err() {
                    return;
                }
                outbox.written();
            }
            Some(Outgoing::Drain) => {
                if wire.drain().await.is_err() {
                    return;
                }
                outbox.written();
            }
            Some(Outgoing::Close(code, mut reason)) => {
                // A close reason must fit in a control frame (123 bytes).
                while reason.len() > 120 {
                    reason.pop();
                }
                link.close(code, reason);
                let _ = wire.drain().await;
                return;
            }
            None => return,
        }
    }
}
