//! Lag compensation: `HitHistory::raycast`, one shot rewound into a second of history, at
//! 8, 64 and 512 targets moving every tick (what a game's fire system calls per shot). The
//! shot is aimed at a target as it was 5.25 ticks ago (a 150 ms round trip and 100 ms
//! interpolation at 30 Hz), so every shot interpolates between two frames and hits.

use std::hint::black_box;

use bevy_ecs::world::World;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use glam::Vec2;
use tickwire_server::lobby::rewind::{Circle, HitHistory, SeenAt, Window};

const TARGETS: [usize; 3] = [8, 64, 512];
const TICKS: u32 = 30;

fn rewind(c: &mut Criterion) {
    let mut group = c.benchmark_group("lag_compensation_raycast");
    group.throughput(Throughput::Elements(1));
    for targets in TARGETS {
        let mut world = World::new();
        let entities: Vec<_> = (0..targets).map(|_| world.spawn_empty().id()).collect();
        let mut history = HitHistory::new(TICKS, 8, 30);
        // Targets on a grid 4000 x 4000 units (in sixteenths), each drifting right.
        let at = |i: usize, tick: u32| Circle {
            x: (i % 23) as i32 * 2800 + tick as i32 * 160,
            y: (i / 23) as i32 * 2800,
            radius: 256,
        };
        for tick in 0..=TICKS {
            history.record(
                tick,
                entities.iter().enumerate().map(|(i, e)| (*e, at(i, tick))),
            );
        }
        let seen = SeenAt {
            tick: TICKS - 6,
            fraction: 49_152,
        };
        let window = Window {
            now: TICKS,
            allowed: 12,
        };
        let shooter = entities[0];
        let from = Vec2::new(-8000.0, -8000.0);
        let target = at(targets / 2, TICKS - 6);
        let aim = Vec2::new(target.x as f32 + 120.0, target.y as f32) - from;
        let (hit, _) = history.raycast(seen, window, from, aim, 1e9, shooter);
        assert_eq!(
            hit.map(|h| h.entity),
            Some(entities[targets / 2]),
            "the shot hits"
        );
        group.bench_with_input(BenchmarkId::from_parameter(targets), &targets, |b, _| {
            b.iter(|| black_box(history.raycast(seen, window, from, aim, 1e9, shooter)));
        });
    }
    group.finish();
}

criterion_group!(benches, rewind);
criterion_main!(benches);
