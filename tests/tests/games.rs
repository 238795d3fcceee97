//! Games are plugins, over real sockets: the server lists its games and their maps, runs a
//! lobby of each side by side, refuses a client built for another schema with a clear
//! message, and refuses an input outside the game's declared ranges without acting on it.

use anyhow::Result;
use tickwire_protocol::messages::{ClientMsg, ErrorCode, LobbyTarget};
use tickwire_server::games::tag::{IT, Runner};
use tickwire_tests::{Client, TestServer};

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

#[tokio::test]
async fn a_client_built_for_another_schema_is_refused_clearly() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut host = server.client("Host").await?;
    let lobby = host.create("room", 8, false).await?;
    let mut other = server.client("Old").await?;
    other
        .send(&ClientMsg::JoinLobby {
            target: LobbyTarget::Id(lobby.lobby.id),
            schema: Some(lobby.schema_hash ^ 1),
        })
        .await?;
    let (code, message) = other.expect_refusal().await?;
    assert_eq!(code, ErrorCode::SchemaMismatch);
    assert!(message.contains("arena"), "names the game: {message}");
    assert!(other.joined.is_none(), "not seated");
    other
        .send(&ClientMsg::JoinLobby {
            target: LobbyTarget::Id(lobby.lobby.id),
            schema: Some(lobby.schema_hash),
        })
        .await?;
    assert_eq!(other.expect_joined().await?.schema_hash, lobby.schema_hash);
    let mut quick = server.client("Quick").await?;
    quick
        .send(&ClientMsg::QuickJoin {
            game: "tag".into(),
            schema: Some(lobby.schema_hash),
        })
        .await?;
    assert_eq!(quick.expect_error().await?, ErrorCode::SchemaMismatch);
    quick
        .send(&ClientMsg::CreateLobby {
            game: "chess".into(),
            name: "x".into(),
            map: "arena".into(),
            max_players: 2,
            private: false,
        })
        .await?;
    assert_eq!(quick.expect_error().await?, ErrorCode::UnknownGame);
    Ok(())
}

#[tokio::test]
async fn an_input_out_of_range_is_refused_and_changes_nothing() -> Result<()> {
    let server = TestServer::start(&[]).await?;
    let mut c: Client = server.client("Ada").await?;
    let joined = c.create("room", 8, false).await?;
    c.hold(0, 0, 3).await?;
    let (before, seq) = (c.entity(joined.entity).expect("me"), c.last_input_seq);
    for bad in [&[500, 0][..], &[0, -128], &[1, 2, 3], &[]] {
        c.input_values(bad).await?;
        let (code, message) = c.expect_refusal().await?;
        assert_eq!(code, ErrorCode::InvalidInput, "{bad:?}");
        assert!(!message.is_empty());
    }
    c.next_snapshot().await?;
    c.next_snapshot().await?;
    assert_eq!(c.entity(joined.entity), Some(before), "nothing moved");
    assert_eq!(c.last_input_seq, seq, "no refused input was applied");
    Ok(())
}
