//! The hostile clients of the soak's `--attacks` option: each attack of the "no client can
//! hurt the others" issue, run in a loop from an address of its own (127.0.2.x) until a
//! deadline, reconnecting whenever the server closes it. They count their rounds and how
//! often the server shut them out; their errors are expected and never fail the soak.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use tickwire_protocol::codec::encode;
use tickwire_protocol::messages::{ClientMsg, LobbyTarget, ServerMsg};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

use crate::hostile::{
    BINARY, CONTINUATION, FIN, PING, PONG, client_from, connect_from, flood, frame, raw_websocket,
};

/// What the attackers did.
#[derive(Debug, Default)]
pub struct AttackCounters {
    /// Connections the attackers opened.
    pub connections: AtomicU64,
    /// Requests the server refused (rate-limited) or connections it closed.
    pub shut_out: AtomicU64,
}

fn attacker(n: u8) -> std::net::IpAddr {
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 2, n))
}

/// Runs every attack at once until `until`.
pub async fn run(server: SocketAddr, until: Instant, counters: Arc<AttackCounters>) {
    let mut tasks = Vec::new();
    let mut spawn = |f: futures_util::future::BoxFuture<'static, ()>| tasks.push(tokio::spawn(f));
    for _ in 0..8 {
        spawn(Box::pin(list_flood(server, until, counters.clone())));
    }
    for _ in 0..2 {
        spawn(Box::pin(http_list_flood(server, until, counters.clone())));
        spawn(Box::pin(frame_flood(server, until, counters.clone(), true)));
        spawn(Box::pin(frame_flood(
            server,
            until,
            counters.clone(),
            false,
        )));
        spawn(Box::pin(create_and_leave(server, until, counters.clone())));
        spawn(Box::pin(guess_codes(server, until, counters.clone())));
        spawn(Box::pin(unsolicited_pongs(server, until, counters.clone())));
    }
    for _ in 0..4 {
        spawn(Box::pin(roster_churn(server, until, counters.clone())));
    }
    for n in 0..4 {
        spawn(Box::pin(partial_requests(
            server,
            until,
            counters.clone(),
            n,
        )));
    }
    for t in tasks {
        let _ = t.await;
    }
}

fn opened(c: &AttackCounters) {
    c.connections.fetch_add(1, Ordering::Relaxed);
}

fn shut_out(c: &AttackCounters) {
    c.shut_out.fetch_add(1, Ordering::Relaxed);
}

/// `ListLobbies` 110 times a second, never reading.
async fn list_flood(server: SocketAddr, until: Instant, c: Arc<AttackCounters>) {
    let frame = encode(&ClientMsg::ListLobbies);
    while Instant::now() < until {
        opened(&c);
        let Ok(mut client) = client_from(server, attacker(1), "lister").await else {
            shut_out(&c);
            continue;
        };
        let mut every = tokio::time::interval(Duration::from_micros(1_000_000 / 110));
        while Instant::now() < until {
            every.tick().await;
            let msg = Message::Binary(frame.clone().into());
            if client.send_raw(msg).await.is_err() {
                shut_out(&c);
                break;
            }
        }
    }
}

/// Pipelined `GET /api/lobbies`, never reading.
async fn http_list_flood(server: SocketAddr, until: Instant, c: Arc<AttackCounters>) {
    let request = format!("GET /api/lobbies HTTP/1.1\r\nHost: {server}\r\n\r\n").repeat(50);
    while Instant::now() < until {
        opened(&c);
        let Ok(mut s) = connect_from(attacker(2), server).await else {
            shut_out(&c);
            continue;
        };
        while Instant::now() < until {
            let write = s.write_all(request.as_bytes());
            match tokio::time::timeout(Duration::from_secs(1), write).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => {
                    shut_out(&c);
                    break;
                }
                Err(_) => {} // the server is not reading our pile: keep the socket
            }
        }
    }
}

/// Floods of pings, or of empty continuation frames, until closed.
async fn frame_flood(server: SocketAddr, until: Instant, c: Arc<AttackCounters>, pings: bool) {
    let (start, repeat) = if pings {
        (vec![], frame(FIN | PING, b"hi"))
    } else {
        (frame(BINARY, &[0]), frame(CONTINUATION, b""))
    };
    let from = attacker(if pings { 3 } else { 4 });
    while Instant::now() < until {
        opened(&c);
        let span = until.saturating_duration_since(Instant::now());
        if flood(from, server, start.clone(), repeat.clone(), span)
            .await
            .is_some()
        {
            shut_out(&c);
        }
    }
}

