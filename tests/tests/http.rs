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
    assert_eq!(l["host"].as_str(), Some("lister"), "the host is named");
    let (status, page) = server.get("/").await?;
    assert_eq!(status, 200);
    assert!(
        page.contains("<html") || page.contains("<!doctype") || page.contains("<!DOCTYPE"),
        "the client page is served"
    );
    assert_eq!(server.get("/no/such/file.js").await?.0, 404);
    Ok(())
}

#[tokio::test]
async fn the_client_is_served_with_its_types_and_without_its_tests_or_tools() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let http = reqwest::Client::new();
    for (path, content_type) in [
        ("/src/app/main.js", "text/javascript"),
        ("/style.css", "text/css"),
        ("/favicon.svg", "image/svg+xml"),
    ] {
        let res = http
            .get(format!("http://{}{path}", server.addr))
            .send()
            .await?;
        assert_eq!(res.status(), 200, "{path}");
        let served = res.headers()["content-type"].to_str()?.to_owned();
        assert!(served.starts_with(content_type), "{path}: {served}");
    }
    for hidden in [
        "/package.json",
        "/tsconfig.json",
        "/test/codec.test.js",
        "/e2e/harness.js",
        "/node_modules/typescript/package.json",
        "/src/../package.json",
    ] {
        assert_eq!(server.get(hidden).await?.0, 404, "{hidden} is not served");
    }
    Ok(())
}
