//! Snapshot work per tick, on the worlds of a running lobby (players wandering, 4000 x 4000
//! unit arena, 8/64/512 players, 1,000/10,000 orbs), clients acking 2 ticks behind so the
//! baseline is 3 ticks old (about 100 ms of round trip at 30 Hz):
//!
//! - `snapshot_build/{full,delta}`: encoding one body from two worlds (`DeltaEncoder`, what
//!   the server does once per distinct baseline);
//! - `snapshot_send/shared`: `Lobby::send_snapshots` with every client on one baseline (one
//!   body encoded, a frame per client); `snapshot_send/spread8`: clients spread over 8
//!   baselines (8 bodies); `snapshot_send/per_client`: diff + encode + frame for each
//!   client separately, the cost without sharing. Throughput is per client.
//! - `snapshot_decode/{full,delta}`: what a client does: `decode_server` + `apply`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};
use tickwire_benches::scenario::{BotLobby, bench_map};
use tickwire_protocol::codec::{encode, snapshot_frame};
use tickwire_protocol::messages::{ServerMsg, Snapshot};
use tickwire_protocol::{DeltaEncoder, Layout, SnapshotBody, WorldState, decode_server};

const PLAYERS: [usize; 3] = [8, 64, 512];
const ORBS: [u32; 2] = [1_000, 10_000];
const WARM_TICKS: usize = 60;
/// Clients ack this many ticks behind the newest snapshot; the baseline is one tick older.
const ACK_LAG: u32 = 2;

fn lobby(players: usize, orbs: u32) -> BotLobby {
    let map = bench_map(orbs).expect("bench map");
    let mut l = BotLobby::new(map, players, 42).expect("lobby");
    for _ in 0..WARM_TICKS {
        l.tick(|_| Some(ACK_LAG));
    }
    l
}

/// The body from `base` to `current`, as the server encodes it.
fn body(
    enc: &mut DeltaEncoder,
    l: &Layout,
    base: Option<&WorldState>,
    current: &WorldState,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    enc.encode(l, base, current, &mut out);
    out
}

/// The latest world and the one a client acking `ACK_LAG` behind holds.
fn worlds(l: &BotLobby) -> (WorldState, WorldState) {
    let h = l.lobby.history();
    let current = h.latest().expect("latest").clone();
    let base = h
        .get(current.tick - ACK_LAG - 1)
        .expect("baseline in history")
        .clone();
    (current, base)
}

fn label(players: usize, orbs: u32) -> String {
    format!("{players}p_{orbs}orbs")
}

/// A group with this file's short sampling settings, counting one snapshot per iteration.
fn short_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(1));
    group
}

fn build(c: &mut Criterion) {
    let mut group = short_group(c, "snapshot_build");
    for orbs in ORBS {
        for players in PLAYERS {
            let l = lobby(players, orbs);
            let layout = l.lobby.layout().clone();
            let (current, base) = worlds(&l);
            let mut enc = DeltaEncoder::default();
            group.bench_function(BenchmarkId::new("full", label(players, orbs)), |b| {
                b.iter(|| body(&mut enc, &layout, None, black_box(&current)))
            });
            group.bench_function(BenchmarkId::new("delta", label(players, orbs)), |b| {
                b.iter(|| {
                    body(
                        &mut enc,
                        &layout,
                        Some(black_box(&base)),
                        black_box(&current),
                    )
                })
            });
        }
    }
    group.finish();
}

fn send(c: &mut Criterion) {
    let mut group = c.benchmark_group("snapshot_send");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for orbs in ORBS {
        for players in PLAYERS {
            let mut l = lobby(players, orbs);
            group.throughput(Throughput::Elements(players as u64));
            // `lag` per client; each iteration steps a new tick (untimed) so the lobby's
            // per-tick body cache starts empty, then times the snapshots of that tick.
            for (name, spread) in [("shared", 1u32), ("spread8", 8)] {
                // Acks only move forward: let every client settle on its lag first.
                for _ in 0..12 {
                    l.tick(|i| Some(ACK_LAG + i as u32 % spread));
                }
                group.bench_function(BenchmarkId::new(name, label(players, orbs)), |b| {
                    b.iter_custom(|iters| {
                        let mut spent = Duration::ZERO;
                        for _ in 0..iters {
                            l.queue_inputs(|i| Some(ACK_LAG + i as u32 % spread));
                            l.lobby.step();
                            let start = Instant::now();
                            l.lobby.send_snapshots(|_| true);
                            l.lobby.drain_outbox().for_each(drop);
                            spent += start.elapsed();
                            assert_eq!(
                                l.lobby.bodies_encoded(),
                                spread.min(players as u32) as usize
                            );
                        }
                        spent
                    })
                });
            }
            let (current, base) = worlds(&l);
            let layout = l.lobby.layout().clone();
            let mut enc = DeltaEncoder::default();
            group.bench_function(BenchmarkId::new("per_client", label(players, orbs)), |b| {
                b.iter(|| {
                    for seq in 0..players as u32 {
                        let body = body(&mut enc, &layout, Some(&base), &current);
                        black_box(bytes::Bytes::from(snapshot_frame(seq, &body)));
                    }
                })
            });
        }
    }
    group.finish();
}

fn decode(c: &mut Criterion) {
    let mut group = short_group(c, "snapshot_decode");
    for orbs in ORBS {
        for players in PLAYERS {
            let l = lobby(players, orbs);
            let layout = l.lobby.layout().clone();
            let (current, base) = worlds(&l);
            for (name, baseline) in [("full", None), ("delta", Some(&base))] {
                let body = SnapshotBody::diff(&layout, baseline, &current);
                let frame = encode(&ServerMsg::Snapshot(Snapshot {
                    last_input_seq: 1234,
                    body,
                }));
                let check = match decode_server(&frame) {
                    Ok(ServerMsg::Snapshot(s)) => s.body.apply(&layout, baseline).expect("applies"),
                    other => panic!("not a snapshot: {other:?}"),
                };
                assert_eq!(check, current, "the decoded world is the server's");
                group.bench_function(BenchmarkId::new(name, label(players, orbs)), |b| {
                    b.iter(|| match decode_server(black_box(&frame)) {
                        Ok(ServerMsg::Snapshot(s)) => s.body.apply(&layout, baseline).ok(),
                        _ => None,
                    })
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, build, send, decode);
criterion_main!(benches);
