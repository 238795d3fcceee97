//! One WebSocket connection's socket loop: reads frames and hands them, with the time, to
//! the connection's protocol logic ([`Connection`]), carries out the lobby calls it asks
//! for, and ends the connection on shutdown, a missing pong, a frame-level violation or the
//! logic's say-so. While the player is seated, its lobby reads the play messages instead,
//! and hands the rest back here ([`Link`]). Everything sent goes through the client's
//! [`Outbox`], written by [`writer::write_loop`] on a task of its own.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tickwire_protocol::messages::ErrorCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tracing::{Instrument, debug, info_span};

use super::connection::{Connection, Ending, Incoming, Step, close};
use super::frames::{FrameGuard, FrameWatch};
use super::link::{Handback, Link};
use super::wire::Wire;
use super::writer;
use super::{AppState, ConnectionSlot, Refusal};
use crate::metrics::METRICS;
use crate::outbox::Outbox;

/// How long queued frames (and the close frame) may take to flush after the session ends.
const FLUSH_DEADLINE: Duration = Duration::from_secs(2);

/// What a session starts from: the upgraded socket, its frame guard and codec settings.
pub struct Upgraded {
    pub wire: Arc<Wire>,
    pub guard: FrameGuard,
    pub frames: Arc<FrameWatch>,
    pub config: WebSocketConfig,
}

pub async fn run(
    socket: Upgraded,
    app: Arc<AppState>,
    peer: SocketAddr,
    slot: Result<ConnectionSlot, Refusal>,
) {
    let client = app.next_client_id();
    let span = info_span!("conn", client, %peer);
    async move {
        debug!("connected");
        METRICS.clients.inc();
        let Upgraded {
            wire,
            guard,
            frames,
            config,
        } = socket;
        let (outbox, reader) = Outbox::new();
        outbox.attach(wire.clone());
        let conn = Connection::new(
            app.clone(),
            client,
            outbox.clone(),
            peer.ip(),
            Instant::now(),
        );
        let link = Link::new(wire, guard, conn, config);
        outbox.attach_reads(link.clone());
        // However this task ends (even by a panic), the outbox lets go of the socket and
        // the connection: the lobby may hold the outbox a while yet.
        let detach = Detach(outbox.clone());
        let ping_every = app.config.ping_timeout / 3;
        let writer = tokio::spawn(writer::write_loop(
            link.clone(),
            reader,
            outbox.clone(),
            ping_every,
        ));
        // The slot counts this connection until its close frame is flushed (shutdown waits
        // for every slot to be given back).
        let (slot, ending) = match slot {
            Ok(slot) => {
                let ending = read_loop(&link, &app, &frames).await;
                (Some(slot), ending)
            }
            Err(refusal) => (None, Some(refused(refusal))),
        };
        link.take_back();
        if let Some(call) = link.conn(|c| c.disconnect(Instant::now())) {
            let _ = call.perform().await;
        }
        link.conn(|c| {
            c.end(ending.unwrap_or_else(|| Ending {
                code: None,
                message: "bye".into(),
                close: close::NORMAL,
            }))
        });
        // Finish the closing handshake: flush what is queued, and keep reading (discarding)
        // until the peer's close, so it is not reset while it still sends.
        let drain = link.until_peer_closes();
        let _ =
            tokio::time::timeout(FLUSH_DEADLINE, futures_util::future::join(writer, drain)).await;
        drop(detach);
        drop(slot);
        METRICS.clients.dec();
        debug!("disconnected");
    }
    .instrument(span)
    .await
}

/// Lets the outbox go of the socket and the connection when dropped.
struct Detach(Arc<Outbox>);

impl Drop for Detach {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.close(close::INTERNAL_ERROR, "internal error");
        }
        self.0.detach();
    }
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
async fn read_loop(link: &Link, app: &AppState, frames: &FrameWatch) -> Option<Ending> {
    let mut shutdown = app.shutdown_signal();
    let timeout = app.config.ping_timeout;
    // These futures live for the whole loop: making them anew for every frame would
    // register a timer and a watch waiter per message.
    let shutdown = shutdown.wait_for(|down| *down);
    let pong_deadline = tokio::time::sleep(timeout);
    let violated = frames.violated();
    tokio::pin!(shutdown, pong_deadline, violated);
    loop {
        let got = tokio::select! {
            biased;
            _ = &mut shutdown => {
                return Some(Ending {
                    code: Some(ErrorCode::ShuttingDown),
                    message: "server shutting down".into(),
                    close: close::GOING_AWAY,
                });
            }
            () = &mut pong_deadline => {
                let deadline = link.pongs().deadline(timeout);
                if deadline > tokio::time::Instant::now() {
                    pong_deadline.as_mut().reset(deadline);
                    continue;
                }
                // The peer is gone or not reading: a close frame is all it may still get.
                let message = format!("no pong for {} ms", timeout.as_millis());
                return Some(Ending { code: None, message, close: close::GOING_AWAY });
            }
            violation = &mut violated => return Some(Ending::violation(violation)),
            got = link.next() => got,
        };
        let mut step = match got {
            Handback::Step(step) => step,
            Handback::Read(msg) => {
                let frame = match &msg {
                    Ok(Message::Binary(bytes)) => Incoming::Binary(bytes),
                    Ok(Message::Pong(payload)) => {
                        link.pongs().answer(payload);
                        link.pass_to_lobby();
                        continue;
                    }
                    Ok(Message::Ping(_) | Message::Frame(_)) => {
                        link.pass_to_lobby();
                        continue;
                    }
                    Ok(Message::Close(_)) => return None,
                    Ok(Message::Text(_)) => Incoming::Text,
                    Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => return None,
                    Err(WsError::Io(_)) => return None,
                    Err(WsError::Capacity(e)) => Incoming::TooLarge(e.to_string()),
                    Err(e) => Incoming::Broken(e.to_string()),
                };
                link.conn(|c| c.on_frame(Instant::now(), frame))
            }
        };
        loop {
            match step {
                Step::Read => {
                    link.pass_to_lobby();
                    break;
                }
                Step::Call(call) => {
                    let answer = call.perform().await;
                    step = link.conn(|c| c.answered(Instant::now(), answer));
                }
                Step::End(ending) => return Some(ending),
            }
        }
    }
}
