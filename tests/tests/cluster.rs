//! Cluster mode end to end: a real redis-server and three real `tickwire` nodes on this
//! machine, real sockets. The tests run one at a time (each starts its own cluster).

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use anyhow::{Result, ensure};
use tickwire_protocol::messages::{ClientMsg, ErrorCode, LobbyTarget, ServerMsg};
use tickwire_tests::cluster::{Node, Redis, eventually, resume, seat, seat_once_published};
use tokio::sync::Mutex;

/// One cluster at a time on a shared machine.
static ONE_AT_A_TIME: LazyLock<Mutex<()>> = LazyLock::new(|| Mutex::new(()));

/// Nodes tick slowly and forget records fast (a 2 s TTL), so a test waits little.
const NODE_ARGS: &[&str] = &[
    "--tick-rate",
    "10",
    "--cluster-ttl",
    "2",
    "--max-connections-per-ip",
    "0",
    "--max-http-connections-per-ip",
    "0",
];

/// Longest a test waits for the cluster to notice something.
const SETTLE: Duration = Duration::from_secs(20);

fn create(name: &str, private: bool) -> ClientMsg {
    ClientMsg::CreateLobby {
        game: String::new(),
        name: name.into(),
        map: "arena".into(),
        max_players: 8,
        private,
    }
}

fn quick() -> ClientMsg {
    ClientMsg::QuickJoin {
        game: String::new(),
        schema: None,
    }
}

fn by(target: LobbyTarget) -> ClientMsg {
    ClientMsg::JoinLobby {
        target,
        schema: None,
    }
}

#[tokio::test]
async fn cluster_join_by_code_and_by_id_across_nodes() -> Result<()> {
    let _one = ONE_AT_A_TIME.lock().await;
    let redis = Redis::start().await?;
    let [a, b, c] = Node::three(&redis, NODE_ARGS).await?;
    let host = seat(&a.ws_url(), "Ada", create("secret", true)).await?;
    assert_eq!(host.redirects, 0, "a lobby opens where it is asked for");

    // A private lobby, by its code, through another node: sent to the node holding it.
    let code = host.joined.code.to_lowercase();
    let guest = seat_once_published(&c.ws_url(), "Bo", by(LobbyTarget::Code(code)), SETTLE).await?;
    assert_eq!(guest.redirects, 1);
    assert_eq!(guest.url, a.ws_url(), "redirected to the lobby's node");
    assert_eq!(guest.joined.lobby.id, host.joined.lobby.id);

    // A public lobby by id, through the third node.
    let open = seat(&b.ws_url(), "Cy", create("open", false)).await?;
    let by_id = seat_once_published(
        &c.ws_url(),
        "Di",
        by(LobbyTarget::Id(open.joined.lobby.id)),
        SETTLE,
    )
    .await?;
    assert_eq!(by_id.url, b.ws_url());
    assert_eq!(by_id.joined.code, open.joined.code);

    // A private lobby is not reachable by id from anywhere, and ids and codes differ
    // across nodes.
    let mut probe = b.client("Eve").await?;
    probe
        .send(&by(LobbyTarget::Id(host.joined.lobby.id)))
        .await?;
    assert_eq!(probe.expect_error().await?, ErrorCode::UnknownLobby);
    assert_ne!(host.joined.lobby.id, open.joined.lobby.id);
    assert_ne!(host.joined.code, open.joined.code);

    // A seat ticket works once.
    let mut first = a.client("Fay").await?;
    first.send(&by(LobbyTarget::Ticket([7; 16]))).await?;
    assert_eq!(
        first.expect_error().await?,
        ErrorCode::UnknownLobby,
        "a forged ticket"
    );
    ensure!(a.metric("tickwire_cluster_ticket_refusals_total").await? >= 1.0);
    ensure!(c.metric("tickwire_cluster_redirects_total").await? >= 2.0);
    Ok(())
}

#[tokio::test]
async fn cluster_quick_join_finds_the_fullest_lobby_on_another_node() -> Result<()> {
    let _one = ONE_AT_A_TIME.lock().await;
    let redis = Redis::start().await?;
    let [a, b, _c] = Node::three(&redis, NODE_ARGS).await?;
    let first = seat(&a.ws_url(), "Ada", quick()).await?;
    // Once node b has read the lobby with its player, quick join there goes to it.
    let id = first.joined.lobby.id;
    eventually(SETTLE, "node b lists the lobby with one player", || async {
        Ok(b.lobbies()
            .await?
            .iter()
            .any(|l| l["id"] == id && l["players"] == 1))
    })
    .await?;
    let second = seat(&b.ws_url(), "Bo", quick()).await?;
    assert_eq!(second.redirects, 1);
    assert_eq!(
        second.joined.lobby.id, id,
        "seated in the fullest lobby, on node a"
    );
    Ok(())
}

