//! The arena's orbs: where a new one may go, the grid that finds those near a player, and
//! collecting them.

use bevy_ecs::prelude::*;
use glam::IVec2;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::{ArenaMap, Orb, Score};
use crate::kit::mover::Body;

/// Side of an orb grid cell, subunits.
const ORB_CELL: i32 = 64 * 16;

#[derive(Resource)]
pub struct LobbyRng(pub ChaCha8Rng);

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
pub fn free_orb_spot(arena: &ArenaMap, rng: &mut ChaCha8Rng) -> IVec2 {
    let r = arena.orb_radius;
    let size = arena.map.arena.size;
    let mut p = size / 2;
    for _ in 0..64 {
        p = IVec2::new(
            rng.random_range(r..size.x - r),
            rng.random_range(r..size.y - r),
        );
        let blocked = arena.map.arena.walls.iter().any(|w| {
            p.x + r > w.min.x && p.x - r < w.max.x && p.y + r > w.min.y && p.y - r < w.max.y
        });
        if !blocked {
            break;
        }
    }
    p
}

/// A player touching an orb scores a point; the orb moves to a random free spot.
pub fn collect_orbs(
    mut players: Query<(&Body, &mut Score), Without<Orb>>,
    mut orbs: Query<&mut Body, With<Orb>>,
    mut grid: ResMut<OrbGrid>,
    mut rng: ResMut<LobbyRng>,
    arena: Res<ArenaMap>,
    mut near: Local<Vec<Entity>>,
) {
    let reach = arena.movement.half_size + arena.orb_radius;
    for (player, mut score) in &mut players {
        grid.near(player.pos(), reach, &mut near);
        for &orb in near.iter() {
            let Ok(mut body) = orbs.get_mut(orb) else {
                continue;
            };
            let d = (body.pos() - player.pos()).abs();
            if d.x < reach && d.y < reach {
                score.points += 1;
                grid.remove(orb, body.pos());
                let p = free_orb_spot(&arena, &mut rng.0);
                (body.x, body.y) = (p.x, p.y);
                grid.insert(orb, p);
            }
        }
    }
}
