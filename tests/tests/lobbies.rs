//! Seated players' frames over real WebSockets: the server reads a seated player's messages
//! on its lobby's thread through the socket, so moving, watching others move and leaving are
//! played here end to end. (Lobby flows, quick join, private and full lobbies, dropped
//! seats and the listing, are tested in process in the server's `lobby_flows.rs`.)

use anyhow::Result;
use tickwire_protocol::messages::{ClientMsg, LobbyTarget, ServerMsg};
use tickwire_tests::{Client, TestServer};

/// Plays with the stick at (x, y) until `done` holds for the client's world, or gives up.
async fn play_until(
    c: &mut Client,
    x: i32,
    y: i32,
    max_ticks: u32,
    done: impl Fn(&Client) -> bool,
) -> Result<bool> {
    for _ in 0..max_ticks {
        c.hold(x, y, 1).await?;
        if done(c) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[tokio::test]
async fn two_clients_see_each_other_move() -> Result<()> {
    see_each_other_move(&[]).await
}

#[tokio::test]
async fn lobbies_on_threads_of_their_own_play_the_same() -> Result<()> {
    see_each_other_move(&["--lobby-threads", "2"]).await
}

async fn see_each_other_move(args: &[&str]) -> Result<()> {
    let server = TestServer::start(args).await?;
    let mut a = server.client("Ada").await?;
    let mut b = server.client("Bo").await?;
    let lobby = a.create("duel", 4, false).await?;
    let joined = b.join(LobbyTarget::Id(lobby.lobby.id)).await?;
    assert_eq!(joined.lobby.id, lobby.lobby.id);
    a.hold(0, 0, 2).await?;
    b.hold(0, 0, 2).await?;
    let (a_id, b_id) = (lobby.entity, joined.entity);
    let a_start = b.entity(a_id).expect("b sees a").pos();
    let b_start = a.entity(b_id).expect("a sees b").pos();

    // Each moves while the other watches.
    let (seen_a, seen_b) = tokio::join!(
        play_until(&mut b, 0, 127, 90, |c| c
            .entity(a_id)
            .is_some_and(|e| e.x > a_start.x + 400)),
        play_until(&mut a, 127, 0, 90, |c| c
            .entity(b_id)
            .is_some_and(|e| e.y > b_start.y + 400)),
    );
    assert!(seen_a?, "b saw a move right");
    assert!(seen_b?, "a saw b move down");
    assert_eq!(a.roster.len(), 2);
    Ok(())
}

#[tokio::test]
async fn a_leaving_players_entity_disappears_for_the_others() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut a = server.client("a").await?;
    let lobby = a.create("room", 4, false).await?;
    let mut b = server.client("b").await?;
    let b_joined = b.join(LobbyTarget::Id(lobby.lobby.id)).await?;
    assert!(
        play_until(&mut a, 0, 0, 30, |c| c.entity(b_joined.entity).is_some()).await?,
        "a sees b"
    );
    b.send(&ClientMsg::LeaveLobby).await?;
    b.recv_until(|m| matches!(m, ServerMsg::Left).then_some(()))
        .await?;
    assert!(
        play_until(&mut a, 0, 0, 30, |c| c.entity(b_joined.entity).is_none()).await?,
        "b's entity is gone for a"
    );
    assert_eq!(a.roster.len(), 1, "the roster no longer lists b");
    Ok(())
}
