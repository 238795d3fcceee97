//! The smaller holes: unsolicited pongs do not keep a non-reading client alive; names that
//! hide or reorder text are refused, and so is a copy of another player's name in the same
//! lobby; protocol errors close with 1002; `/metrics` can be put behind a token.

use std::time::Duration;

use anyhow::Result;
use tickwire_protocol::PROTOCOL_VERSION;
use tickwire_protocol::messages::{ClientMsg, ErrorCode};
use tickwire_tests::honest::Honest;
use tickwire_tests::hostile::{
    BINARY, FIN, PONG, close_code, connect_from, frame, loopback, raw_websocket,
};
use tickwire_tests::{Client, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn unsolicited_pongs_do_not_keep_a_dead_reader_alive() -> Result<()> {
    let server = TestServer::start(&["--ping-timeout", "1"]).await?;
    let mut honest = Honest::seat(&server, 4, 30).await?;
    let zombie = raw_websocket(loopback(2), server.addr).await?;
    let (mut reads, mut writes) = zombie.into_split();
    // Never reads; sends a pong ten times a second, answering no ping, all through the test.
    let pongs = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_millis(100));
        for _ in 0..60 {
            every.tick().await;
            if writes
                .write_all(&frame(FIN | PONG, b"alive"))
                .await
                .is_err()
            {
                break;
            }
        }
    });
    honest.play_unharmed(Duration::from_secs(2), 0.7).await?;
    let mut seen = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), reads.read_to_end(&mut seen)).await;
    pongs.abort();
    assert!(
        contains_close(&seen, 1001),
        "closed for answering no ping (got {} bytes)",
        seen.len()
    );
    Ok(())
}

/// Whether the server's frames in `buf` include a close frame with `code`.
fn contains_close(buf: &[u8], code: u16) -> bool {
    let close = [0x88, 0x00];
    buf.windows(4)
        .any(|w| w[0] == close[0] && w[1] >= 2 && u16::from_be_bytes([w[2], w[3]]) == code)
}

#[tokio::test]
async fn names_that_hide_or_impersonate_are_refused() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut c = Client::connect(&server.ws_url()).await?;
    for name in [
        "\u{202E}nimda",
        "\u{200B}\u{200B}\u{200B}",
        "\u{3164}",
        "bob\u{2066}",
        "Z\u{0336}\u{0337}\u{0338}\u{0335}\u{0334}",
    ] {
        c.send(&ClientMsg::Hello {
            protocol_version: PROTOCOL_VERSION,
            name: name.into(),
            resume: None,
        })
        .await?;
        assert_eq!(c.expect_error().await?, ErrorCode::InvalidName, "{name:?}");
    }
    c.hello("Zoë").await?;
    Ok(())
}

#[tokio::test]
async fn protocol_errors_close_with_1002() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut honest = Honest::seat(&server, 2, 30).await?;
    let reserved_bit = frame(FIN | 0x40 | BINARY, &[0]);
    let unmasked = vec![FIN | BINARY, 0x01, 0x00];
    for bad in [reserved_bit, unmasked] {
        let mut s = raw_websocket(loopback(2), server.addr).await?;
        s.write_all(&bad).await?;
        assert_eq!(close_code(&mut s, Duration::from_secs(3)).await, Some(1002));
    }
    honest.play_unharmed(Duration::from_secs(1), 0.7).await?;
    Ok(())
}

async fn metrics_status(server: &TestServer, auth: &str) -> Result<String> {
    let mut s = connect_from(loopback(1), server.addr).await?;
    let request = format!("GET /metrics HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n");
    s.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut raw)).await??;
    let text = String::from_utf8_lossy(&raw);
    Ok(text.split_whitespace().nth(1).unwrap_or("").to_owned())
}

#[tokio::test]
async fn metrics_can_require_a_token() -> Result<()> {
    let server = TestServer::start(&["--metrics-token", "s3cret"]).await?;
    assert_eq!(metrics_status(&server, "").await?, "401");
    assert_eq!(
        metrics_status(&server, "Authorization: Bearer wrong\r\n").await?,
        "401"
    );
    assert_eq!(
        metrics_status(&server, "Authorization: Bearer s3cret\r\n").await?,
        "200"
    );
    Ok(())
}

#[tokio::test]
async fn a_copy_of_another_players_name_is_refused_in_that_lobby() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut ada = server.client("Ada").await?;
    let lobby = ada.create("room", 8, false).await?;
    let code = tickwire_protocol::messages::LobbyTarget::Code(lobby.code.clone());
    for copy in ["Ada", "ada", " ADA "] {
        let mut impostor = server.client(copy).await?;
        impostor
            .send(&ClientMsg::JoinLobby {
                target: code.clone(),
                schema: None,
            })
            .await?;
        assert_eq!(
            impostor.expect_error().await?,
            ErrorCode::InvalidName,
            "{copy:?}"
        );
        assert!(impostor.joined.is_none());
    }
    let mut bo = server.client("Bo").await?;
    bo.join(code).await?;
    Ok(())
}
