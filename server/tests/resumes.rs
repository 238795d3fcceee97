//! Resuming a seat with the reconnect token from `Welcome`, in process with tokio's clock
//! paused and stepped: a token works once, only for its seat's owner and only within the
//! grace period, and a seat whose connection went silent (half-open) is taken over after a
//! second of quiet. (A dropped player resuming its seat and entity over real sockets is in
//! the tests crate.)

use anyhow::Result;
use tickwire_protocol::messages::{ErrorCode, LobbyTarget, ServerMsg};
use tickwire_server::kit::mover::Body;
use tickwire_server::testing::peer::{Peer, app};

/// The stick at rest.
const REST: [i32; 2] = [0, 0];
/// How long a seat's connection must be quiet before a resume takes it over: 1 s at 30 Hz.
const QUIET_TICKS: u32 = 30;

/// The server refused a resume (`ResumeRefused`, with its reason), then welcomed a new
/// player.
fn refusal(greeting: &[ServerMsg]) -> Option<&str> {
    match greeting {
        [
            ServerMsg::Error {
                code: ErrorCode::ResumeRefused,
                message,
            },
            ServerMsg::Welcome { .. },
        ] => Some(message),
        _ => None,
    }
}

#[tokio::test(start_paused = true)]
async fn a_resume_after_the_grace_period_fails_cleanly() -> Result<()> {
    let app = app(&["--reconnect-grace", "0.3"])?;
    let mut ada = Peer::player(&app, "Ada").await?;
    let lobby = ada.create("room", 4, false).await?;
    let mut bo = Peer::player(&app, "Bo").await?;
    bo.join(LobbyTarget::Id(lobby.lobby.id)).await?;
    bo.hold(&REST, 2).await?;
    let (ada_id, token) = (ada.client_id, ada.token);
    drop(ada);
    for _ in 0..30 {
        if bo.get::<Body>(lobby.entity).is_none() {
            break;
        }
        bo.hold(&REST, 1).await?;
    }
    assert!(
        bo.get::<Body>(lobby.entity).is_none(),
        "the seat is given up"
    );
    assert_eq!(bo.connected(ada_id), None, "Ada is off the roster");

    let mut late = Peer::connect(&app, None);
    let greeting = late.hello_resume("Ada", token).await?;
    assert!(refusal(&greeting).is_some(), "{greeting:?}");
    assert!(late.ended.is_none(), "the connection goes on");
    assert_ne!(late.client_id, ada_id, "as a new player");
    let joined = late.join(LobbyTarget::Id(lobby.lobby.id)).await?;
    assert_ne!(joined.entity, lobby.entity, "with a new entity");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn stolen_and_replayed_tokens_are_refused() -> Result<()> {
    let app = app(&[])?;
    let mut ada = Peer::player(&app, "Ada").await?;
    let lobby = ada.create("room", 4, false).await?;
    ada.hold(&REST, 2).await?;

    // Stolen while Ada is connected and playing: her seat is in use, the thief is refused.
    let mut thief = Peer::connect(&app, None);
    let token = ada.token;
    // Ada plays on for as long as the thief's resume waits for her seat to go quiet.
    let (greeting, played) = {
        let resume = thief.hello_resume("Ada", token);
        tokio::pin!(resume);
        let mut played = 0;
        loop {
            tokio::select! {
                biased;
                greeting = &mut resume => break (greeting?, played),
                done = ada.hold(&REST, 1) => {
                    done?;
                    played += 1;
                }
            }
        }
    };
    let why = refusal(&greeting).unwrap_or_else(|| panic!("refused: {greeting:?}"));
    assert!(why.contains("in use"), "{why}");
    assert!(
        (QUIET_TICKS..=QUIET_TICKS + 1).contains(&played),
        "refused once the quiet period is over, not before and not long after: {played} ticks"
    );
    assert_ne!(thief.client_id, ada.client_id);
    ada.hold(&REST, 3).await?;
    assert!(ada.closed.is_none(), "Ada's connection is untouched");
    assert_eq!(ada.view.roster.len(), 1, "Ada keeps her seat");
    assert_eq!(ada.connected(ada.client_id), Some(true));

    // Used once after a drop (the owner kept the right to); a replay is refused.
    let token = ada.token;
    drop(ada);
    let mut back = Peer::connect(&app, None);
    let greeting = back.hello_resume("Ada", token).await?;
    assert!(refusal(&greeting).is_none(), "{greeting:?}");
    assert_eq!(back.expect_joined().await?.entity, lobby.entity);
    let mut replay = Peer::connect(&app, None);
    let greeting = replay.hello_resume("Ada", token).await?;
    assert!(refusal(&greeting).is_some(), "{greeting:?}");
    back.hold(&REST, 3).await?;
    assert!(back.closed.is_none(), "the rightful player is undisturbed");
    assert_eq!(
        back.view.joined.as_ref().map(|j| j.lobby.id),
        Some(lobby.lobby.id),
    );
    assert!(back.get::<Body>(lobby.entity).is_some());

    // A player who left on purpose holds no seat.
    let leaver_token = back.token;
    back.leave().await?;
    drop(back);
    let mut again = Peer::connect(&app, None);
    let greeting = again.hello_resume("Ada", leaver_token).await?;
    assert!(refusal(&greeting).is_some(), "{greeting:?}");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_half_open_connection_is_taken_over_by_its_owner() -> Result<()> {
    let app = app(&[])?;
    let mut ada = Peer::player(&app, "Ada").await?;
    let lobby = ada.create("room", 4, false).await?;
    ada.hold(&[127, 0], 5).await?;
    let (moved, last_played) = (ada.get::<Body>(lobby.entity).expect("Ada"), ada.tick());
    // Ada's network died without the server noticing: her old connection stays open, and
    // silent.
    let mut back = Peer::connect(&app, None);
    let greeting = back.hello_resume("Ada", ada.token).await?;
    assert!(
        matches!(greeting.as_slice(), [ServerMsg::Welcome { client_id, .. }] if *client_id == ada.client_id),
        "{greeting:?}"
    );
    let entity = back.expect_joined().await?.entity;
    assert_eq!(entity, lobby.entity, "the same player, taken over");
    let first = back.next_snapshot().await?;
    assert_eq!(
        first - last_played,
        QUIET_TICKS,
        "taken over once the old connection has been quiet for a second, not before"
    );
    assert_eq!(back.get::<Body>(entity), Some(moved), "where Ada left it");
    let (code, reason) = ada.expect_close().await?;
    assert_eq!(code, 1000);
    assert!(reason.contains("newer connection"), "{reason}");
    back.seq = ada.seq;
    back.hold(&[0, 127], 3).await?;
    assert_eq!(back.view.roster.len(), 1, "no ghost left behind");
    assert_eq!(back.last_input_seq(), ada.seq + 3);
    assert!(
        back.get::<Body>(entity).is_some_and(|b| b.y > moved.y),
        "the new connection plays on"
    );
    Ok(())
}
