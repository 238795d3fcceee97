//! A bot's input for any game, built from the input schema in `Joined` by field name: the
//! stick (`x`, `y`) wanders ([`Wander`]); a game that aims (`aim_x`, `aim_y`) is aimed at
//! the nearest other player (any entity with a kit `Body`) within `AIM_RANGE`, with the
//! trigger (`fire`) held while someone is; the moment seen (`seen_tick`, `seen_fraction`)
//! is the newest tick the bot holds, the one it aimed from (an honest claim). Every other
//! field is 0. Values are clamped into each field's range.

use glam::Vec2;
use tickwire_protocol::schema::InputField;
use tickwire_protocol::{InputValues, Layout, NetId, Schema, WorldState};
use tickwire_server::kit::mover::Body;

use crate::wander::Wander;

/// How near (subunits) another player must be to be shot at: 1200 world units, a shooter's
/// gun range.
pub const AIM_RANGE: f32 = 1200.0 * 16.0;
/// Length of the aim sent.
const AIM_LENGTH: f32 = 30_000.0;

/// What a field of the input is filled with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fill {
    StickX,
    StickY,
    AimX,
    AimY,
    Fire,
    SeenTick,
    SeenFraction,
    Zero,
}

/// How one bot fills its lobby's input.
#[derive(Debug, Clone)]
pub struct BotInput {
    fields: Vec<(Fill, i32, i32)>,
    aims: bool,
}

impl BotInput {
    pub fn new(input: &[InputField]) -> Self {
        let fields: Vec<_> = input
            .iter()
            .map(|f| {
                let fill = match f.name.as_str() {
                    "x" => Fill::StickX,
                    "y" => Fill::StickY,
                    "aim_x" => Fill::AimX,
                    "aim_y" => Fill::AimY,
                    "fire" => Fill::Fire,
                    "seen_tick" => Fill::SeenTick,
                    "seen_fraction" => Fill::SeenFraction,
                    _ => Fill::Zero,
                };
                (fill, f.min, f.max)
            })
            .collect();
        let aims = fields.iter().any(|(f, _, _)| *f == Fill::AimX);
        Self { fields, aims }
    }

    /// The next input: the wander's stick, and for a game that aims, the aim at the nearest
    /// other player in `world` (the newest the bot holds) and the trigger.
    pub fn next(
        &self,
        wander: &mut Wander,
        world: Option<(&WorldState, &Schema, &Layout)>,
        own: NetId,
    ) -> InputValues {
        let stick = wander.next_input();
        let (sx, sy) = (stick.as_slice()[0], stick.as_slice()[1]);
        let target = if self.aims {
            world.and_then(|(w, schema, layout)| nearest(w, schema, layout, own))
        } else {
            None
        };
        let tick = world.map_or(0, |(w, _, _)| w.tick);
        let values: Vec<i32> = self
            .fields
            .iter()
            .map(|(fill, min, max)| {
                let v = match (fill, target) {
                    (Fill::StickX, _) => sx,
                    (Fill::StickY, _) => sy,
                    (Fill::AimX, Some(d)) => (d.x * AIM_LENGTH) as i32,
                    (Fill::AimY, Some(d)) => (d.y * AIM_LENGTH) as i32,
                    (Fill::Fire, Some(_)) => 1,
                    (Fill::SeenTick, Some(_)) => i32::try_from(tick).unwrap_or(i32::MAX),
                    _ => 0,
                };
                v.clamp(*min, *max)
            })
            .collect();
        InputValues::new(&values)
    }
}

/// The unit direction from the own body to the nearest other within [`AIM_RANGE`].
fn nearest(world: &WorldState, schema: &Schema, layout: &Layout, own: NetId) -> Option<Vec2> {
    let body = schema.component_id("Body")?;
    let at = |id: NetId| {
        world
            .get::<Body>(schema, layout, id)
            .map(|b| Vec2::new(b.x as f32, b.y as f32))
    };
    let me = at(own)?;
    world
        .with(body)
        .filter(|id| *id != own)
        .filter_map(|id| at(id).map(|p| p - me))
        .filter(|d| d.length() <= AIM_RANGE && d.length() > 0.0)
        .min_by(|a, b| a.length().total_cmp(&b.length()))
        .map(|d| d.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, min: i32, max: i32) -> InputField {
        InputField {
            name: name.into(),
            min,
            max,
        }
    }

    #[test]
    fn a_game_that_does_not_aim_gets_the_stick_and_zeros() {
        let input = BotInput::new(&[
            field("x", -127, 127),
            field("y", -127, 127),
            field("dash", 0, 1),
        ]);
        let mut w = Wander::new(1, 30);
        let v = input.next(&mut w, None, 1);
        assert_eq!(v.as_slice().len(), 3);
        assert_ne!(&v.as_slice()[..2], &[0, 0], "always moving");
        assert_eq!(v.as_slice()[2], 0);
    }

    #[test]
    fn with_no_one_in_sight_a_shooter_bot_holds_fire() {
        let input = BotInput::new(&[
            field("x", -127, 127),
            field("y", -127, 127),
            field("aim_x", -32767, 32767),
            field("aim_y", -32767, 32767),
            field("fire", 0, 1),
            field("seen_tick", 0, i32::MAX),
            field("seen_fraction", 0, 65535),
        ]);
        let mut w = Wander::new(1, 30);
        assert_eq!(
            &input.next(&mut w, None, 1).as_slice()[2..],
            &[0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn a_shooter_bot_aims_at_the_nearest_player_and_fires_claiming_its_newest_tick() {
        use std::sync::Arc;
        use tickwire_server::maps::MapCatalog;
        use tickwire_server::testing::Stepper;
        let map = MapCatalog::embedded()
            .expect("maps")
            .get("outpost")
            .expect("outpost");
        let mut h = Stepper::new(Arc::new(tickwire_server::games::shooter::Shooter), map, 8);
        let me = h.join(1).expect("a seat");
        h.join(2).expect("a seat");
        h.tick();
        let view = &h.views[&1];
        let schema = &view.joined.as_ref().expect("joined").schema;
        let layout = Layout::new(schema).expect("layout");
        let world = view.latest.as_ref().expect("a world");
        let input = BotInput::new(&schema.input);
        let mut w = Wander::new(1, 30);
        let v = input.next(&mut w, Some((world, schema, &layout)), me);
        // The other player spawned 600 units to the right.
        assert_eq!(
            &v.as_slice()[2..],
            &[30_000, 0, 1, world.tick as i32, 0],
            "aim right, fire, the tick it aimed from"
        );
    }
}
