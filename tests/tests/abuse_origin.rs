//! The origin check does not trust the request's `Host`: a page whose name was rebound to
//! this server's address (DNS rebinding) sends a matching `Host` and is still refused;
//! pages from the bound address, `localhost` and `--public-url` are let in.

use anyhow::Result;
use tickwire_tests::TestServer;
use tickwire_tests::hostile::{handshake, loopback};

async fn status(server: &TestServer, host: &str, origin: &str) -> Result<String> {
    let headers = format!("Host: {host}\r\nOrigin: {origin}\r\n");
    let (head, _) = handshake(loopback(1), server.addr, &headers).await?;
    Ok(head.split_whitespace().nth(1).unwrap_or("").to_owned())
}

#[tokio::test]
async fn a_rebound_page_with_a_matching_host_is_refused() -> Result<()> {
    let server = TestServer::start(&["--public-url", "https://game.example/play"]).await?;
    let port = server.addr.port();
    let evil = format!("evil.example:{port}");
    assert_eq!(
        status(&server, &evil, &format!("http://{evil}")).await?,
        "403",
        "a page at evil.example may not play as the user, whatever its Host says"
    );
    let own = server.addr.to_string();
    assert_eq!(
        status(&server, &own, &format!("http://{own}")).await?,
        "101"
    );
    let localhost = format!("localhost:{port}");
    assert_eq!(
        status(&server, &localhost, &format!("http://{localhost}")).await?,
        "101"
    );
    assert_eq!(
        status(&server, "game.example", "https://game.example").await?,
        "101",
        "the public URL's origin is this server's own"
    );
    let mut player = server.client("player").await?;
    player.create("room", 4, false).await?;
    player.hold(0, 0, 3).await?;
    Ok(())
}
