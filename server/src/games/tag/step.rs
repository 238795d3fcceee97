//! Tag's prediction step: the engine's movement step, faster while a dash lasts. A pure
//! integer function of (body, runner, input, rules, arena) that the server runs once per
//! applied input and the browser's `games/tag/step.js` ports bit-exactly (golden
//! trajectories prove it).

use serde::{Deserialize, Serialize};
use tickwire_protocol::movement::{Arena, MoveParams};

use super::Runner;
use crate::kit::mover::Body;

tickwire_protocol::game_input! {
    /// The stick, each axis -127..=127 (+y down), and the dash button (1: pressed).
    pub struct TagInput {
        pub x: [-127, 127],
        pub y: [-127, 127],
        pub dash: [0, 1],
    }
}

/// How a dash works, in ticks and percent of normal speed and acceleration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Dash {
    pub ticks: i32,
    pub cooldown: i32,
    pub speed_percent: i32,
}

/// One step of a tag player: a dash starts when asked for and ready; while it lasts the
/// player's top speed and acceleration are `speed_percent` of normal.
pub fn tag_step(
    body: &mut Body,
    runner: &mut Runner,
    input: &TagInput,
    movement: &MoveParams,
    dash: &Dash,
    arena: &Arena,
) {
    if input.dash != 0 && runner.cooldown == 0 {
        runner.dash = dash.ticks;
        runner.cooldown = dash.cooldown;
    }
    let mut params = *movement;
    if runner.dash > 0 {
        params.max_speed = params.max_speed * dash.speed_percent / 100;
        params.accel = params.accel * dash.speed_percent / 100;
    }
    body.step(input.x, input.y, &params, arena);
    if runner.dash > 0 {
        runner.dash -= 1;
    }
    if runner.cooldown > 0 {
        runner.cooldown -= 1;
    }
}
