//! The cluster as this node last read it from Redis: the live nodes (URL and load) and the
//! public lobbies of the others. One task refreshes it every [`REFRESH`]; every lobby
//! listing and quick join on this node reads the same shared copy, so a flood of listings
//! costs Redis nothing. A refresh costs two round trips whatever the number of lobbies (each
//! node keeps its own listing, already capped, in its node record). When Redis stays away
//! for a TTL the other nodes' lobbies are dropped from the view: this node then lists and
//! quick-joins its own lobbies only.

use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use tickwire_protocol::decode_server;
use tickwire_protocol::messages::{LobbyInfo, ServerMsg};

use super::{Cluster, key};

/// How often the view is read again.
pub const REFRESH: Duration = Duration::from_millis(500);
/// Most nodes read.
const MAX_NODES: isize = 256;

/// A node as its record says.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub id: String,
    pub url: String,
    /// Players seated in its lobbies.
    pub players: u32,
    pub lobbies: u32,
}

/// A public lobby of another node.
#[derive(Debug, Clone)]
pub struct RemoteLobby {
    pub info: LobbyInfo,
    pub node: String,
}

#[derive(Debug, Default)]
pub struct View {
    /// Every live node, this one included once its record is written.
    pub nodes: Vec<NodeInfo>,
    /// The other nodes' public lobbies (at most a listing's worth each).
    pub lobbies: Vec<RemoteLobby>,
    /// Changes with every refresh that read something new.
    pub generation: u64,
}

impl View {
    pub fn node(&self, id: &str) -> Option<&NodeInfo> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

/// Reads the view every [`REFRESH`] until the cluster stops.
pub(super) async fn refresh_loop(cluster: Arc<Cluster>) {
    let mut generation = 0;
    let mut last_read = Instant::now();
    let mut last_seen = Vec::new();
    loop {
        tokio::time::sleep(REFRESH).await;
        if cluster.stopped() {
            return;
        }
        match read(&cluster).await {
            Ok((nodes, lobbies, seen)) => {
                last_read = Instant::now();
                if seen != last_seen {
                    last_seen = seen;
                    generation += 1;
                }
                cluster.set_view(View {
                    nodes,
                    lobbies,
                    generation,
                });
            }
            Err(e) => {
                tracing::debug!("reading the cluster view: {e}");
                let view = cluster.view();
                if last_read.elapsed() > cluster.ttl() && !view.nodes.is_empty() {
                    generation += 1;
                    last_seen.clear();
                    cluster.set_view(View {
                        generation,
                        ..View::default()
                    });
                }
            }
        }
    }
}

type Read = (Vec<NodeInfo>, Vec<RemoteLobby>, Vec<Vec<u8>>);

async fn read(cluster: &Cluster) -> Result<Read, super::store::StoreError> {
    let ids: Vec<String> = cluster
        .store
        .run(|mut c| async move { c.zrange(key::NODES, 0, MAX_NODES - 1).await })
        .await?;
    let mut pipe = redis::pipe();
    for id in &ids {
        pipe.cmd("HMGET")
            .arg(key::node(id))
            .arg(&["url", "players", "lobbies", "listing"]);
    }
    let records: Vec<Vec<Option<Vec<u8>>>> = cluster
        .store
        .run(|mut c| async move { pipe.query_async(&mut c).await })
        .await?;
    let (mut nodes, mut lobbies, mut seen, mut dead) = (vec![], vec![], vec![], vec![]);
    for (id, fields) in ids.into_iter().zip(records) {
        let text = |i: usize| {
            fields
                .get(i)
                .cloned()
                .flatten()
                .and_then(|b| String::from_utf8(b).ok())
        };
        let Some(url) = text(0) else {
            dead.push(id);
            continue;
        };
        let number = |i: usize| text(i).and_then(|t| t.parse().ok()).unwrap_or(0);
        let listing = fields.get(3).cloned().flatten().unwrap_or_default();
        if id != cluster.node
            && let Ok(ServerMsg::LobbyList { lobbies: listed }) = decode_server(&listing)
        {
            lobbies.extend(listed.into_iter().map(|info| RemoteLobby {
                info,
                node: id.clone(),
            }));
        }
        seen.push(listing);
        nodes.push(NodeInfo {
            players: number(1),
            lobbies: number(2),
            id,
            url,
        });
    }
    if !dead.is_empty() {
        // Nodes whose record expired (killed, or cut off from Redis for a TTL).
        let _ = cluster
            .store
            .run(|mut c| async move { c.zrem::<_, _, ()>(key::NODES, dead).await })
            .await;
    }
    seen.extend(
        nodes
            .iter()
            .map(|n| format!("{}{}{}", n.id, n.players, n.url).into_bytes()),
    );
    Ok((nodes, lobbies, seen))
}
