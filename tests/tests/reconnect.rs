//! Reconnection over real sockets: a dropped player's seat, entity and score are held for
//! the grace period and resumed with the token from `Welcome`, and the new connection plays
//! on through the socket its lobby now reads. (Refused, stolen and replayed tokens and
//! half-open takeovers are tested in process in the server's `resumes.rs`.)

use anyhow::Result;
use tickwire_protocol::messages::{ClientMsg, ErrorCode, LobbyTarget, ServerMsg};
use tickwire_server::games::arena::Score;
use tickwire_tests::{Client, TestServer};

/// Plays the watcher until `done` holds for the roster or the world, or gives up.
async fn watch_until(watcher: &mut Client, done: impl Fn(&Client) -> bool) -> Result<bool> {
    for _ in 0..200 {
        watcher.hold(0, 0, 1).await?;
        if done(watcher) {
            return Ok(true);
        }
    }
    Ok(false)
}

fn connected(c: &Client, client_id: u32) -> Option<bool> {
    c.roster
        .iter()
        .find(|p| p.client_id == client_id)
        .map(|p| p.connected)
}

#[tokio::test]
async fn a_dropped_player_resumes_its_seat_and_entity() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut ada = server.client("Ada").await?;
    let lobby = ada.create("room", 2, false).await?;
    let mut bo = server.client("Bo").await?;
    bo.join(LobbyTarget::Id(lobby.lobby.id)).await?;
    ada.hold(127, 0, 10).await?;
    let (ada_id, token) = (ada.client_id, ada.token);
    drop(ada);

    assert!(
        watch_until(&mut bo, |c| connected(c, ada_id) == Some(false)).await?,
        "Bo sees Ada reconnecting"
    );
    let held = (
        bo.entity(lobby.entity)
            .expect("Ada's player stays while away"),
        bo.get::<Score>(lobby.entity).expect("with a score"),
    );
    let mut intruder = server.client("Cy").await?;
    intruder
        .send(&ClientMsg::JoinLobby {
            target: LobbyTarget::Id(lobby.lobby.id),
            schema: None,
        })
        .await?;
    assert_eq!(
        intruder.expect_error().await?,
        ErrorCode::LobbyFull,
        "the seat is held"
    );

    let mut back = Client::connect(&server.ws_url()).await?;
    let greeting = back.hello_resume("Ada", token).await?;
    assert!(
        matches!(greeting.as_slice(), [ServerMsg::Welcome { client_id, .. }] if *client_id == ada_id),
        "same identity"
    );
    assert_ne!(back.token, token, "a fresh token for the new connection");
    let joined = back.expect_joined().await?.entity;
    assert_eq!(joined, lobby.entity, "same entity");
    back.next_snapshot().await?;
    let resumed = (
        back.entity(lobby.entity).expect("in the world"),
        back.get::<Score>(lobby.entity).expect("with a score"),
    );
    assert_eq!(resumed, held, "where it was, with its score");
    assert!(
        watch_until(&mut bo, |c| connected(c, ada_id) == Some(true)).await?,
        "Bo sees Ada back"
    );
    // Its seqs start again at 1 here: the server drops those not above the 10 Ada sent,
    // then applies the rest, read through the new socket.
    back.hold(0, 127, 15).await?;
    assert!(back.last_input_seq > 10, "the resumed client plays on");
    let after = back.entity(lobby.entity).expect("in the world");
    assert!(after.y > resumed.0.y, "and moves: {after:?}");
    Ok(())
}
