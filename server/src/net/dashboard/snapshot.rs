//! One dashboard snapshot: the node's figures over the last interval (rates from the
//! process metrics' counters, tick and encode histograms summed over every lobby's buckets)
//! and a row per lobby read from its runner's [`LobbyStats`]. The [`Sampler`] keeps the
//! counters of the previous sample to turn totals into rates; it runs once per interval,
//! whatever the number of viewers.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::auth::Access;
use crate::lobbies::{Lobbies, LobbyHandle};
use crate::lobby::stats::{BUCKET_BOUNDS_NS, BUCKETS, LobbyStats, TimingsRead};
use crate::metrics::METRICS;

/// Version of the snapshot's shape; bumped when a field changes meaning or goes away.
pub const FORMAT: u32 = 1;
/// Lobbies a snapshot lists (the most players first, then the oldest); the counts cover all.
pub const MAX_ROWS: usize = 100;
/// How long the histograms look back, in intervals.
const HISTOGRAM_INTERVALS: usize = 10;

#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub format: u32,
    /// Unix time of the sample, in milliseconds.
    pub time_ms: u64,
    /// What this copy shows: `"viewer"` or `"admin"`.
    pub access: &'static str,
    /// This server. A cluster would list several of these.
    pub node: Node,
}

#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// Where this node is reached (`--public-url`, else its own address).
    pub id: String,
    pub version: &'static str,
    pub uptime_s: f64,
    pub tick_rate: u16,
    /// Whether the server has an admin token (the actions exist).
    pub admin_actions: bool,
    /// Seconds the rates are taken over.
    pub interval_s: f64,
    pub connections: usize,
    pub dashboard_viewers: usize,
    pub lobby_count: usize,
    pub player_count: u64,
    pub rates: Rates,
    pub totals: Totals,
    pub histograms: Histograms,
    pub lobbies: Vec<LobbyRow>,
}

/// Per second, over the interval.
#[derive(Debug, Clone, Serialize)]
pub struct Rates {
    pub bytes_in: f64,
    pub bytes_out: f64,
    pub messages_in: f64,
    pub messages_out: f64,
    pub snapshots_dropped: f64,
    pub inputs_dropped: f64,
    pub missed_ticks: f64,
}

