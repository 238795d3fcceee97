//! Bad input from one client gets a clear refusal and never disturbs the others.

use anyhow::Result;
use tickwire_protocol::messages::{ClientMsg, ErrorCode, LobbyTarget};
use tickwire_tests::honest::{assert_kept_up, slipped_ticks};
use tickwire_tests::{Client, TestServer};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// A client in a lobby, snapshots flowing.
async fn bystander(server: &TestServer) -> Result<Client> {
    let mut c = server.client("bystander").await?;
    c.create("busy", 8, false).await?;
    c.hold(0, 0, 3).await?;
    Ok(c)
}

/// The bystander still gets a fresh snapshot for (nearly) every tick of the next second.
async fn still_ticking(server: &TestServer, c: &mut Client) -> Result<()> {
    let before = c.snapshot_ticks.len();
    let missed_before = slipped_ticks(server).await?;
    c.hold(10, 0, 30).await?;
    let missed = slipped_ticks(server).await? - missed_before;
    assert_kept_up(&c.snapshot_ticks[before..], 30, missed);
    Ok(())
}

#[tokio::test]
async fn unknown_lobby_id_is_refused_and_the_connection_stays() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut c = server.client("x").await?;
    c.send(&ClientMsg::JoinLobby {
        target: LobbyTarget::Id(4242),
        schema: None,
    })
    .await?;
    assert_eq!(c.expect_error().await?, ErrorCode::UnknownLobby);
    c.send(&ClientMsg::JoinLobby {
        target: LobbyTarget::Code("NOPE42".into()),
        schema: None,
    })
    .await?;
    assert_eq!(c.expect_error().await?, ErrorCode::UnknownLobby);
    c.create("after", 4, false).await?;
    Ok(())
}

#[tokio::test]
async fn text_frames_are_refused_with_a_reason() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut watcher = bystander(&server).await?;
    let mut c = server.client("texter").await?;
    c.send_raw(Message::Text("hello?".into())).await?;
    assert_eq!(c.expect_error().await?, ErrorCode::Malformed);
    let close = c.expect_close().await?.expect("a close frame");
    assert_eq!(close.code, CloseCode::Unsupported);
    assert!(
        close.reason.contains("binary"),
        "reason says what to do: {}",
        close.reason
    );
    still_ticking(&server, &mut watcher).await
}

#[tokio::test]
async fn oversized_frames_are_refused() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut watcher = bystander(&server).await?;
    let mut c = server.client("big").await?;
    c.send_raw(Message::Binary(vec![6u8; 4096].into())).await?;
    assert_eq!(c.expect_error().await?, ErrorCode::TooLarge);
    assert_eq!(
        c.expect_close().await?.expect("close frame").code,
        CloseCode::Size
    );
    // Far past any buffer the server keeps: the server stops reading at the frame header and
    // ends the connection at once (a close frame, or a reset while the client still sends).
    let mut huge = server.client("huge").await?;
    let _ = huge
        .send_raw(Message::Binary(vec![0u8; 1 << 20].into()))
        .await;
    match huge.expect_close().await {
        Ok(Some(close)) => assert_eq!(close.code, CloseCode::Size, "{close:?}"),
        Ok(None) => {}
        Err(e) => assert!(
            !e.to_string().contains("timed out"),
            "the connection must end, not hang: {e}"
        ),
    }
    still_ticking(&server, &mut watcher).await
}

#[tokio::test]
async fn random_bytes_are_refused() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut watcher = bystander(&server).await?;
    // Fixed garbage, deterministic: an unknown variant, a truncated message, a huge length.
    for garbage in [
        vec![0xff, 0x13, 0x37],
        vec![0x00, 0x01],
        vec![0x02, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
    ] {
        let mut c = server.client("noise").await?;
        c.send_raw(Message::Binary(garbage.into())).await?;
        assert_eq!(c.expect_error().await?, ErrorCode::Malformed);
        assert_eq!(
            c.expect_close().await?.expect("close frame").code,
            CloseCode::Protocol
        );
    }
    still_ticking(&server, &mut watcher).await
}

#[tokio::test]
async fn a_wrong_protocol_version_is_refused() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut watcher = bystander(&server).await?;
    let mut c = Client::connect(&server.ws_url()).await?;
    c.send(&ClientMsg::Hello {
        protocol_version: 999,
        name: "future".into(),
        resume: None,
    })
    .await?;
    assert_eq!(c.expect_error().await?, ErrorCode::BadVersion);
    assert_eq!(
        c.expect_close().await?.expect("close frame").code,
        CloseCode::Protocol
    );
    still_ticking(&server, &mut watcher).await
}

#[tokio::test]
async fn messages_before_hello_and_bad_names_are_refused() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut c = Client::connect(&server.ws_url()).await?;
    c.send(&ClientMsg::QuickJoin {
        game: String::new(),
        schema: None,
    })
    .await?;
    assert_eq!(c.expect_error().await?, ErrorCode::BadHandshake);
    c.send(&ClientMsg::Hello {
        protocol_version: tickwire_protocol::PROTOCOL_VERSION,
        name: "bad\u{7}name".into(),
        resume: None,
    })
    .await?;
    assert_eq!(c.expect_error().await?, ErrorCode::InvalidName);
    c.send(&ClientMsg::Hello {
        protocol_version: tickwire_protocol::PROTOCOL_VERSION,
        name: "x".repeat(25),
        resume: None,
    })
    .await?;
    assert_eq!(c.expect_error().await?, ErrorCode::InvalidName);
    c.hello("fine").await?;
    c.send(&ClientMsg::CreateLobby {
        game: "arena".into(),
        name: "lobby".into(),
        map: "arena".into(),
        max_players: 1,
        private: false,
    })
    .await?;
    assert_eq!(c.expect_error().await?, ErrorCode::InvalidMaxPlayers);
    c.send(&ClientMsg::CreateLobby {
        game: "arena".into(),
        name: "lobby".into(),
        map: "nowhere".into(),
        max_players: 4,
        private: false,
    })
    .await?;
    assert_eq!(c.expect_error().await?, ErrorCode::UnknownMap);
    c.send(&ClientMsg::LeaveLobby).await?;
    assert_eq!(c.expect_error().await?, ErrorCode::NotInLobby);
    Ok(())
}
