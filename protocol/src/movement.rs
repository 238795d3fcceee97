//! The engine's top-down movement step, for games that move boxes around a walled arena:
//! one pure function of (body, input, params, arena), in integer subunits, that a server
//! simulates with and a browser predicts with. Only integer add, multiply, truncating
//! divide and compare are used, so the SDK's JavaScript port is bit-exact.

use bincode::de::Decoder;
use bincode::enc::Encoder;
use bincode::error::{DecodeError, EncodeError};
use bincode::{Decode, Encode};
use glam::IVec2;
use serde::{Deserialize, Serialize};

use crate::world::SUBUNITS_PER_UNIT;

/// Full-scale stick deflection on one axis.
pub const STICK_MAX: i32 = 127;

/// Movement constants for one tick rate, in subunits and ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, Serialize, Deserialize)]
pub struct MoveParams {
    /// Top speed, subunits per tick.
    pub max_speed: i32,
    /// Largest velocity change per tick on each axis, subunits per tick.
    pub accel: i32,
    /// Half the side of a player's square, subunits.
    pub half_size: i32,
}

impl MoveParams {
    /// Derives per-tick constants from per-second game rules (world units).
    pub fn from_rules(speed: i32, accel: i32, half_size: i32, tick_rate: u16) -> Self {
        let hz = i32::from(tick_rate.max(1));
        Self {
            max_speed: (speed * SUBUNITS_PER_UNIT / hz).max(1),
            accel: (accel * SUBUNITS_PER_UNIT / (hz * hz)).max(1),
            half_size: half_size * SUBUNITS_PER_UNIT,
        }
    }
}

/// An axis-aligned box in subunits, `min` inclusive corner, `max` exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Aabb {
    pub min: IVec2,
    pub max: IVec2,
}

impl Encode for Aabb {
    fn encode<E: Encoder>(&self, e: &mut E) -> Result<(), EncodeError> {
        for v in [self.min.x, self.min.y, self.max.x, self.max.y] {
            v.encode(e)?;
        }
        Ok(())
    }
}

impl<C> Decode<C> for Aabb {
    fn decode<D: Decoder<Context = C>>(d: &mut D) -> Result<Self, DecodeError> {
        let mut v = [0i32; 4];
        for x in &mut v {
            *x = i32::decode(d)?;
        }
        Ok(Self {
            min: IVec2::new(v[0], v[1]),
            max: IVec2::new(v[2], v[3]),
        })
    }
}
bincode::impl_borrow_decode!(Aabb);

/// The space players move in: the rectangle 0..size and solid walls inside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Arena {
    pub size: IVec2,
    pub walls: Vec<Aabb>,
}

/// The simulated part of a player.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Body {
    pub pos: IVec2,
    pub vel: IVec2,
}

/// A movement input with both axes clamped to -127..=127.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MoveInput {
    pub x: i32,
    pub y: i32,
}

impl MoveInput {
    /// A stick input, each axis clamped to -127..=127.
    pub fn stick(x: i32, y: i32) -> Self {
        Self {
            x: x.clamp(-STICK_MAX, STICK_MAX),
            y: y.clamp(-STICK_MAX, STICK_MAX),
        }
    }
}

/// Largest r with r * r <= n.
pub fn isqrt(n: i32) -> i32 {
    // i32::isqrt panics on negatives; n is a sum of squares here, but stay total.
    n.max(0).isqrt()
}

/// The velocity the stick asks for: proportional to deflection, capped at `max_speed`
/// (a diagonal at full deflection is as fast as a straight line).
pub fn target_velocity(input: MoveInput, max_speed: i32) -> IVec2 {
    let len = isqrt(input.x * input.x + input.y * input.y).max(STICK_MAX);
    IVec2::new(max_speed * input.x / len, max_speed * input.y / len)
}

fn approach(v: i32, target: i32, step: i32) -> i32 {
    v + (target - v).clamp(-step, step)
}