/// Opens and leaves lobbies 100 times a second.
async fn create_and_leave(server: SocketAddr, until: Instant, c: Arc<AttackCounters>) {
    while Instant::now() < until {
        opened(&c);
        let Ok(mut client) = client_from(server, attacker(5), "spammer").await else {
            shut_out(&c);
            continue;
        };
        let mut every = tokio::time::interval(Duration::from_millis(10));
        while Instant::now() < until {
            every.tick().await;
            match client.create("spam", 2, true).await {
                Ok(_) => {
                    let left = async {
                        client.send(&ClientMsg::LeaveLobby).await?;
                        client
                            .recv_until(|m| matches!(m, ServerMsg::Left).then_some(()))
                            .await
                    };
                    if left.await.is_err() {
                        break;
                    }
                }
                Err(e) if e.to_string().contains("RateLimited") => shut_out(&c),
                Err(_) => break,
            }
        }
    }
}

/// Guesses private join codes 100 times a second.
async fn guess_codes(server: SocketAddr, until: Instant, c: Arc<AttackCounters>) {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    while Instant::now() < until {
        opened(&c);
        let Ok(mut client) = client_from(server, attacker(6), "guesser").await else {
            shut_out(&c);
            continue;
        };
        let mut every = tokio::time::interval(Duration::from_millis(10));
        while Instant::now() < until {
            every.tick().await;
            let code: String = (0..12)
                .map(|_| ALPHABET[rand::rng().random_range(0..ALPHABET.len())] as char)
                .collect();
            match client.join(LobbyTarget::Code(code)).await {
                Ok(_) => break,
                Err(e) if e.to_string().contains("RateLimited") => shut_out(&c),
                Err(e) if e.to_string().contains("UnknownLobby") => {}
                Err(_) => break,
            }
        }
    }
}

/// Quick-joins the honest bots' lobbies and leaves again, 100 times a second.
async fn roster_churn(server: SocketAddr, until: Instant, c: Arc<AttackCounters>) {
    while Instant::now() < until {
        opened(&c);
        let Ok(mut client) = client_from(server, attacker(7), "churner").await else {
            shut_out(&c);
            continue;
        };
        let mut every = tokio::time::interval(Duration::from_millis(10));
        while Instant::now() < until {
            every.tick().await;
            match client.quick_join().await {
                Ok(_) => {
                    let left = async {
                        client.send(&ClientMsg::LeaveLobby).await?;
                        client
                            .recv_until(|m| {
                                matches!(m, ServerMsg::Left | ServerMsg::Error { .. }).then_some(())
                            })
                            .await
                    };
                    if left.await.is_err() {
                        break;
                    }
                }
                Err(e) if e.to_string().contains("RateLimited") => shut_out(&c),
                Err(_) => break,
            }
        }
    }
}

/// A never-reading socket that sends pongs nobody asked for, ten a second.
async fn unsolicited_pongs(server: SocketAddr, until: Instant, c: Arc<AttackCounters>) {
    while Instant::now() < until {
        opened(&c);
        let Ok(mut s) = raw_websocket(attacker(8), server).await else {
            shut_out(&c);
            continue;
        };
        let mut every = tokio::time::interval(Duration::from_millis(100));
        while Instant::now() < until {
            every.tick().await;
            if s.write_all(&frame(FIN | PONG, b"alive")).await.is_err() {
                shut_out(&c);
                break;
            }
        }
    }
}

/// Sockets holding half a request head, 100 at a time from each of four addresses; each
/// round waits for the server to close them.
async fn partial_requests(server: SocketAddr, until: Instant, c: Arc<AttackCounters>, n: u8) {
    while Instant::now() < until {
        let mut held = Vec::new();
        for _ in 0..100 {
            opened(&c);
            let Ok(mut s) = connect_from(attacker(10 + n), server).await else {
                shut_out(&c);
                continue;
            };
            if s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.is_ok() {
                held.push(s);
            }
        }
        let closed = held.into_iter().map(|mut s| async move {
            let mut sink = Vec::new();
            let wait = until.saturating_duration_since(Instant::now());
            tokio::time::timeout(wait, s.read_to_end(&mut sink))
                .await
                .is_ok()
        });
        for was_closed in futures_util::future::join_all(closed).await {
            if was_closed {
                shut_out(&c);
            }
        }
    }
}
