//! A hostile or broken client never hurts the others: floods are limited, stalled readers
//! are dropped, foreign pages cannot open sockets, and connection limits hold.

use anyhow::Result;
use tickwire_protocol::messages::{ClientMsg, ErrorCode, LobbyTarget};
use tickwire_protocol::{Input, codec::encode};
use tickwire_tests::honest::{assert_kept_up, missed_ticks, slipped_ticks};
use tickwire_tests::{Client, TestServer};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[tokio::test]
async fn a_flood_of_inputs_is_limited_without_hurting_the_others() -> Result<()> {
    let server = TestServer::start(&["--rate-limit", "60"]).await?;
    let mut host = server.client("host").await?;
    let lobby = host.create("flooded", 4, false).await?;
    let mut flooder = server.client("flooder").await?;
    flooder.join(LobbyTarget::Id(lobby.lobby.id)).await?;
    host.hold(0, 0, 3).await?;

    // Thousands of inputs at once, as fast as the socket takes them.
    for seq in 1..=2000u32 {
        let input = Input {
            seq,
            client_tick: seq,
            ack: 0,
            values: tickwire_protocol::InputValues::new(&[127, 0]),
        };
        if flooder.send(&ClientMsg::Input(input)).await.is_err() {
            break; // closed under us: that is the point
        }
    }
    assert_eq!(
        flooder.expect_error().await?,
        ErrorCode::RateLimited,
        "told about the limit"
    );
    let closed = flooder.expect_close().await?.expect("a close frame");
    assert_eq!(
        closed.code,
        CloseCode::Policy,
        "sustained flooding closes the connection"
    );

    let before = host.snapshot_ticks.len();
    let missed_before = slipped_ticks(&server).await?;
    host.hold(0, 0, 30).await?;
    let missed = slipped_ticks(&server).await? - missed_before;
    assert_kept_up(&host.snapshot_ticks[before..], 30, missed);
    Ok(())
}

#[tokio::test]
async fn a_client_that_never_reads_is_dropped_and_slows_nobody() -> Result<()> {
    let server = TestServer::start(&["--ping-timeout", "1", "--reconnect-grace", "0.3"]).await?;
    let mut host = server.client("host").await?;
    let lobby = host.create("room", 4, false).await?;
    let mut stalled = server.client("stalled").await?;
    let stalled_entity = stalled.join(LobbyTarget::Id(lobby.lobby.id)).await?.entity;
    // From here on `stalled` never reads its socket (nor answers pings).
    let before = host.snapshot_ticks.len();
    let missed_before = missed_ticks(&server).await?;
    let mut gone = false;
    for _ in 0..150 {
        host.hold(0, 0, 1).await?;
        if host.world.is_some() && host.entity(stalled_entity).is_none() {
            gone = true;
            break;
        }
    }
    assert!(
        gone,
        "the stalled client is disconnected once it stops answering, and its held seat given up"
    );
    let missed = missed_ticks(&server).await? - missed_before;
    assert_kept_up(&host.snapshot_ticks[before..], 10, missed);
    drop(stalled);
    Ok(())
}

#[tokio::test]
async fn a_page_from_another_origin_cannot_open_a_socket() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let refused = Client::connect_from_origin(&server.ws_url(), "https://evil.example").await;
    let err = refused.err().expect("refused").to_string();
    assert!(err.contains("403"), "refused with 403 Forbidden: {err}");
    let own = format!("http://{}", server.addr);
    let mut ok = Client::connect_from_origin(&server.ws_url(), &own).await?;
    ok.hello("same-origin").await?;

    let listed = TestServer::start(&["--allowed-origins", "https://game.example"]).await?;
    assert!(
        Client::connect_from_origin(&listed.ws_url(), "https://game.example")
            .await
            .is_ok()
    );
    assert!(
        Client::connect_from_origin(&listed.ws_url(), &format!("http://{}", listed.addr))
            .await
            .is_err()
    );
    Ok(())
}

#[tokio::test]
async fn connection_limits_refuse_with_a_reason() -> Result<()> {
    let server = TestServer::start(&["--max-connections-per-ip", "2"]).await?;
    let _a = server.client("a").await?;
    let _b = server.client("b").await?;
    let mut c = Client::connect(&server.ws_url()).await?;
    assert_eq!(c.expect_error().await?, ErrorCode::ServerFull);
    let close = c.expect_close().await?.expect("close frame");
    assert_eq!(close.code, CloseCode::Again);
    assert!(
        close.reason.contains("too many connections"),
        "{}",
        close.reason
    );
    Ok(())
}

#[tokio::test]
async fn garbage_after_joining_does_not_touch_the_lobby() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut host = server.client("host").await?;
    let lobby = host.create("room", 4, false).await?;
    let mut bad = server.client("bad").await?;
    bad.join(LobbyTarget::Code(lobby.code.clone())).await?;
    let mut frame = encode(&ClientMsg::Ping { client_time: 1 });
    frame.push(0xff); // trailing byte
    bad.send_raw(Message::Binary(frame.into())).await?;
    assert_eq!(bad.expect_error().await?, ErrorCode::Malformed);
    let before = host.snapshot_ticks.len();
    let missed_before = slipped_ticks(&server).await?;
    host.hold(0, 0, 20).await?;
    let missed = slipped_ticks(&server).await? - missed_before;
    assert_kept_up(&host.snapshot_ticks[before..], 20, missed);
    let bad_id = bad.client_id;
    let bad_connected = host
        .roster
        .iter()
        .find(|p| p.client_id == bad_id)
        .map(|p| p.connected);
    assert_eq!(
        bad_connected,
        Some(false),
        "the bad client was disconnected (its seat held for a reconnect)"
    );
    Ok(())
}