#[tokio::test]
async fn cluster_every_node_lists_the_whole_cluster() -> Result<()> {
    let _one = ONE_AT_A_TIME.lock().await;
    let redis = Redis::start().await?;
    let nodes = Node::three(&redis, NODE_ARGS).await?;
    let mut ids = Vec::new();
    let mut hosts = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let s = seat(
            &node.ws_url(),
            &format!("Host{i}"),
            create(&format!("room {i}"), false),
        )
        .await?;
        ids.push(s.joined.lobby.id);
        hosts.push(s);
    }
    let secret = seat(&nodes[0].ws_url(), "Hidden", create("hidden", true)).await?;
    for node in &nodes {
        eventually(
            SETTLE,
            "every node lists the three public lobbies",
            || async {
                let listed = node.listed().await?;
                Ok(ids.iter().all(|id| listed.contains(&u64::from(*id))))
            },
        )
        .await?;
        assert!(
            !node
                .listed()
                .await?
                .contains(&u64::from(secret.joined.lobby.id)),
            "a private lobby is never listed"
        );
    }
    // ListLobbies over the socket says the same.
    let mut c = nodes[2].client("Lister").await?;
    c.send(&ClientMsg::ListLobbies).await?;
    let listed = c
        .recv_until(|m| match m {
            ServerMsg::LobbyList { lobbies } => Some(lobbies.clone()),
            _ => None,
        })
        .await?;
    for id in &ids {
        assert!(
            listed.iter().any(|l| l.id == *id),
            "lobby {id} in ListLobbies"
        );
    }
    Ok(())
}

#[tokio::test]
async fn cluster_200_concurrent_quick_joins_never_overfill_a_lobby() -> Result<()> {
    let _one = ONE_AT_A_TIME.lock().await;
    let redis = Redis::start().await?;
    let nodes = Node::three(&redis, NODE_ARGS).await?;
    let urls: Vec<String> = nodes.iter().map(Node::ws_url).collect();
    let joins = (0..200).map(|i| {
        let url = urls[i % 3].clone();
        tokio::spawn(async move { seat(&url, &format!("Bot{i}"), quick()).await })
    });
    let mut seated = Vec::new();
    for join in futures_util::future::join_all(joins).await {
        seated.push(join??);
    }
    let mut per_lobby: HashMap<u32, (usize, u8)> = HashMap::new();
    for s in &seated {
        let e = per_lobby
            .entry(s.joined.lobby.id)
            .or_insert((0, s.joined.lobby.max_players));
        e.0 += 1;
    }
    assert_eq!(seated.len(), 200, "every quick join was seated");
    for (id, (players, max)) in &per_lobby {
        assert!(
            players <= &usize::from(*max),
            "lobby {id}: {players} of {max}"
        );
    }
    // And as the lobbies themselves count them, cluster-wide.
    eventually(SETTLE, "the listing counts all 200 players", || async {
        let lobbies = nodes[0].lobbies().await?;
        let total: u64 = lobbies.iter().filter_map(|l| l["players"].as_u64()).sum();
        Ok(total == 200)
    })
    .await?;
    for l in nodes[1].lobbies().await? {
        assert!(l["players"].as_u64() <= l["max_players"].as_u64(), "{l}");
    }
    Ok(())
}

#[tokio::test]
async fn cluster_a_redirected_client_plays_and_resumes_after_a_drop() -> Result<()> {
    let _one = ONE_AT_A_TIME.lock().await;
    let redis = Redis::start().await?;
    let [a, b, c] = Node::three(&redis, NODE_ARGS).await?;
    let host = seat(&a.ws_url(), "Ada", create("duel", false)).await?;
    let mut guest = seat_once_published(
        &b.ws_url(),
        "Bo",
        by(LobbyTarget::Code(host.joined.code.clone())),
        SETTLE,
    )
    .await?;
    assert_eq!(guest.url, a.ws_url());
    let entity = guest.joined.entity;
    let client_id = guest.client.client_id;
    let token = guest.client.token;

    // It plays: its own player moves.
    guest.client.hold(0, 0, 2).await?;
    let start = guest.client.entity(entity).expect("own entity").pos();
    guest.client.hold(127, 0, 20).await?;
    let moved = guest.client.entity(entity).expect("own entity").pos();
    assert!(
        moved.x > start.x,
        "the redirected player moves: {start:?} -> {moved:?}"
    );

    // The connection drops; it comes back through a third node and gets its seat back.
    drop(guest);
    let (mut back, seen, url) = resume(&c.ws_url(), "Bo", token).await?;
    assert_eq!(url, a.ws_url(), "sent to the node holding the seat");
    assert!(
        !seen.iter().any(|m| matches!(m, ServerMsg::Error { .. })),
        "resumed, not refused: {seen:?}"
    );
    assert_eq!(back.client_id, client_id, "the same client");
    let joined = back.expect_joined().await?;
    assert_eq!(joined.entity, entity, "the same entity");
    back.hold(0, 0, 2).await?;
    assert!(back.entity(entity).is_some());
    Ok(())
}