fn overlaps(pos: IVec2, half: i32, w: &Aabb) -> bool {
    pos.x - half < w.max.x
        && pos.x + half > w.min.x
        && pos.y - half < w.max.y
        && pos.y + half > w.min.y
}

/// Advances one body by one tick: accelerate toward the stick's target velocity, move along
/// x and push out of walls, then the same along y, then keep inside the arena. A blocked
/// axis loses its velocity. Walls are resolved in map order.
pub fn step(body: &mut Body, input: MoveInput, params: &MoveParams, arena: &Arena) {
    let target = target_velocity(input, params.max_speed);
    body.vel.x = approach(body.vel.x, target.x, params.accel);
    body.vel.y = approach(body.vel.y, target.y, params.accel);
    let half = params.half_size;
    // Axis 0 is x, 1 is y: move along one, resolve walls, then the other.
    for axis in 0..2 {
        body.pos[axis] += body.vel[axis];
        for w in &arena.walls {
            if overlaps(body.pos, half, w) {
                if body.vel[axis] > 0 {
                    body.pos[axis] = w.min[axis] - half;
                } else if body.vel[axis] < 0 {
                    body.pos[axis] = w.max[axis] + half;
                }
                body.vel[axis] = 0;
            }
        }
    }
    for axis in 0..2 {
        let (lo, hi) = (half, arena.size[axis] - half);
        if body.pos[axis] < lo || body.pos[axis] > hi {
            body.pos[axis] = body.pos[axis].clamp(lo, hi);
            body.vel[axis] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> MoveParams {
        MoveParams::from_rules(300, 3000, 16, 30)
    }

    fn open_arena() -> Arena {
        Arena {
            size: IVec2::new(1000, 1000) * SUBUNITS_PER_UNIT,
            walls: vec![],
        }
    }

    fn at(x: i32, y: i32) -> Body {
        Body {
            pos: IVec2::new(x, y) * SUBUNITS_PER_UNIT,
            vel: IVec2::ZERO,
        }
    }

    #[test]
    fn accelerates_to_top_speed_and_stops() {
        let (p, a) = (params(), open_arena());
        let mut b = at(500, 500);
        for _ in 0..10 {
            step(&mut b, MoveInput { x: 127, y: 0 }, &p, &a);
        }
        assert_eq!(b.vel, IVec2::new(p.max_speed, 0));
        for _ in 0..10 {
            step(&mut b, MoveInput::default(), &p, &a);
        }
        assert_eq!(b.vel, IVec2::ZERO);
    }

    #[test]
    fn diagonal_is_no_faster_than_straight() {
        let t = target_velocity(MoveInput { x: 127, y: 127 }, 160);
        assert!(t.x * t.x + t.y * t.y <= 160 * 160);
        assert!(t.x > 100);
    }

    #[test]
    fn walls_block_and_zero_velocity() {
        let p = params();
        let wall = Aabb {
            min: IVec2::new(600, 0) * 16,
            max: IVec2::new(620, 1000) * 16,
        };
        let a = Arena {
            walls: vec![wall],
            ..open_arena()
        };
        let mut b = at(500, 500);
        for _ in 0..60 {
            step(&mut b, MoveInput { x: 127, y: 0 }, &p, &a);
        }
        assert_eq!(b.pos.x, wall.min.x - p.half_size);
        let mut left = at(700, 500);
        for _ in 0..60 {
            step(&mut left, MoveInput { x: -127, y: 0 }, &p, &a);
        }
        assert_eq!(left.pos.x, wall.max.x + p.half_size);
    }

    #[test]
    fn arena_edges_hold() {
        let (p, a) = (params(), open_arena());
        let mut b = at(20, 20);
        for _ in 0..30 {
            step(&mut b, MoveInput { x: -127, y: -127 }, &p, &a);
        }
        assert_eq!(b.pos, IVec2::splat(p.half_size));
        assert_eq!(b.vel, IVec2::ZERO);
    }
}
