//! A top-down moving box: the replicated [`Body`] (position predicted from velocity, so
//! steady motion costs no bytes) and the per-map movement rules, stepped by the engine's
//! movement step (`tickwire_protocol::movement`), which the SDK's `movement.js` ports.

use bevy_ecs::prelude::*;
use serde::{Deserialize, Serialize};
use tickwire_protocol::movement::{Arena, Body as MoveBody, MoveInput, MoveParams, step};

tickwire_protocol::replicated! {
    /// Where a player is and how fast it moves, in subunits and subunits per tick.
    #[derive(Component)]
    pub struct Body {
        pub x: Predicted("vx"),
        pub y: Predicted("vy"),
        pub vx: Delta,
        pub vy: Delta,
    }
}

impl Body {
    pub fn at(pos: glam::IVec2) -> Self {
        Self {
            x: pos.x,
            y: pos.y,
            ..Self::default()
        }
    }

    pub fn pos(&self) -> glam::IVec2 {
        glam::IVec2::new(self.x, self.y)
    }

    /// One movement step with the stick (`x`, `y`).
    pub fn step(&mut self, x: i32, y: i32, params: &MoveParams, arena: &Arena) {
        let mut b = MoveBody {
            pos: glam::IVec2::new(self.x, self.y),
            vel: glam::IVec2::new(self.vx, self.vy),
        };
        step(&mut b, MoveInput::stick(x, y), params, arena);
        (self.x, self.y, self.vx, self.vy) = (b.pos.x, b.pos.y, b.vel.x, b.vel.y);
    }
}

/// A map's player movement rules, in world units per second.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlayerRules {
    /// Top speed, units per second.
    pub speed: i32,
    /// Acceleration, units per second squared.
    pub accel: i32,
    /// Half the side of the player's square, units.
    pub half_size: i32,
}

impl PlayerRules {
    pub fn check(&self) -> Result<(), String> {
        if self.speed <= 0 || self.accel <= 0 || self.half_size <= 0 {
            return Err("player speed, accel and half_size must be positive".into());
        }
        Ok(())
    }

    /// The per-tick constants at `tick_rate`.
    pub fn params(&self, tick_rate: u16) -> MoveParams {
        MoveParams::from_rules(self.speed, self.accel, self.half_size, tick_rate)
    }
}
