//! The HTTP side of the one port.

use anyhow::Result;
use tickwire_tests::TestServer;

#[tokio::test]
async fn health_lobbies_and_the_client_page() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    assert_eq!(server.get("/healthz").await?.0, 200);
    assert!(server.public_lobbies().await?.is_empty());
    let mut c = server.client("lister").await?;
    let joined = c.create("Listed lobby", 8, false).await?;
    let listed = server.public_lobbies().await?;
    assert_eq!(listed.len(), 1);
    let l = &listed[0];
    assert_eq!(
        (l["id"].as_u64(), l["name"].as_str(), l["map"].as_str()),
        (
            Some(u64::from(joined.lobby.id)),
            Some("Listed lobby"),
            Some("arena")
        )
    );
    assert_eq!(
        (l["players"].as_u64(), l["max_players"].as_u64()),
        (Some(1), Some(8))
    );
    let (status, page) = server.get("/").await?;
    assert_eq!(status, 200);
    assert!(
        page.contains("<html") || page.contains("<!doctype") || page.contains("<!DOCTYPE"),
        "the client page is served"
    );
    assert_eq!(server.get("/no/such/file.js").await?.0, 404);
    Ok(())
}
