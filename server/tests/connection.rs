//! The connection's protocol logic in process, with no sockets and tokio's clock paused and
//! stepped by hand: the handshake, refusals, the message rate limit and the per-connection budgets,
//! lobby requests and resumes. (What only sockets show, framing, Origin, slow readers and
//! shutdown, is tested over real sockets in the tests crate.)

use std::time::Duration;

use tickwire_protocol::PROTOCOL_VERSION;
use tickwire_protocol::messages::{ClientMsg, ErrorCode, LobbyTarget, ServerMsg};
use tickwire_server::net::connection::{Incoming, close};
use tickwire_server::testing::peer::{Peer, app, pass};

fn error_code(msg: &ServerMsg) -> Option<ErrorCode> {
    match msg {
        ServerMsg::Error { code, .. } => Some(*code),
        _ => None,
    }
}

fn create(name: &str) -> ClientMsg {
    ClientMsg::CreateLobby {
        game: "arena".into(),
        name: name.into(),
        map: "arena".into(),
        max_players: 4,
        private: false,
    }
}

#[tokio::test(start_paused = true)]
async fn a_client_of_another_protocol_version_is_refused_and_closed() -> anyhow::Result<()> {
    let app = app(&[])?;
    let mut peer = Peer::connect(&app, None);
    let hello = ClientMsg::Hello {
        protocol_version: PROTOCOL_VERSION + 1,
        name: "future".into(),
        resume: None,
    };
    let ending = peer.send(&hello).await.expect("the connection ends");
    assert_eq!(ending.code, Some(ErrorCode::BadVersion));
    assert_eq!(ending.close, close::PROTOCOL_ERROR);
    assert!(
        ending.message.contains(&PROTOCOL_VERSION.to_string()),
        "{ending:?}"
    );
    assert_eq!(error_code(&peer.recv().await?), Some(ErrorCode::BadVersion));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn requests_before_hello_and_bad_names_are_refused_and_the_connection_stays()
-> anyhow::Result<()> {
    let app = app(&[])?;
    let mut peer = Peer::connect(&app, None);
    assert!(peer.send(&ClientMsg::ListLobbies).await.is_none());
    assert_eq!(
        error_code(&peer.recv().await?),
        Some(ErrorCode::BadHandshake)
    );
    let bad = ClientMsg::Hello {
        protocol_version: PROTOCOL_VERSION,
        name: "bad\u{7}name".into(),
        resume: None,
    };
    assert!(peer.send(&bad).await.is_none());
    assert_eq!(
        error_code(&peer.recv().await?),
        Some(ErrorCode::InvalidName)
    );
    peer.hello("good").await?;
    assert!(
        peer.send(&ClientMsg::Hello {
            protocol_version: PROTOCOL_VERSION,
            name: "again".into(),
            resume: None
        })
        .await
        .is_none()
    );
    assert_eq!(
        error_code(&peer.recv().await?),
        Some(ErrorCode::BadHandshake)
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn text_and_undecodable_frames_end_the_connection_with_a_reason() -> anyhow::Result<()> {
    let app = app(&[])?;
    let mut text = Peer::connect(&app, None);
    let ending = text.send_frame(Incoming::Text).await.expect("ends");
    assert_eq!(
        (ending.code, ending.close),
        (Some(ErrorCode::Malformed), close::UNSUPPORTED_DATA)
    );
    let mut garbage = Peer::connect(&app, None);
    let ending = garbage
        .send_frame(Incoming::Binary(&[0xff, 0x13, 0x37]))
        .await
        .expect("ends");
    assert_eq!(
        (ending.code, ending.close),
        (Some(ErrorCode::Malformed), close::PROTOCOL_ERROR)
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_flood_is_dropped_with_one_warning_a_second_then_closed() -> anyhow::Result<()> {
    let app = app(&["--rate-limit", "10"])?;
    let mut peer = Peer::connect(&app, None);
    peer.hello("flooder").await?;
    let ping = ClientMsg::Ping { client_time: 1 };
    // The burst (twice the rate, less the Hello) is answered.
    for _ in 0..19 {
        assert!(peer.send(&ping).await.is_none());
    }
    assert_eq!(
        peer.pending().len(),
        19,
        "every message of the burst is answered"
    );
    // Past it, messages are dropped: one warning, then silence within the same second.
    for _ in 0..5 {
        assert!(peer.send(&ping).await.is_none());
    }
    let dropped = peer.pending();
    assert_eq!(dropped.len(), 1, "{dropped:?}");
    assert_eq!(error_code(&dropped[0]), Some(ErrorCode::RateLimited));
    // A second on, the bucket has refilled by the rate: ten more are answered.
    pass(Duration::from_secs(1)).await;
    for _ in 0..10 {
        assert!(peer.send(&ping).await.is_none());
    }
    assert_eq!(peer.pending().len(), 10);
    // Sustained flooding ends the connection.
    let mut ending = None;
    for _ in 0..200 {
        ending = peer.send(&ping).await;
        if ending.is_some() {
            break;
        }
    }
    let ending = ending.expect("sustained excess closes");
    assert_eq!(
        (ending.code, ending.close),
        (Some(ErrorCode::RateLimited), close::POLICY)
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn joins_by_code_that_find_nothing_are_budgeted_and_refill_with_time() -> anyhow::Result<()> {
    let app = app(&[])?;
    let mut peer = Peer::connect(&app, None);
    peer.hello("guesser").await?;
    let guess = ClientMsg::JoinLobby {
        target: LobbyTarget::Code("NO-SUCH-CODE".into()),
        schema: None,
    };
    let mut answers = Vec::new();
    for _ in 0..7 {
        pass(Duration::from_millis(100)).await;
        assert!(peer.send(&guess).await.is_none());
        answers.push(error_code(&peer.recv().await?));
    }
    // Five failures in a burst (refilling at one a second), then refusals.
    let mut expected = vec![Some(ErrorCode::UnknownLobby); 5];
    expected.extend([Some(ErrorCode::RateLimited); 2]);
    assert_eq!(answers, expected);
    pass(Duration::from_secs(3)).await;
    assert!(peer.send(&guess).await.is_none());
    assert_eq!(
        error_code(&peer.recv().await?),
        Some(ErrorCode::UnknownLobby),
        "guessing is allowed again once the budget refills"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_created_lobby_is_joined_and_a_second_create_is_refused() -> anyhow::Result<()> {
    let app = app(&[])?;
    let mut peer = Peer::connect(&app, None);
    peer.hello("host").await?;
    assert!(peer.send(&create("in process")).await.is_none());
    let joined = loop {
        if let ServerMsg::Joined(j) = peer.recv().await? {
            break j;
        }
    };
    assert_eq!(joined.lobby.name, "in process");
    assert_eq!(joined.lobby.host, "host");
    assert!(app.lobbies.by_code(&joined.code).is_some());
    assert!(peer.send(&create("another")).await.is_none());
    let refusal = loop {
        if let Some(code) = error_code(&peer.recv().await?) {
            break code;
        }
    };
    assert_eq!(refusal, ErrorCode::AlreadyInLobby);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn opening_lobbies_is_budgeted_per_connection() -> anyhow::Result<()> {
    let app = app(&[])?;
    let mut peer = Peer::connect(&app, None);
    peer.hello("opener").await?;
    let mut refused = None;
    for i in 0..8 {
        pass(Duration::from_millis(500)).await;
        assert!(peer.send(&create(&format!("lobby {i}"))).await.is_none());
        let answer = loop {
            match peer.recv().await? {
                ServerMsg::Joined(_) => break None,
                msg @ ServerMsg::Error { .. } => break error_code(&msg),
                _ => continue,
            }
        };
        if answer.is_some() {
            refused = Some((i, answer));
            break;
        }
        assert!(peer.send(&ClientMsg::LeaveLobby).await.is_none());
    }
    assert_eq!(
        refused,
        Some((5, Some(ErrorCode::RateLimited))),
        "five lobbies in a burst, then a refusal"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_unknown_reconnect_token_is_refused_and_the_client_goes_on_as_new() -> anyhow::Result<()>
{
    let app = app(&[])?;
    let mut peer = Peer::connect(&app, None);
    let hello = ClientMsg::Hello {
        protocol_version: PROTOCOL_VERSION,
        name: "returning".into(),
        resume: Some([7; 16]),
    };
    assert!(peer.send(&hello).await.is_none());
    assert_eq!(
        error_code(&peer.recv().await?),
        Some(ErrorCode::ResumeRefused)
    );
    assert!(matches!(peer.recv().await?, ServerMsg::Welcome { .. }));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn inputs_in_flight_when_the_lobby_closes_are_dropped_quietly() -> anyhow::Result<()> {
    use tickwire_protocol::{Input, InputValues};
    use tickwire_server::lobby::runner::Command;
    let app = app(&[])?;
    let mut peer = Peer::connect(&app, None);
    peer.hello("player").await?;
    let input = ClientMsg::Input(Input {
        seq: 1,
        client_tick: 1,
        ack: 0,
        values: InputValues::new(&[0, 0]),
    });
    // Never in a lobby: told so.
    assert!(peer.send(&input).await.is_none());
    assert_eq!(error_code(&peer.recv().await?), Some(ErrorCode::NotInLobby));
    assert!(peer.send(&create("closing")).await.is_none());
    let joined = loop {
        if let ServerMsg::Joined(j) = peer.recv().await? {
            break j;
        }
    };
    let lobby = app.lobbies.by_code(&joined.code).expect("listed");
    let (reply, closed) = tokio::sync::oneshot::channel();
    lobby
        .commands
        .send(Command::Close {
            reason: Some("maintenance".into()),
            reply,
        })
        .await?;
    closed.await?;
    let told = loop {
        if let Some(code) = error_code(&peer.recv().await?) {
            break code;
        }
    };
    assert_eq!(told, ErrorCode::LobbyClosed);
    // The client had not heard yet and sent an input: it is dropped, no second refusal
    // replaces the one that said why.
    assert!(peer.send(&input).await.is_none());
    assert!(
        peer.send(&ClientMsg::Ping { client_time: 5 })
            .await
            .is_none()
    );
    let next = loop {
        match peer.recv().await? {
            ServerMsg::Snapshot(_) | ServerMsg::Roster { .. } => continue,
            other => break other,
        }
    };
    assert!(
        matches!(next, ServerMsg::Pong { client_time: 5, .. }),
        "{next:?}"
    );
    Ok(())
}
