//! Roster storms cannot knock out the players: join and leave churn is rate-limited per
//! connection, and rosters are coalesced (a newer one replaces one not yet sent), so the
//! players in a busy lobby keep their snapshots, even one on a 60 KB/s link.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Result;
use tickwire_protocol::messages::{ClientMsg, LobbyTarget, ServerMsg};
use tickwire_tests::honest::Honest;
use tickwire_tests::hostile::{client_from, loopback, slow_link};
use tickwire_tests::{Client, TestServer};

/// Joins and leaves `lobby` as fast as the server answers for `span`; returns the joins
/// that were let through.
async fn churn(server: SocketAddr, n: usize, lobby: u32, span: Duration) -> Result<usize> {
    let mut c = client_from(server, loopback(2), &format!("churn{n}")).await?;
    let mut joined = 0;
    let mut every = tokio::time::interval(Duration::from_millis(10));
    let until = tokio::time::Instant::now() + span;
    while tokio::time::Instant::now() < until {
        every.tick().await;
        if c.join(LobbyTarget::Id(lobby)).await.is_ok() {
            joined += 1;
            c.send(&ClientMsg::LeaveLobby).await?;
            c.recv_until(|m| matches!(m, ServerMsg::Left | ServerMsg::Error { .. }).then_some(()))
                .await?;
        }
    }
    Ok(joined)
}

#[tokio::test]
async fn join_and_leave_storms_are_limited_and_hurt_nobody() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut honest = Honest::seat(&server, 4, 30).await?;
    let link = slow_link(server.addr, 60_000).await?;
    let mut slow = Client::connect(&format!("ws://{link}/ws")).await?;
    slow.hello("slow").await?;
    slow.join(LobbyTarget::Id(honest.lobby_id)).await?;
    slow.hold(0, 0, 3).await?;
    honest.clients.push(slow);
    let span = Duration::from_secs(4);
    let churners: Vec<_> = (0..11)
        .map(|n| tokio::spawn(churn(server.addr, n, honest.lobby_id, span)))
        .collect();
    honest.play_unharmed(span, 0.7).await?;
    for c in churners {
        let joined = c.await??;
        // A burst of 10 lobby moves and 2 a second: about 8 joins (each with its leave).
        assert!(
            joined <= 12,
            "one connection joined {joined} times in {span:?}"
        );
    }
    Ok(())
}
