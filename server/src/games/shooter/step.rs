//! The shooter's prediction step: the engine's movement step, with the stick let go while
//! the player is dead (a dead body brakes to a stop where it fell). A pure integer function
//! of (body, fighter, input, rules, arena) that the server runs once per applied input and
//! the browser's `games/shooter/step.js` ports; the movement itself is the kit's, whose
//! port the engine's golden trajectories prove exact.

use tickwire_protocol::movement::{Arena, MoveParams};

use super::Fighter;
use crate::kit::mover::Body;

tickwire_protocol::game_input! {
    /// The move stick (each axis -127..=127, +y down); the aim, a direction in map axes
    /// (any length, 0 0 for none); the trigger (1: pressed); and the moment the shooter was
    /// drawing the others when it pressed it: `seen_tick` plus `seen_fraction` / 65 536 of
    /// the next tick (0 0 when not firing).
    pub struct ShooterInput {
        pub x: [-127, 127],
        pub y: [-127, 127],
        pub aim_x: [-32767, 32767],
        pub aim_y: [-32767, 32767],
        pub fire: [0, 1],
        pub seen_tick: [0, i32::MAX],
        pub seen_fraction: [0, 65535],
    }
}

/// One step of a shooter player: a living one moves with the stick, a dead one as if the
/// stick were let go.
pub fn shooter_step(
    body: &mut Body,
    fighter: &Fighter,
    input: &ShooterInput,
    movement: &MoveParams,
    arena: &Arena,
) {
    let (x, y) = if fighter.alive() {
        (input.x, input.y)
    } else {
        (0, 0)
    };
    body.step(x, y, movement, arena);
}
