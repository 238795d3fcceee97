//! Reconnection: a dropped player's seat, entity and score are held for the grace period and
//! resumed with the single-use token from `Welcome`.

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

/// The server answered a resume with `ResumeRefused` (then welcomed a new player).
fn refused(greeting: &[ServerMsg]) -> bool {
    matches!(
        greeting.first(),
        Some(ServerMsg::Error {
            code: ErrorCode::ResumeRefused,
            ..
        })
    )
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
    back.hold(0, 127, 5).await?;
    assert!(back.last_input_seq >= 1, "the resumed client plays on");
    Ok(())
}

#[tokio::test]
async fn a_resume_after_the_grace_period_fails_cleanly() -> Result<()> {
    let server = TestServer::start(&["--reconnect-grace", "0.3"]).await?;
    let mut ada = server.client("Ada").await?;
    let lobby = ada.create("room", 4, false).await?;
    let mut bo = server.client("Bo").await?;
    bo.join(LobbyTarget::Id(lobby.lobby.id)).await?;
    bo.hold(0, 0, 2).await?;
    let token = ada.token;
    drop(ada);
    assert!(
        watch_until(&mut bo, |c| c.entity(lobby.entity).is_none()).await?,
        "the seat is given up"
    );

    let mut late = Client::connect(&server.ws_url()).await?;
    let greeting = late.hello_resume("Ada", token).await?;
    assert!(refused(&greeting), "{greeting:?}");
    assert!(
        matches!(greeting.last(), Some(ServerMsg::Welcome { .. })),
        "welcomed as a new player"
    );
    late.join(LobbyTarget::Id(lobby.lobby.id)).await?;
    Ok(())
}

#[tokio::test]
async fn stolen_and_replayed_tokens_are_refused() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut ada = server.client("Ada").await?;
    let lobby = ada.create("room", 4, false).await?;
    ada.hold(0, 0, 2).await?;

    // Stolen while Ada is connected and playing: her seat is in use, the thief is refused.
    let mut thief = Client::connect(&server.ws_url()).await?;
    let token = ada.token;
    // Ada plays on for as long as the thief's resume waits for her seat to go quiet.
    let greeting = {
        let resume = thief.hello_resume("Ada", token);
        tokio::pin!(resume);
        loop {
            tokio::select! {
                greeting = &mut resume => break greeting?,
                played = ada.hold(0, 0, 1) => played?,
            }
        }
    };
    assert!(refused(&greeting), "{greeting:?}");
    assert_ne!(thief.client_id, ada.client_id);
    ada.hold(0, 0, 3).await?;
    assert_eq!(ada.roster.len(), 1, "Ada keeps her seat");

    // Used once after a drop; a replay is refused.
    let token = ada.token;
    drop(ada);
    let mut back = Client::connect(&server.ws_url()).await?;
    back.hello_resume("Ada", token).await?;
    back.recv_until(|m| matches!(m, ServerMsg::Joined(_)).then_some(()))
        .await?;
    let mut replay = Client::connect(&server.ws_url()).await?;
    let greeting = replay.hello_resume("Ada", token).await?;
    assert!(refused(&greeting), "{greeting:?}");
    back.hold(0, 0, 3).await?;
    assert_eq!(
        back.joined.as_ref().map(|j| j.lobby.id),
        Some(lobby.lobby.id),
        "the rightful player is undisturbed"
    );

    // A player who left on purpose holds no seat.
    let leaver_token = back.token;
    back.send(&ClientMsg::LeaveLobby).await?;
    back.recv_until(|m| matches!(m, ServerMsg::Left).then_some(()))
        .await?;
    drop(back);
    let mut again = Client::connect(&server.ws_url()).await?;
    let greeting = again.hello_resume("Ada", leaver_token).await?;
    assert!(refused(&greeting), "{greeting:?}");
    Ok(())
}

#[tokio::test]
async fn a_half_open_connection_is_taken_over_by_its_owner() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut ada = server.client("Ada").await?;
    let lobby = ada.create("room", 4, false).await?;
    ada.hold(127, 0, 5).await?;
    // Ada's network died without the server noticing: her old socket stays open, silent.
    let mut back = Client::connect(&server.ws_url()).await?;
    let greeting = back.hello_resume("Ada", ada.token).await?;
    assert!(
        matches!(greeting.as_slice(), [ServerMsg::Welcome { client_id, .. }] if *client_id == ada.client_id)
    );
    let entity = back.expect_joined().await?.entity;
    assert_eq!(entity, lobby.entity, "the same player, taken over");
    let old = ada
        .expect_close()
        .await?
        .expect("the old connection is closed");
    assert!(old.reason.contains("newer connection"), "{}", old.reason);
    back.hold(0, 127, 3).await?;
    assert_eq!(back.roster.len(), 1, "no ghost left behind");
    Ok(())
}
