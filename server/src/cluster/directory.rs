//! This node's records in the shared directory, written by one task:
//!
//! - `tickwire:lobby:<id>` (hash: node, game, name, map, players, max, private, code, host)
//!   and `tickwire:code:<CODE>` (the lobby id), for every lobby here;
//! - `tickwire:node:<node>` (hash: url, players, lobbies, and `listing`, this node's public
//!   lobbies as a capped, encoded `LobbyList`), indexed in the sorted set `tickwire:nodes`;
//! - `tickwire:seat:<token>` (the node holding the seat of a reconnect token).
//!
//! Every record has a TTL (`--cluster-ttl`) and is written again on each heartbeat (a third
//! of the TTL), whole, so a Redis that lost everything is filled again within a heartbeat
//! and a killed node's records are gone within a TTL. Between heartbeats the task looks every
//! [`POLL`] for lobbies whose player count or host changed and writes only those. A closed
//! lobby's records go at once; at shutdown all of this node's records go.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::{AsyncCommands, Script};
use tickwire_protocol::codec::encode;
use tickwire_protocol::messages::ServerMsg;

use super::ids::block_number;
use super::store::StoreError;
use super::{Cluster, Note, key};
use crate::lobbies::{Lobbies, LobbyHandle};

/// How often changed player counts are looked for between heartbeats.
pub const POLL: Duration = Duration::from_millis(200);

/// Writes one lobby's record, and its code unless another lobby holds that code.
/// KEYS: lobby, code. ARGV: node, id, ttl_ms, game, name, map, players, max, private, host, code.
static PUBLISH_LOBBY: std::sync::LazyLock<Script> = std::sync::LazyLock::new(|| {
    Script::new(
        r"
redis.call('HSET', KEYS[1], 'node', ARGV[1], 'game', ARGV[4], 'name', ARGV[5], 'map', ARGV[6],
  'players', ARGV[7], 'max', ARGV[8], 'private', ARGV[9], 'host', ARGV[10], 'code', ARGV[11])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local owner = redis.call('GET', KEYS[2])
if owner == false or owner == ARGV[2] or owner == 'reserved:' .. ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
",
    )
});

/// Deletes a code if it still names this lobby. KEYS: code. ARGV: id.
static DELETE_CODE: std::sync::LazyLock<Script> = std::sync::LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
",
    )
});

/// Raises the id-block counter to at least ARGV[1] (after a Redis restart). KEYS: counter.
static RAISE_COUNTER: std::sync::LazyLock<Script> = std::sync::LazyLock::new(|| {
    Script::new(
        r"
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if v < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
",
    )
});

fn millis(d: Duration) -> u64 {
    d.as_millis() as u64
}

fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, millis)
}

/// What a lobby's record says that changes while it runs.
fn fingerprint(h: &LobbyHandle) -> u64 {
    let players = u64::from(h.shared.players.load(std::sync::atomic::Ordering::Relaxed));
    let hosts = u64::from(
        h.shared
            .host_changes
            .load(std::sync::atomic::Ordering::Relaxed),
    );
    players | hosts << 8
}

/// Writes this node's records until the cluster stops or the lobby directory is gone.
pub(super) async fn publish_loop(cluster: Arc<Cluster>, lobbies: Weak<Lobbies>) {
    let heartbeat = cluster.ttl() / 3;
    let mut published: HashMap<u32, u64> = HashMap::new();
    let mut last_full: Option<Instant> = None;
    loop {
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            () = cluster.wake.notified() => {}
        }
        if cluster.stopped() {
            return;
        }
        let Some(lobbies) = lobbies.upgrade() else {
            return;
        };
        let full = last_full.is_none_or(|t| t.elapsed() >= heartbeat);
        match pass(&cluster, &lobbies, &mut published, full).await {
            Ok(()) if full => last_full = Some(Instant::now()),
            Ok(()) => {}
            Err(e) => {
                tracing::debug!("writing the cluster directory: {e}");
                // Everything is written again, whole, once Redis answers.
                published.clear();
                last_full = None;
            }
        }
        if cluster.ids.wants_block() {
            take_id_block(&cluster).await;
        }
        reserve_codes(&cluster, &lobbies).await;
    }
}

/// Tops up the pool of join codes reserved for this node (`SET NX`: a code any node
/// reserved or uses is never taken again while it lives).
async fn reserve_codes(cluster: &Cluster, lobbies: &Lobbies) {
    let (public, private) = cluster.codes_left();
    for (left, is_private) in [(public, false), (private, true)] {
        if left >= super::CODE_POOL / 2 {
            continue;
        }
        let codes: Vec<String> = (left..super::CODE_POOL)
            .map(|_| lobbies.fresh_code(is_private))
            .collect();
        let mut pipe = redis::pipe();
        for code in &codes {
            pipe.cmd("SET")
                .arg(key::code(code))
                .arg(format!("reserved:{}", cluster.node))
                .arg("NX")
                .arg("PX")
                .arg(millis(super::CODE_RESERVATION));
        }
        let taken: Result<Vec<Option<String>>, StoreError> = cluster
            .store
            .run(|mut c| async move { pipe.query_async(&mut c).await })
            .await;
        if let Ok(taken) = taken {
            let won = codes
                .into_iter()
                .zip(taken)
                .filter_map(|(code, ok)| ok.map(|_| code))
                .collect();
            cluster.add_codes(is_private, won);
        }
    }
}