/// Since the process started.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Totals {
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub messages_in: u64,
    pub messages_out: u64,
    pub snapshots_dropped: u64,
    pub inputs_dropped: u64,
    pub missed_ticks: u64,
    pub http_refused: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Histograms {
    pub window_s: f64,
    /// Upper bounds of the buckets; the last bucket counts what is slower than the last bound.
    pub bounds_ms: Vec<f64>,
    /// Lobby ticks (steps and their snapshots) per bucket, over the window.
    pub tick: Vec<u64>,
    /// Snapshot encoding per bucket, over the window.
    pub encode: Vec<u64>,
    /// Upper bounds of the buckets that hold these percentiles (null without samples).
    pub tick_p50_ms: Option<f64>,
    pub tick_p99_ms: Option<f64>,
    pub encode_p99_ms: Option<f64>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Spread {
    pub mean: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LobbyRow {
    pub id: u32,
    pub game: String,
    /// Null for a private lobby in the viewer's copy.
    pub name: Option<String>,
    pub private: bool,
    pub map: String,
    pub players: u8,
    pub max_players: u8,
    /// The lobby's tick number.
    pub tick: u32,
    pub ticks_per_s: f64,
    /// Milliseconds per run of steps over the interval; null if none ran.
    pub tick_ms: Option<Spread>,
    pub encode_ms: Option<Spread>,
    pub missed_ticks: u64,
    pub bytes_out_per_s: f64,
    pub bytes_in_per_s: f64,
    pub inputs_per_s: f64,
    pub snapshots_dropped: u64,
    /// The players in seat order (the first is the host); only in the admin's copy.
    pub roster: Option<Vec<PlayerRow>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlayerRow {
    pub client: u32,
    pub name: String,
    pub connected: bool,
    pub host: bool,
}

impl Snapshot {
    /// This snapshot as `access` may see it.
    pub fn for_access(&self, access: Access) -> Snapshot {
        let mut s = self.clone();
        if access == Access::Viewer {
            s.access = "viewer";
            for row in &mut s.node.lobbies {
                row.roster = None;
                if row.private {
                    row.name = None;
                }
            }
        }
        s
    }
}

/// What is counted of a lobby between two samples.
#[derive(Debug, Clone, Copy, Default)]
struct LobbyCounters {
    tick: u32,
    ticks: TimingsRead,
    encodes: TimingsRead,
    missed: u64,
    bytes_out: u64,
    bytes_in: u64,
    inputs: u64,
}

impl LobbyCounters {
    fn read(h: &LobbyHandle) -> Self {
        let s = &h.shared.stats;
        Self {
            tick: h.shared.tick.load(Ordering::Relaxed),
            ticks: s.tick.take(),
            encodes: s.encode.take(),
            missed: LobbyStats::read(&s.missed_ticks),
            bytes_out: LobbyStats::read(&s.bytes_out),
            bytes_in: LobbyStats::read(&s.bytes_in),
            inputs: LobbyStats::read(&s.inputs),
        }
    }
}

fn totals() -> Totals {
    Totals {
        bytes_in: METRICS.bytes_in.get(),
        bytes_out: METRICS.bytes_out.get(),
        messages_in: METRICS.messages_in.get(),
        messages_out: METRICS.messages_out.get(),
        snapshots_dropped: METRICS.snapshots_dropped.get(),
        inputs_dropped: METRICS.inputs_dropped.get(),
        missed_ticks: METRICS.missed_ticks.get(),
        http_refused: METRICS.http_refused.get(),
    }
}

/// One interval's worth of the tick and encode histograms.
struct Slice {
    span: Duration,
    tick: [u64; BUCKETS],
    encode: [u64; BUCKETS],
}

/// What the node is, for every snapshot.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub id: String,
    pub tick_rate: u16,
    pub admin_actions: bool,
}

/// Counters of the previous sample, to take rates against.
pub struct Sampler {
    info: NodeInfo,
    started: Instant,
    last: Option<(Instant, Totals)>,
    lobbies: HashMap<u32, LobbyCounters>,
    window: VecDeque<Slice>,
}

fn delta_buckets(now: &[u64; BUCKETS], before: &[u64; BUCKETS]) -> [u64; BUCKETS] {
    std::array::from_fn(|i| now[i].saturating_sub(before[i]))
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// The upper bound (ms) of the bucket holding quantile `q`; the last bound for the
/// overflow bucket; None without samples.
fn quantile_ms(buckets: &[u64], q: f64) -> Option<f64> {
    let total: u64 = buckets.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = (q * total as f64).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (i, n) in buckets.iter().enumerate() {
        seen += n;
        if seen >= rank {
            let bound = BUCKET_BOUNDS_NS[i.min(BUCKET_BOUNDS_NS.len() - 1)];
            return Some(ms(bound));
        }
    }
    None
}

fn spread(now: &TimingsRead, before: &TimingsRead) -> Option<Spread> {
    let runs = now.count.saturating_sub(before.count);
    (runs > 0).then(|| Spread {
        mean: ms(now.sum_ns.saturating_sub(before.sum_ns)) / runs as f64,
        max: ms(now.max_ns),
    })
}

impl Sampler {
    pub fn new(info: NodeInfo) -> Self {
        Self {
            info,
            started: Instant::now(),
            last: None,
            lobbies: HashMap::new(),
            window: VecDeque::new(),
        }
    }

    /// Nobody watches: the next sample starts afresh (no rate over the idle time).
    pub fn forget(&mut self) {
        self.last = None;
        self.lobbies.clear();
        self.window.clear();
    }

    /// Reads every counter; returns a snapshot if there was a previous sample.
    pub fn sample(
        &mut self,
        lobbies: &Lobbies,
        connections: usize,
        viewers: usize,
    ) -> Option<Snapshot> {
        let now = Instant::now();
        let totals = totals();
        let handles = lobbies.all();
        let mut counters = HashMap::with_capacity(handles.len());
        for h in &handles {
            counters.insert(h.id, LobbyCounters::read(h));
        }
        let previous = std::mem::replace(&mut self.lobbies, counters);
        let (then, before) = self.last.replace((now, totals))?;
        let span = now - then;
        let secs = span.as_secs_f64().max(1e-3);
        let per_s = |a: u64, b: u64| a.saturating_sub(b) as f64 / secs;

        let mut slice = Slice {
            span,
            tick: [0; BUCKETS],
            encode: [0; BUCKETS],
        };
        let mut rows = Vec::with_capacity(handles.len());
        let mut player_count = 0;
        for h in &handles {
            let c = self.lobbies[&h.id];
            let b = previous.get(&h.id).copied().unwrap_or_default();
            let (ticks, encodes) = (
                delta_buckets(&c.ticks.buckets, &b.ticks.buckets),
                delta_buckets(&c.encodes.buckets, &b.encodes.buckets),
            );
            for i in 0..BUCKETS {
                slice.tick[i] += ticks[i];
                slice.encode[i] += encodes[i];
            }
            let players = h.shared.players.load(Ordering::Relaxed);
            player_count += u64::from(players);
            rows.push(LobbyRow {
                id: h.id,
                game: h.game.clone(),
                name: Some(h.name.clone()),
                private: h.private,
                map: h.map.clone(),
                players,
                max_players: h.max_players,
                tick: c.tick,
                ticks_per_s: f64::from(c.tick.saturating_sub(b.tick)) / secs,
                tick_ms: spread(&c.ticks, &b.ticks),
                encode_ms: spread(&c.encodes, &b.encodes),
                missed_ticks: c.missed,
                bytes_out_per_s: per_s(c.bytes_out, b.bytes_out),
                bytes_in_per_s: per_s(c.bytes_in, b.bytes_in),
                inputs_per_s: per_s(c.inputs, b.inputs),
                snapshots_dropped: LobbyStats::read(&h.shared.stats.snapshots_dropped),
                roster: None,
            });
        }
        rows.sort_by_key(|r| (std::cmp::Reverse(r.players), r.id));
        rows.truncate(MAX_ROWS);
        let by_id: HashMap<u32, &LobbyHandle> = handles.iter().map(|h| (h.id, h)).collect();
        for row in &mut rows {
            let roster = by_id[&row.id].shared.stats.roster();
            row.roster = Some(
                roster
                    .iter()
                    .enumerate()
                    .map(|(i, s)| PlayerRow {
                        client: s.client,
                        name: s.name.clone(),
                        connected: s.connected,
                        host: i == 0,
                    })
                    .collect(),
            );
        }

        self.window.push_back(slice);
        while self.window.len() > HISTOGRAM_INTERVALS {
            self.window.pop_front();
        }
        let mut tick = vec![0; BUCKETS];
        let mut encode = vec![0; BUCKETS];
        for s in &self.window {
            for i in 0..BUCKETS {
                tick[i] += s.tick[i];
                encode[i] += s.encode[i];
            }
        }
        let histograms = Histograms {
            window_s: self.window.iter().map(|s| s.span.as_secs_f64()).sum(),
            bounds_ms: BUCKET_BOUNDS_NS.iter().map(|&b| ms(b)).collect(),
            tick_p50_ms: quantile_ms(&tick, 0.5),
            tick_p99_ms: quantile_ms(&tick, 0.99),
            encode_p99_ms: quantile_ms(&encode, 0.99),
            tick,
            encode,
        };
        let time_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Some(Snapshot {
            format: FORMAT,
            time_ms,
            access: "admin",
            node: Node {
                id: self.info.id.clone(),
                version: env!("CARGO_PKG_VERSION"),
                uptime_s: self.started.elapsed().as_secs_f64(),
                tick_rate: self.info.tick_rate,
                admin_actions: self.info.admin_actions,
                interval_s: secs,
                connections,
                dashboard_viewers: viewers,
                lobby_count: handles.len(),
                player_count,
                rates: Rates {
                    bytes_in: per_s(totals.bytes_in, before.bytes_in),
                    bytes_out: per_s(totals.bytes_out, before.bytes_out),
                    messages_in: per_s(totals.messages_in, before.messages_in),
                    messages_out: per_s(totals.messages_out, before.messages_out),
                    snapshots_dropped: per_s(totals.snapshots_dropped, before.snapshots_dropped),
                    inputs_dropped: per_s(totals.inputs_dropped, before.inputs_dropped),
                    missed_ticks: per_s(totals.missed_ticks, before.missed_ticks),
                },
                totals,
                histograms,
                lobbies: rows,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_name_the_bucket_bound() {
        let mut b = [0u64; BUCKETS];
        assert_eq!(quantile_ms(&b, 0.5), None);
        b[0] = 98;
        b[3] = 1;
        b[BUCKETS - 1] = 1;
        assert_eq!(quantile_ms(&b, 0.5), Some(0.01));
        assert_eq!(quantile_ms(&b, 0.99), Some(0.1));
        assert_eq!(quantile_ms(&b, 1.0), Some(1000.0), "the overflow bucket");
    }
}
