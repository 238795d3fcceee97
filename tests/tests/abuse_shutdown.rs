//! SIGTERM's deadline is absolute: a socket holding a partial HTTP request cannot keep the
//! server alive past `--shutdown-deadline`, and players still get their close frames.

use std::time::Duration;

use anyhow::Result;
use tickwire_tests::Event;
use tickwire_tests::hostile::{TimedServer, connect_from, loopback};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[tokio::test]
async fn a_partial_request_cannot_hold_shutdown_past_the_deadline() -> Result<()> {
    let server = TimedServer::start(&["--shutdown-deadline", "1"]).await?;
    let mut player = tickwire_tests::Client::connect(&format!("ws://{}/ws", server.addr)).await?;
    player.hello("player").await?;
    player.create("room", 4, false).await?;
    player.hold(0, 0, 3).await?;
    // Half a request head, never finished; and a finished request on a kept-alive socket.
    let mut partial = connect_from(loopback(2), server.addr).await?;
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await?;
    let took = server.shut_down(Duration::from_secs(10)).await?;
    assert!(
        took < Duration::from_secs(3),
        "shutdown took {took:?} against a 1 s deadline"
    );
    // The player was told why, with a close frame, before the server went.
    let close = loop {
        match player.next_event().await? {
            Event::Closed(frame) => break frame,
            Event::Msg(_) => {}
        }
    };
    assert_eq!(close.map(|f| f.code), Some(CloseCode::Away));
    drop(partial);
    Ok(())
}
