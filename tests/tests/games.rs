//! Games are plugins, over real sockets: the server lists its games and their maps and runs
//! a lobby of each side by side, each read and played through its socket. (Refusing a
//! client built for another schema, or an input out of range, is tested in process in the
//! server's `lobby_flows.rs`.)

use anyhow::Result;
use tickwire_server::games::tag::{IT, Runner};
use tickwire_tests::TestServer;

#[tokio::test]
async fn the_server_lists_its_games_and_runs_one_lobby_of_each() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let (status, body) = server.get("/api/games").await?;
    assert_eq!(status, 200);
    let games: serde_json::Value = serde_json::from_str(&body)?;
    let names: Vec<&str> = games
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert_eq!(names, ["arena", "tag", "shooter"]);
    assert_eq!(games[1]["maps"][0], "yard");
    assert_eq!(games[2]["maps"][0], "outpost");
    assert!(games[0]["title"].as_str().is_some_and(|t| !t.is_empty()));

    let mut ada = server.client("Ada").await?;
    let arena = ada.create("orbs", 8, false).await?;
    assert_eq!(arena.schema.game, "arena");
    let mut bo = server.client("Bo").await?;
    let tag = bo.create_game("tag", "yard", "chase", 8, false).await?;
    assert_eq!(tag.schema.game, "tag");
    assert_ne!(arena.schema_hash, tag.schema_hash);
    // Tag's input has three fields; the tag lobby's one player is it.
    bo.input_values(&[0, 0, 0]).await?;
    bo.next_snapshot().await?;
    assert_eq!(bo.get::<Runner>(tag.entity).map(|r| r.it), Some(IT));
    let lobbies = server.public_lobbies().await?;
    let mut games: Vec<&str> = lobbies.iter().filter_map(|l| l["game"].as_str()).collect();
    games.sort_unstable();
    assert_eq!(
        games,
        ["arena", "tag"],
        "each lobby says its game: {lobbies:?}"
    );
    Ok(())
}
