//! Lobby listings cost the server little: however many lobbies there are, a listing names at
//! most a few dozen, is encoded once and shared, and is rate-limited per connection and per
//! address over WebSocket and HTTP alike. Clients that ask for listings over and over (and
//! never read them) do not slow the honest players, and `/metrics` keeps answering.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use tickwire_protocol::codec::encode;
use tickwire_protocol::messages::{ClientMsg, ServerMsg};
use tickwire_tests::honest::Honest;
use tickwire_tests::hostile::{client_from, connect_from, loopback};
use tickwire_tests::{Client, TestServer};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;

const LOBBIES: usize = 150;
const LISTERS: usize = 48;

/// Opens `LOBBIES` public lobbies with long names, five per connection, from several
/// addresses, and leaves them (empty lobbies stay open for their grace period).
async fn fill(server: &TestServer) -> Result<()> {
    for i in 0..LOBBIES / 5 {
        let from = loopback(100 + (i / 4) as u8);
        let mut c = client_from(server.addr, from, "filler").await?;
        for j in 0..5 {
            c.create(&format!("{:W<28}{i:02}{j:02}", ""), 8, false)
                .await?;
            c.send(&ClientMsg::LeaveLobby).await?;
            c.recv_until(|m| matches!(m, ServerMsg::Left).then_some(()))
                .await?;
        }
    }
    Ok(())
}

/// Sends `ListLobbies` 110 times a second (under the message rate limit) and never reads.
async fn list_forever(server: SocketAddr) {
    let Ok(stream) = connect_from(loopback(2), server).await else {
        return;
    };
    let Ok(mut c) = Client::connect_over(stream, &format!("ws://{server}/ws")).await else {
        return;
    };
    if c.hello("lister").await.is_err() {
        return;
    }
    let frame = encode(&ClientMsg::ListLobbies);
    let mut every = tokio::time::interval(Duration::from_micros(1_000_000 / 110));
    loop {
        every.tick().await;
        if c.send_raw(Message::Binary(frame.clone().into()))
            .await
            .is_err()
        {
            return;
        }
    }
}

/// Pipelines `GET /api/lobbies` as fast as the socket takes it, never reading.
async fn pipeline_forever(server: SocketAddr) {
    let Ok(mut s) = connect_from(loopback(3), server).await else {
        return;
    };
    let request = format!("GET /api/lobbies HTTP/1.1\r\nHost: {server}\r\n\r\n").repeat(50);
    while s.write_all(request.as_bytes()).await.is_ok() {}
}

#[tokio::test]
async fn listing_floods_cost_little_and_hurt_nobody() -> Result<()> {
    let server = TestServer::start(&["--empty-lobby-grace", "120"]).await?;
    fill(&server).await?;
    let mut honest = Honest::seat(&server, 4, 30).await?;

    // A listing is capped whatever the directory holds.
    let mut looker = server.client("looker").await?;
    looker.send(&ClientMsg::ListLobbies).await?;
    let listed = looker
        .recv_until(|m| match m {
            ServerMsg::LobbyList { lobbies } => Some(lobbies.clone()),
            _ => None,
        })
        .await?;
    assert!(
        listed.len() <= 50
            && encode(&ServerMsg::LobbyList {
                lobbies: listed.clone()
            })
            .len()
                < 8 << 10,
        "a listing stays small: {} lobbies",
        listed.len()
    );
    assert!(
        listed.iter().any(|l| l.id == honest.lobby_id),
        "the lobby with players comes first"
    );

    let mut attack: Vec<_> = (0..LISTERS)
        .map(|_| tokio::spawn(list_forever(server.addr)))
        .collect();
    attack.extend((0..8).map(|_| tokio::spawn(pipeline_forever(server.addr))));
    let metrics = tokio::time::timeout(Duration::from_secs(3), server.get("/metrics"))
        .await
        .context("/metrics timed out during the attack")??;
    assert_eq!(metrics.0, 200);
    honest.play_unharmed(Duration::from_secs(5), 0.7).await?;
    let during = tokio::time::timeout(Duration::from_secs(3), server.get("/metrics"))
        .await
        .context("/metrics timed out during the attack")??;
    assert_eq!(during.0, 200);
    for a in attack {
        a.abort();
    }
    Ok(())
}