/// Takes the next block of lobby ids.
pub(super) async fn take_id_block(cluster: &Cluster) -> bool {
    let counter: Result<u64, StoreError> = cluster
        .store
        .run(|mut c| async move { c.incr(key::LOBBY_ID_BLOCKS, 1).await })
        .await;
    match counter {
        Ok(n) => {
            cluster.ids.add(block_number(n));
            true
        }
        Err(e) => {
            tracing::debug!("taking a block of lobby ids: {e}");
            false
        }
    }
}

/// One write of whatever changed (everything, on a heartbeat).
async fn pass(
    cluster: &Cluster,
    lobbies: &Lobbies,
    published: &mut HashMap<u32, u64>,
    full: bool,
) -> Result<(), StoreError> {
    let notes = cluster.take_notes();
    let ttl = millis(cluster.ttl());
    let all = lobbies.all();
    let mut pipe = redis::pipe();
    // A script is loaded (so that Redis has it, after a restart too) in the pipeline that
    // first runs it, not on every pass: a pass with nothing to write sends nothing.
    let (mut publish_loaded, mut delete_loaded) = (false, false);
    let mut changed = !notes.is_empty();
    for note in &notes {
        match note {
            Note::Closed { id, code } => {
                published.remove(id);
                pipe.del(&[key::lobby(*id), key::holds(*id)]).ignore();
                if !std::mem::replace(&mut delete_loaded, true) {
                    pipe.load_script(&DELETE_CODE).ignore();
                }
                pipe.invoke_script(DELETE_CODE.key(key::code(code)).arg(*id))
                    .ignore();
            }
            Note::Seat {
                token,
                for_how_long,
            } => {
                pipe.pset_ex(key::seat(token), &cluster.node, millis(*for_how_long))
                    .ignore();
            }
            Note::SeatGone { token } => {
                pipe.del(key::seat(token)).ignore();
            }
        }
    }
    let mut next = HashMap::with_capacity(all.len());
    for h in &all {
        let fp = fingerprint(h);
        next.insert(h.id, fp);
        if !full && published.get(&h.id) == Some(&fp) {
            continue;
        }
        changed = true;
        let players = h.shared.players.load(std::sync::atomic::Ordering::Relaxed);
        if !std::mem::replace(&mut publish_loaded, true) {
            pipe.load_script(&PUBLISH_LOBBY).ignore();
        }
        pipe.invoke_script(
            PUBLISH_LOBBY
                .key(key::lobby(h.id))
                .key(key::code(&h.code))
                .arg(&cluster.node)
                .arg(h.id)
                .arg(ttl)
                .arg(&h.game)
                .arg(&h.name)
                .arg(&h.map)
                .arg(players)
                .arg(h.max_players)
                .arg(u8::from(h.private))
                .arg(h.shared.host())
                .arg(&h.code),
        )
        .ignore();
    }
    // Lobbies gone without a note (one dropped while Redis was away).
    for id in published.keys().filter(|id| !next.contains_key(id)) {
        changed = true;
        pipe.del(&[key::lobby(*id), key::holds(*id)]).ignore();
    }
    if changed || full {
        let players: u32 = all
            .iter()
            .map(|h| u32::from(h.shared.players.load(std::sync::atomic::Ordering::Relaxed)))
            .sum();
        let listing = encode(&ServerMsg::LobbyList {
            lobbies: lobbies.local_listed(),
        });
        let node_key = key::node(&cluster.node);
        pipe.hset_multiple(
            &node_key,
            &[
                ("url", cluster.url.as_bytes().to_vec()),
                ("players", players.to_string().into_bytes()),
                ("lobbies", all.len().to_string().into_bytes()),
                ("listing", listing),
            ],
        )
        .ignore();
        pipe.pexpire(&node_key, ttl as i64).ignore();
        pipe.zadd(key::NODES, &cluster.node, unix_millis()).ignore();
    }
    if full && cluster.ids.newest() > 0 {
        pipe.load_script(&RAISE_COUNTER).ignore();
        pipe.invoke_script(
            RAISE_COUNTER
                .key(key::LOBBY_ID_BLOCKS)
                .arg(cluster.ids.newest()),
        )
        .ignore();
    }
    if pipe.is_empty() {
        *published = next;
        return Ok(());
    }
    let result = cluster
        .store
        .run(|mut c| async move { pipe.query_async::<()>(&mut c).await })
        .await;
    match result {
        Ok(()) => {
            *published = next;
            Ok(())
        }
        Err(e) => {
            for note in notes {
                cluster.note(note);
            }
            Err(e)
        }
    }
}

/// Removes every record of this node (at shutdown) and stops the directory's tasks.
pub async fn withdraw(cluster: &Cluster, lobbies: &Lobbies) {
    cluster
        .stopped
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let mut pipe = redis::pipe();
    pipe.load_script(&DELETE_CODE).ignore();
    for h in lobbies.all() {
        pipe.del(&[key::lobby(h.id), key::holds(h.id)]).ignore();
        pipe.invoke_script(DELETE_CODE.key(key::code(&h.code)).arg(h.id))
            .ignore();
    }
    pipe.del(key::node(&cluster.node)).ignore();
    pipe.zrem(key::NODES, &cluster.node).ignore();
    match cluster
        .store
        .run(|mut c| async move { pipe.query_async::<()>(&mut c).await })
        .await
    {
        Ok(()) => tracing::info!("left the cluster directory"),
        Err(e) => tracing::warn!("could not remove this node's records (they expire): {e}"),
    }
}