#[tokio::test]
async fn cluster_a_killed_node_leaves_the_directory_within_the_ttl() -> Result<()> {
    let _one = ONE_AT_A_TIME.lock().await;
    let redis = Redis::start().await?;
    let [a, _b, mut c] = Node::three(&redis, NODE_ARGS).await?;
    let doomed = seat(&c.ws_url(), "Ada", create("doomed", false)).await?;
    let id = u64::from(doomed.joined.lobby.id);
    eventually(SETTLE, "node a lists node c's lobby", || async {
        Ok(a.listed().await?.contains(&id))
    })
    .await?;
    c.kill().await;
    eventually(SETTLE, "node c's lobby leaves node a's listing", || async {
        Ok(!a.listed().await?.contains(&id))
    })
    .await?;
    // Nobody is sent to the dead node.
    let mut probe = a.client("Bo").await?;
    probe
        .send(&by(LobbyTarget::Id(doomed.joined.lobby.id)))
        .await?;
    assert_eq!(probe.expect_error().await?, ErrorCode::UnknownLobby);
    probe.send(&quick()).await?;
    let joined = probe.expect_joined().await?;
    assert_ne!(u64::from(joined.lobby.id), id);
    Ok(())
}

#[tokio::test]
async fn cluster_a_stopped_node_withdraws_its_lobbies_at_once() -> Result<()> {
    let _one = ONE_AT_A_TIME.lock().await;
    let redis = Redis::start().await?;
    let a = Node::start(&redis, NODE_ARGS).await?;
    // A TTL far longer than the test waits: only the node's own goodbye removes its lobby.
    let mut b = Node::start(&redis, &["--cluster-ttl", "600", "--tick-rate", "10"]).await?;
    let mut player = seat(&b.ws_url(), "Ada", create("leaving", false)).await?;
    let id = u64::from(player.joined.lobby.id);
    eventually(SETTLE, "node a lists node b's lobby", || async {
        Ok(a.listed().await?.contains(&id))
    })
    .await?;
    b.terminate().await?;
    let closed = player.client.expect_close().await?;
    assert!(
        closed.is_some_and(|f| !f.reason.is_empty()),
        "a close frame with a reason"
    );
    eventually(SETTLE, "node b's lobby leaves node a's listing", || async {
        Ok(!a.listed().await?.contains(&id))
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn cluster_lobbies_keep_ticking_while_redis_is_away_and_joins_recover() -> Result<()> {
    let _one = ONE_AT_A_TIME.lock().await;
    let mut redis = Redis::start().await?;
    let [a, b, _c] = Node::three(&redis, NODE_ARGS).await?;
    let mut host = seat(&a.ws_url(), "Ada", create("steady", false)).await?;
    let code = host.joined.code.clone();
    redis.kill().await;

    // The lobby keeps ticking and its player keeps playing.
    let before = host.client.next_snapshot().await?;
    host.client.hold(127, 0, 10).await?;
    let after = host.client.next_snapshot().await?;
    assert!(after >= before + 10, "ticks {before} -> {after}");

    // A join of a lobby on another node fails clearly; quick join here still works.
    let mut guest = b.client("Bo").await?;
    guest.send(&by(LobbyTarget::Code(code.clone()))).await?;
    let (code_seen, message) = guest.expect_refusal().await?;
    assert_eq!(code_seen, ErrorCode::ClusterUnavailable, "{message}");
    assert!(message.contains("cluster directory"), "{message}");
    let mut local = b.client("Cy").await?;
    local.send(&quick()).await?;
    local.expect_joined().await?;
    eventually(SETTLE, "node b reports Redis down", || async {
        Ok(b.metric("tickwire_cluster_redis_up").await? == 0.0)
    })
    .await?;

    // Redis comes back empty: the nodes register again by themselves, and the join works.
    redis.restart().await?;
    eventually(
        SETTLE,
        "the join by code through node b works again",
        || async {
            let s = seat(&b.ws_url(), "Bo", by(LobbyTarget::Code(code.clone()))).await;
            Ok(s.is_ok_and(|s| s.url == a.ws_url()))
        },
    )
    .await?;
    host.client.hold(0, 0, 3).await?;
    Ok(())
}
