//! Where a shot goes: the distance along a ray to the first wall or the arena's edge (walls
//! are static, so they need no rewind), and where a player (re)spawns.

use glam::{IVec2, Vec2};
use tickwire_protocol::movement::Arena;

/// Distance along the unit `direction` from `from` (inside the arena, outside every wall)
/// to the first wall it enters or to the arena's edge, in subunits.
pub fn wall_distance(arena: &Arena, from: Vec2, direction: Vec2) -> f32 {
    let size = arena.size.as_vec2();
    let mut nearest = exit_distance(from, direction, Vec2::ZERO, size);
    for w in &arena.walls {
        if let Some(t) = entry_distance(from, direction, w.min.as_vec2(), w.max.as_vec2())
            && t < nearest
        {
            nearest = t;
        }
    }
    nearest
}

/// Where a ray enters the box `min..max` (slab method), if it does ahead of `from`.
fn entry_distance(from: Vec2, direction: Vec2, min: Vec2, max: Vec2) -> Option<f32> {
    let mut enter = 0.0_f32;
    let mut exit = f32::INFINITY;
    for axis in 0..2 {
        let (o, d, lo, hi) = (from[axis], direction[axis], min[axis], max[axis]);
        if d == 0.0 {
            if o < lo || o >= hi {
                return None;
            }
            continue;
        }
        let (a, b) = ((lo - o) / d, (hi - o) / d);
        enter = enter.max(a.min(b));
        exit = exit.min(a.max(b));
    }
    (enter <= exit).then_some(enter)
}

/// Where a ray from inside the box `min..max` leaves it.
fn exit_distance(from: Vec2, direction: Vec2, min: Vec2, max: Vec2) -> f32 {
    let mut exit = f32::INFINITY;
    for axis in 0..2 {
        let d = direction[axis];
        if d > 0.0 {
            exit = exit.min((max[axis] - from[axis]) / d);
        } else if d < 0.0 {
            exit = exit.min((min[axis] - from[axis]) / d);
        }
    }
    exit.max(0.0)
}

/// Where a player (re)spawns: of the spawn points at least `clearance` (subunits) from every
/// living player, the one nearest the living players' middle (the first point when no one
/// lives), so players meet soon without spawning under a gun; when none is that clear, the
/// one farthest from the living. Ties go to the earlier point.
pub fn spawn_point(spawns: &[IVec2], living: &[IVec2], clearance: i32) -> IVec2 {
    let clear = i64::from(clearance) * i64::from(clearance);
    let nearest_living = |s: IVec2| {
        living
            .iter()
            .map(|p| (*p - s).as_i64vec2().length_squared())
            .min()
            .unwrap_or(i64::MAX)
    };
    if living.is_empty() {
        return spawns.first().copied().unwrap_or_default();
    }
    let middle = living.iter().map(|p| p.as_i64vec2()).sum::<glam::I64Vec2>() / living.len() as i64;
    spawns
        .iter()
        .filter(|s| nearest_living(**s) >= clear)
        .min_by_key(|s| (s.as_i64vec2() - middle).length_squared())
        .copied()
        .unwrap_or_else(|| farthest_spawn(spawns, living))
}

/// The spawn point farthest from every living player (the first one when no one lives),
/// ties to the earlier point.
fn farthest_spawn(spawns: &[IVec2], living: &[IVec2]) -> IVec2 {
    let room = |s: IVec2| {
        living
            .iter()
            .map(|p| (*p - s).as_i64vec2().length_squared())
            .min()
            .unwrap_or(0)
    };
    let mut best = spawns.first().copied().unwrap_or_default();
    let mut best_room = room(best);
    for s in spawns.iter().skip(1) {
        let r = room(*s);
        if r > best_room {
            (best, best_room) = (*s, r);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use tickwire_protocol::movement::Aabb;

    use super::*;

    fn arena() -> Arena {
        Arena {
            size: IVec2::new(1000, 1000),
            walls: vec![Aabb {
                min: IVec2::new(400, 100),
                max: IVec2::new(500, 900),
            }],
        }
    }

    #[test]
    fn a_ray_stops_at_the_first_wall_face_or_the_edge() {
        let a = arena();
        let d = wall_distance(&a, Vec2::new(100.0, 500.0), Vec2::X);
        assert_eq!(d, 300.0, "at the wall's near face");
        let back = wall_distance(&a, Vec2::new(100.0, 500.0), -Vec2::X);
        assert_eq!(back, 100.0, "at the arena's edge");
        let past = wall_distance(&a, Vec2::new(100.0, 950.0), Vec2::X);
        assert_eq!(past, 900.0, "below the wall: on to the edge");
        let diagonal = wall_distance(&a, Vec2::new(0.0, 0.0), Vec2::ONE.normalize());
        assert!((diagonal - 400.0 * 2f32.sqrt()).abs() < 0.01, "{diagonal}");
    }

    #[test]
    fn a_spawn_is_clear_of_the_living_and_near_their_middle() {
        let spawns = [
            IVec2::new(0, 0),
            IVec2::new(100, 0),
            IVec2::new(300, 0),
            IVec2::new(900, 0),
        ];
        assert_eq!(
            spawn_point(&spawns, &[], 150),
            IVec2::new(0, 0),
            "no one lives: the first"
        );
        assert_eq!(
            spawn_point(&spawns, &[IVec2::new(300, 0)], 150),
            IVec2::new(100, 0),
            "clear of the living, nearest them"
        );
        assert_eq!(
            spawn_point(&spawns, &[IVec2::new(0, 0), IVec2::new(900, 0)], 500),
            IVec2::new(300, 0),
            "none clear: the farthest from the living"
        );
    }

    #[test]
    fn the_farthest_spawn_is_away_from_the_living() {
        let spawns = [IVec2::new(0, 0), IVec2::new(100, 0), IVec2::new(500, 0)];
        assert_eq!(farthest_spawn(&spawns, &[]), IVec2::new(0, 0));
        assert_eq!(
            farthest_spawn(&spawns, &[IVec2::new(450, 0)]),
            IVec2::new(0, 0)
        );
        assert_eq!(
            farthest_spawn(&spawns, &[IVec2::new(0, 0)]),
            IVec2::new(500, 0)
        );
    }
}
