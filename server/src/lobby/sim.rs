//! The lobby's ECS simulation: components, resources and the systems of one fixed tick.
//! Everything here is deterministic given the lobby seed and the inputs.

use std::collections::VecDeque;
use std::sync::Arc;

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::SingleThreadedExecutor;
use glam::IVec2;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use tickwire_protocol::movement::{MoveInput, MoveParams, step};
use tickwire_protocol::{Body, EntityKind, EntityState, Input, NetId, WorldState};

use crate::game::GameMap;
use crate::metrics::METRICS;

/// Most unapplied inputs kept per player; more are dropped. Half a second at 60 Hz: a lobby
/// or connection stalled for that long loses nothing.
pub const INPUT_QUEUE_CAP: usize = 32;
/// Side of an orb grid cell, subunits.
const ORB_CELL: i32 = 64 * 16;

/// Identity of a replicated entity: its wire id, kind and owning client (0 for orbs).
#[derive(Component, Clone, Copy, Debug)]
pub struct Replicated {
    pub id: NetId,
    pub kind: EntityKind,
    pub owner: u32,
}

#[derive(Component, Clone, Copy, Debug, Default)]
pub struct Position(pub IVec2);

#[derive(Component, Clone, Copy, Debug, Default)]
pub struct Velocity(pub IVec2);

#[derive(Component, Clone, Copy, Debug, Default)]
pub struct Score(pub u32);

#[derive(Component, Debug)]
pub struct Orb;

/// Most inputs a player may have applied in one tick. Each tick earns one input of credit,
/// saved up while inputs arrive late (to [`INPUT_QUEUE_CAP`], as many as may wait), so
/// inputs held up by a stalled connection are caught up within a few ticks, not kept
/// waiting behind every later input, while nobody moves faster than one input per tick on
/// average nor more than this many steps in one tick.
pub const MAX_INPUTS_PER_TICK: u32 = 4;

/// Ticks the lobby's clock skipped (it was stalled for longer than it catches up), to be
/// credited to every player at the next step: the client went on sending an input per tick
/// meanwhile, and those inputs are owed.
#[derive(Resource, Default)]
pub struct SkippedTicks(pub u32);

/// Ticks a player's queue may end non-empty in a row before it is lent one extra input.
/// Credit only catches up inputs that came late; inputs that came early (more in one tick
/// than saved credit covers, then one per tick, as after a client's frame hitch) would
/// otherwise each wait an extra tick for good. The loan is paid back by the next tick that
/// finds nothing queued (which would otherwise save credit), or written off after
/// [`INPUT_LOAN_TICKS`]; there is one loan at a time. No input is dropped (a dropped one
/// would cost the client a prediction correction), and sending faster than one input per
/// tick gains at most one input per [`INPUT_LOAN_TICKS`].
pub const BACKLOG_DRAIN_TICKS: u32 = 30;

/// Ticks after which an unpaid input loan is written off (10 s at 30 Hz): a client whose
/// inputs always arrive in time never has an idle tick to pay it back, and a second hitch
/// must not leave it a tick behind for good.
pub const INPUT_LOAN_TICKS: u32 = 300;

/// A player's unapplied inputs, the newest seq applied, and how many inputs it may apply.
#[derive(Component, Debug, Default)]
pub struct InputQueue {
    pub pending: VecDeque<Input>,
    pub last_received: u32,
    pub last_applied: u32,
    credit: u32,
    /// Consecutive ticks that ended with inputs still waiting.
    backlogged: u32,
    /// Ticks since an extra input was lent to drain a backlog (0: none owed).
    loan_age: u32,
}

impl InputQueue {
    /// Queues an input; stale (non-increasing seq) or overflowing inputs are dropped.
    pub fn push(&mut self, input: Input) -> bool {
        if input.seq <= self.last_received {
            return false;
        }
        if self.pending.len() >= INPUT_QUEUE_CAP {
            METRICS.inputs_dropped.inc();
            return false;
        }
        self.last_received = input.seq;
        self.pending.push_back(input);
        true
    }
}

#[derive(Resource)]
pub struct Map(pub Arc<GameMap>);

#[derive(Resource)]
pub struct Movement(pub MoveParams);

#[derive(Resource)]
pub struct LobbyRng(pub ChaCha8Rng);

/// Allocates wire ids; never reuses one.
#[derive(Resource, Default)]
pub struct NetIds(NetId);

impl NetIds {
    pub fn allocate(&mut self) -> NetId {
        self.0 += 1;
        self.0
    }
}

/// Orbs bucketed by grid cell, so pickup checks look at a player's neighbourhood only.
#[derive(Resource)]
pub struct OrbGrid {
    cols: i32,
    rows: i32,
    cells: Vec<Vec<Entity>>,
}

impl OrbGrid {
    pub fn new(size: IVec2) -> Self {
        let cols = (size.x + ORB_CELL - 1) / ORB_CELL;
        let rows = (size.y + ORB_CELL - 1) / ORB_CELL;
        Self {
            cols,
            rows,
            cells: vec![Vec::new(); (cols * rows).max(1) as usize],
        }
    }

    fn cell(&self, p: IVec2) -> usize {
        let c = (p.x / ORB_CELL).clamp(0, self.cols - 1);
        let r = (p.y / ORB_CELL).clamp(0, self.rows - 1);
        (r * self.cols + c) as usize
    }

    pub fn insert(&mut self, e: Entity, p: IVec2) {
        let c = self.cell(p);
        self.cells[c].push(e);
    }

    fn remove(&mut self, e: Entity, p: IVec2) {
        let c = self.cell(p);
        self.cells[c].retain(|x| *x != e);
    }

