//! The lobby's fixed tick, systems only: queued inputs applied (one movement step per
//! player), orb pickup, and the tick's world captured into the snapshot history; that is
//! `Lobby::step`. Players send a moving input every tick. Sizes: 8, 64 and 512 players on a
//! 4000 x 4000 unit arena with 1,000 or 10,000 orbs. Queueing the inputs is measured
//! separately (`lobby_input`), and snapshot work is in the `snapshot` bench.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tickwire_benches::scenario::{BotLobby, bench_map};

const PLAYERS: [usize; 3] = [8, 64, 512];
const ORBS: [u32; 2] = [1_000, 10_000];
/// Ticks run before measuring, so every player is moving and orbs are being picked up.
const WARM_TICKS: usize = 60;

fn lobby(players: usize, orbs: u32) -> BotLobby {
    let map = bench_map(orbs).expect("bench map");
    let mut l = BotLobby::new(map, players, 42).expect("lobby");
    for _ in 0..WARM_TICKS {
        l.tick(|_| Some(2));
    }
    l
}

fn lobby_tick(c: &mut Criterion) {
    let mut group = c.benchmark_group("lobby_tick");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for orbs in ORBS {
        for players in PLAYERS {
            let mut l = lobby(players, orbs);
            group.throughput(Throughput::Elements(1));
            group.bench_function(
                BenchmarkId::new("step", format!("{players}p_{orbs}orbs")),
                |b| {
                    b.iter_custom(|iters| {
                        let mut spent = Duration::ZERO;
                        for _ in 0..iters {
                            l.queue_inputs(|_| None);
                            let start = Instant::now();
                            l.lobby.step();
                            spent += start.elapsed();
                        }
                        spent
                    })
                },
            );
        }
    }
    group.finish();
}

/// `Lobby::input` for every player of the lobby: one tick's worth of inputs arriving.
fn lobby_input(c: &mut Criterion) {
    let mut group = c.benchmark_group("lobby_input");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for players in PLAYERS {
        let mut l = lobby(players, 1_000);
        let mut inputs = Vec::new();
        group.throughput(Throughput::Elements(players as u64));
        group.bench_function(BenchmarkId::new("queue_all", format!("{players}p")), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    inputs.clear();
                    inputs.extend(l.bots.iter_mut().map(|bot| (bot.client, bot.input(0))));
                    let start = Instant::now();
                    for (client, input) in &inputs {
                        black_box(l.lobby.input(*client, *input));
                    }
                    spent += start.elapsed();
                    // Apply them so the queues do not fill up.
                    l.lobby.step();
                }
                spent
            })
        });
    }
    group.finish();
}

criterion_group!(benches, lobby_tick, lobby_input);
criterion_main!(benches);
