//! Hosting and joining lobbies against a real server over real WebSockets.

use anyhow::Result;
use tickwire_protocol::messages::{ClientMsg, ErrorCode, LobbyTarget, ServerMsg};
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
async fn quick_join_fills_a_lobby_then_opens_another() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut first = server.client("host").await?;
    let small = first.create("small", 2, false).await?;
    let mut second = server.client("second").await?;
    assert_eq!(
        second.quick_join().await?.lobby.id,
        small.lobby.id,
        "quick join picks the lobby with a free seat"
    );
    let mut third = server.client("third").await?;
    let other = third.quick_join().await?;
    assert_ne!(
        other.lobby.id, small.lobby.id,
        "a full lobby is skipped: a new one opens"
    );
    let listed = server.public_lobbies().await?;
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .any(|l| l["id"] == small.lobby.id && l["players"] == 2 && l["max_players"] == 2)
    );
    Ok(())
}

#[tokio::test]
async fn private_lobbies_are_unlisted_and_joinable_by_code() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut host = server.client("host").await?;
    let joined = host.create("secret", 4, true).await?;
    assert!(joined.private);
    assert!(
        server.public_lobbies().await?.is_empty(),
        "private lobbies are not listed"
    );

    let mut guest = server.client("guest").await?;
    guest
        .send(&tickwire_protocol::messages::ClientMsg::ListLobbies)
        .await?;
    let listed = guest
        .recv_until(|m| match m {
            tickwire_protocol::messages::ServerMsg::LobbyList { lobbies } => Some(lobbies.len()),
            _ => None,
        })
        .await?;
    assert_eq!(listed, 0);
    // Not by id: ids are guessable.
    guest
        .send(&tickwire_protocol::messages::ClientMsg::JoinLobby {
            target: LobbyTarget::Id(joined.lobby.id),
            schema: None,
        })
        .await?;
    assert_eq!(guest.expect_error().await?, ErrorCode::UnknownLobby);
    // By code, in any case.
    let by_code = guest
        .join(LobbyTarget::Code(joined.code.to_lowercase()))
        .await?;
    assert_eq!(by_code.lobby.id, joined.lobby.id);
    Ok(())
}

#[tokio::test]
async fn a_full_lobby_refuses_the_next_player() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut a = server.client("a").await?;
    let lobby = a.create("pair", 2, false).await?;
    let mut b = server.client("b").await?;
    b.join(LobbyTarget::Id(lobby.lobby.id)).await?;
    let mut c = server.client("c").await?;
    c.send(&tickwire_protocol::messages::ClientMsg::JoinLobby {
        target: LobbyTarget::Code(lobby.code.clone()),
        schema: None,
    })
    .await?;
    assert_eq!(c.expect_error().await?, ErrorCode::LobbyFull);
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
    b.send(&tickwire_protocol::messages::ClientMsg::LeaveLobby)
        .await?;
    b.recv_until(|m| matches!(m, tickwire_protocol::messages::ServerMsg::Left).then_some(()))
        .await?;
    assert!(
        play_until(&mut a, 0, 0, 30, |c| c.entity(b_joined.entity).is_none()).await?,
        "b's entity is gone for a"
    );
    assert_eq!(a.roster.len(), 1, "the roster no longer lists b");
    Ok(())
}

#[tokio::test]
async fn a_dropped_connection_frees_the_seat_after_the_reconnect_grace() -> Result<()> {
    let server = TestServer::start(&["--reconnect-grace", "0.2"]).await?;
    let mut a = server.client("a").await?;
    let lobby = a.create("room", 2, false).await?;
    let mut b = server.client("b").await?;
    let b_joined = b.join(LobbyTarget::Id(lobby.lobby.id)).await?;
    drop(b);
    assert!(play_until(&mut a, 0, 0, 60, |c| c.entity(b_joined.entity).is_none()).await?);
    let mut c = server.client("c").await?;
    c.join(LobbyTarget::Id(lobby.lobby.id)).await?;
    Ok(())
}

/// The listed lobby `id`'s host and player count, as `GET /api/lobbies` says.
async fn listed_host(server: &TestServer, id: u32) -> Result<Option<(String, u64)>> {
    Ok(server
        .public_lobbies()
        .await?
        .iter()
        .find(|l| l["id"] == id)
        .map(|l| {
            let host = l["host"].as_str().unwrap_or("?").to_owned();
            (host, l["players"].as_u64().unwrap_or(0))
        }))
}

/// Leaves the lobby and waits for `Left`.
async fn leave(c: &mut Client) -> Result<()> {
    c.send(&ClientMsg::LeaveLobby).await?;
    c.recv_until(|m| matches!(m, ServerMsg::Left).then_some(()))
        .await
}

#[tokio::test]
async fn the_listing_names_each_lobbys_host_and_the_next_host_once_the_host_leaves() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut ada = server.client("Ada").await?;
    let mut bo = server.client("Bo").await?;
    let first = ada.create("Friday night", 4, false).await?;
    assert_eq!(first.lobby.host, "Ada", "Joined names the host");
    let second = bo.create("Friday night", 4, false).await?;
    // Two lobbies of one name are told apart by their hosts.
    assert_eq!(
        listed_host(&server, first.lobby.id).await?,
        Some(("Ada".into(), 1))
    );
    assert_eq!(
        listed_host(&server, second.lobby.id).await?,
        Some(("Bo".into(), 1))
    );

    let mut cy = server.client("Cy").await?;
    assert_eq!(
        cy.join(LobbyTarget::Id(first.lobby.id)).await?.lobby.host,
        "Ada"
    );
    leave(&mut ada).await?;
    // Cy was there longest: Cy hosts now. Bo's lobby ticks on meanwhile, pacing the wait
    // (under the listing's rate limit).
    let mut listed = None;
    for _ in 0..60 {
        listed = listed_host(&server, first.lobby.id).await?;
        if listed == Some(("Cy".into(), 1)) {
            break;
        }
        bo.hold(0, 0, 4).await?;
    }
    assert_eq!(listed, Some(("Cy".into(), 1)), "the new host is listed");

    // Once the last player leaves, the lobby is listed empty, with no host, for its grace.
    leave(&mut cy).await?;
    for _ in 0..60 {
        listed = listed_host(&server, first.lobby.id).await?;
        if listed == Some((String::new(), 0)) {
            break;
        }
        bo.hold(0, 0, 4).await?;
    }
    assert_eq!(
        listed,
        Some((String::new(), 0)),
        "an empty lobby has no host"
    );
    Ok(())
}