    /// Orbs in the cells touched by the box `center ± reach`.
    fn near(&self, center: IVec2, reach: i32, out: &mut Vec<Entity>) {
        out.clear();
        let lo = ((center - reach) / ORB_CELL)
            .clamp(IVec2::ZERO, IVec2::new(self.cols - 1, self.rows - 1));
        let hi = ((center + reach) / ORB_CELL)
            .clamp(IVec2::ZERO, IVec2::new(self.cols - 1, self.rows - 1));
        for r in lo.y..=hi.y {
            for c in lo.x..=hi.x {
                out.extend_from_slice(&self.cells[(r * self.cols + c) as usize]);
            }
        }
    }
}

/// A random spot where an orb is clear of walls and inside the arena.
pub fn free_orb_spot(map: &GameMap, rng: &mut ChaCha8Rng) -> IVec2 {
    let r = map.orb_radius;
    let size = map.arena.size;
    let mut p = size / 2;
    for _ in 0..64 {
        p = IVec2::new(
            rng.random_range(r..size.x - r),
            rng.random_range(r..size.y - r),
        );
        let blocked = map.arena.walls.iter().any(|w| {
            p.x + r > w.min.x && p.x - r < w.max.x && p.y + r > w.min.y && p.y - r < w.max.y
        });
        if !blocked {
            break;
        }
    }
    p
}

/// Steps every player once per queued input, as many as it has credit for: each tick
/// (skipped ones too) earns one, saved up to [`INPUT_QUEUE_CAP`], and at most
/// [`MAX_INPUTS_PER_TICK`] are applied in one tick, so inputs that arrive late are caught up
/// rather than each staying behind, while a flood moves no faster. A queue that has not
/// emptied for [`BACKLOG_DRAIN_TICKS`] earns one more, paid back later.
pub fn apply_inputs(
    mut players: Query<(&mut InputQueue, &mut Position, &mut Velocity)>,
    map: Res<Map>,
    params: Res<Movement>,
    mut skipped: ResMut<SkippedTicks>,
) {
    const CREDIT_CAP: u32 = INPUT_QUEUE_CAP as u32;
    let skipped = std::mem::take(&mut skipped.0);
    for (mut queue, mut pos, mut vel) in &mut players {
        queue.credit = queue.credit.saturating_add(skipped).min(CREDIT_CAP);
        if queue.loan_age > 0 && queue.pending.is_empty() {
            queue.loan_age = 0;
        } else {
            queue.credit = (queue.credit + 1).min(CREDIT_CAP);
            if queue.loan_age > 0 {
                queue.loan_age += 1;
                if queue.loan_age > INPUT_LOAN_TICKS {
                    queue.loan_age = 0;
                }
            }
        }
        if queue.backlogged >= BACKLOG_DRAIN_TICKS && queue.loan_age == 0 {
            queue.credit += 1;
            queue.loan_age = 1;
            queue.backlogged = 0;
        }
        let mut applied = 0;
        while queue.credit > 0 && applied < MAX_INPUTS_PER_TICK {
            let Some(input) = queue.pending.pop_front() else {
                break;
            };
            queue.credit -= 1;
            applied += 1;
            let mut body = Body {
                pos: pos.0,
                vel: vel.0,
            };
            step(
                &mut body,
                MoveInput::from(input.movement),
                &params.0,
                &map.0.arena,
            );
            (pos.0, vel.0) = (body.pos, body.vel);
            queue.last_applied = input.seq;
        }
        queue.backlogged = if queue.pending.is_empty() {
            0
        } else {
            queue.backlogged + 1
        };
    }
}

/// A player touching an orb scores a point; the orb moves to a random free spot.
pub fn collect_orbs(
    mut players: Query<(&Position, &mut Score), Without<Orb>>,
    mut orbs: Query<&mut Position, With<Orb>>,
    mut grid: ResMut<OrbGrid>,
    mut rng: ResMut<LobbyRng>,
    map: Res<Map>,
    params: Res<Movement>,
    mut near: Local<Vec<Entity>>,
) {
    let reach = params.0.half_size + map.0.orb_radius;
    for (player, mut score) in &mut players {
        grid.near(player.0, reach, &mut near);
        for &orb in near.iter() {
            let Ok(mut pos) = orbs.get_mut(orb) else {
                continue;
            };
            let d = (pos.0 - player.0).abs();
            if d.x < reach && d.y < reach {
                score.0 += 1;
                grid.remove(orb, pos.0);
                pos.0 = free_orb_spot(&map.0, &mut rng.0);
                grid.insert(orb, pos.0);
            }
        }
    }
}

/// The systems of one tick, in order.
pub fn tick_schedule() -> Schedule {
    let mut schedule = Schedule::default();
    schedule.set_executor(SingleThreadedExecutor::new());
    schedule.add_systems((apply_inputs, collect_orbs).chain());
    schedule
}

/// The replicated state of the world, sorted by id, in `entities` (cleared first; pass a
/// spent tick's list to reuse its allocation).
pub fn capture(
    world: &mut World,
    query: &mut QueryState<(&Replicated, &Position, Option<&Velocity>, Option<&Score>)>,
    tick: u32,
    mut entities: Vec<(NetId, EntityState)>,
) -> WorldState {
    entities.clear();
    entities.extend(query.iter(world).map(|(r, p, v, s)| {
        let state = EntityState {
            kind: r.kind,
            owner: r.owner,
            pos: p.0,
            vel: v.map_or(IVec2::ZERO, |v| v.0),
            score: s.map_or(0, |s| s.0),
        };
        (r.id, state)
    }));
    entities.sort_unstable_by_key(|(id, _)| *id);
    WorldState { tick, entities }
}
