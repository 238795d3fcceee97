//! One WebSocket connection's socket loop: reads frames and hands them, with the time, to
//! the connection's protocol logic ([`Connection`]), carries out the lobby calls it asks
//! for, and ends the connection on shutdown, a missing pong, a frame-level violation or the
//! logic's say-so. Everything sent goes through the client's [`Outbox`], written by
//! [`writer::write_loop`] on a task of its own.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use tickwire_protocol::messages::ErrorCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tracing::{Instrument, debug, info_span};

use super::connection::{Connection, Ending, Incoming, Step, close};
use super::frames::FrameWatch;
use super::upgrade::Socket;
use super::wire::Wire;
use super::writer;
use super::{AppState, ConnectionSlot, Refusal};
use crate::metrics::METRICS;
use crate::outbox::Outbox;

/// How long queued frames (and the close frame) may take to flush after the session ends.
const FLUSH_DEADLINE: Duration = Duration::from_secs(2);

pub async fn run(
    socket: Socket,
    wire: Arc<Wire>,
    frames: Arc<FrameWatch>,
    app: Arc<AppState>,
    peer: SocketAddr,
    slot: Result<ConnectionSlot, Refusal>,
) {
    let client = app.next_client_id();
    let span = info_span!("conn", client, %peer);
    async move {
        debug!("connected");
        METRICS.clients.inc();
        let (sink, mut stream) = socket.split();
        let (outbox, reader) = Outbox::new();
        outbox.attach(wire);
        let ping_every = app.config.ping_timeout / 3;
        let last_ping = Arc::new(AtomicU64::new(0));
        let writer = tokio::spawn(writer::write_loop(
            sink,
            reader,
            outbox.clone(),
            ping_every,
            last_ping.clone(),
        ));
        let outbox_of_session = outbox.clone();
        let mut conn = Connection::new(app.clone(), client, outbox, peer.ip(), Instant::now());
        // The slot counts this connection until its close frame is flushed (shutdown waits
        // for every slot to be given back).
        let (slot, ending) = match slot {
            Ok(slot) => {
                let ending = read_loop(&mut conn, &app, &mut stream, &frames, &last_ping).await;
                (Some(slot), ending)
            }
            Err(refusal) => (None, Some(refused(refusal))),
        };
        if let Some(call) = conn.disconnect(Instant::now()) {
            let _ = call.perform().await;
        }
        conn.end(ending.unwrap_or_else(|| Ending {
            code: None,
            message: "bye".into(),
            close: close::NORMAL,
        }));
        drop(conn);
        // Finish the closing handshake: flush what is queued, and keep reading (discarding)
        // until the peer's close, so it is not reset while it still sends.
        let drain = async {
            while let Some(Ok(msg)) = stream.next().await {
                if matches!(msg, Message::Close(_)) {
                    break;
                }
            }
        };
        let _ =
            tokio::time::timeout(FLUSH_DEADLINE, futures_util::future::join(writer, drain)).await;
        // The lobby may still hold the outbox a moment: it must not hold the socket open.
        outbox_of_session.detach();
        drop(slot);
        METRICS.clients.dec();
        debug!("disconnected");
    }
    .instrument(span)
    .await
}

fn refused(refusal: Refusal) -> Ending {
    let message = match refusal {
        Refusal::ServerFull => "the server is at its connection limit; try again later",
        Refusal::TooManyFromAddress => "too many connections from your address",
    };
    Ending {
        code: Some(ErrorCode::ServerFull),
        message: message.into(),
        close: close::TRY_AGAIN_LATER,
    }
}

/// Reads frames until the peer leaves (`None`) or the connection must end (`Some`): the
/// logic says so, a frame-level violation, a missing pong, or server shutdown.
async fn read_loop(
    conn: &mut Connection,
    app: &AppState,
    stream: &mut SplitStream<Socket>,
    frames: &FrameWatch,
    last_ping: &AtomicU64,
) -> Option<Ending> {
    let mut shutdown = app.shutdown_signal();
    let timeout = app.config.ping_timeout;
    // Both futures live for the whole loop: making them anew for every frame would
    // register a timer and a watch waiter per message.
    let shutdown = shutdown.wait_for(|down| *down);
    let pong_deadline = tokio::time::sleep(timeout);
    tokio::pin!(shutdown, pong_deadline);
    loop {
        let msg = tokio::select! {
            biased;
            _ = &mut shutdown => {
                return Some(Ending {
                    code: Some(ErrorCode::ShuttingDown),
                    message: "server shutting down".into(),
                    close: close::GOING_AWAY,
                });
            }
            () = &mut pong_deadline => {
                // The peer is gone or not reading: a close frame is all it may still get.
                let message = format!("no pong for {} ms", timeout.as_millis());
                return Some(Ending { code: None, message, close: close::GOING_AWAY });
            }
            violation = frames.violated() => return Some(Ending::violation(violation)),
            msg = stream.next() => msg?,
        };
        let frame = match &msg {
            Ok(Message::Binary(bytes)) => Incoming::Binary(bytes),
            Ok(Message::Pong(payload)) => {
                // Unsolicited pongs (or answers to an older ping) prove nothing.
                let expected = last_ping.load(Ordering::Relaxed).to_be_bytes();
                if payload.as_ref() == expected {
                    pong_deadline
                        .as_mut()
                        .reset(tokio::time::Instant::now() + timeout);
                }
                continue;
            }
            Ok(Message::Ping(_) | Message::Frame(_)) => continue,
            Ok(Message::Close(_)) => return None,
            Ok(Message::Text(_)) => Incoming::Text,
            Err(WsError::ConnectionClosed | WsError::AlreadyClosed | WsError::Io(_)) => {
                return None;
            }
            Err(WsError::Capacity(e)) => Incoming::TooLarge(e.to_string()),
            Err(e) => Incoming::Broken(e.to_string()),
        };
        let mut step = conn.on_frame(Instant::now(), frame);
        loop {
            match step {
                Step::Read => break,
                Step::Call(call) => step = conn.answered(Instant::now(), call.perform().await),
                Step::End(ending) => return Some(ending),
            }
        }
    }
}
