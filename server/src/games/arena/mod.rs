//! The orb arena: players race for orbs. Each player is a [`Body`] with a [`Score`]; orbs
//! are bodies with the [`Orb`] marker. Touching an orb scores a point and moves it to a
//! random free spot. Movement is the engine's top-down step, so the browser predicts it
//! exactly. Built only on the public game API.

mod orbs;

use bevy_ecs::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tickwire_protocol::SUBUNITS_PER_UNIT;
use tickwire_protocol::movement::MoveParams;

use crate::kit::mover::{Body, PlayerRules};
use crate::kit::view::ViewRules;
use crate::lobby::{Game, Joining, LobbyBuilder, PlayerInput};
use crate::maps::{GameMap, MapView};
use orbs::{LobbyRng, OrbGrid, collect_orbs, free_orb_spot};

tickwire_protocol::replicated! {
    /// Orbs a player has collected.
    #[derive(Component)]
    pub struct Score {
        pub points: Absolute,
    }
}

tickwire_protocol::replicated! {
    /// Marks an orb.
    #[derive(Component)]
    pub struct Orb {}
}

tickwire_protocol::game_input! {
    /// The stick, each axis -127..=127, +y down.
    pub struct ArenaInput {
        pub x: [-127, 127],
        pub y: [-127, 127],
    }
}

/// The arena's rules in a map file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArenaRules {
    pub orbs: u32,
    /// Orb pickup radius, units.
    pub orb_radius: i32,
    pub player: PlayerRules,
    /// When set, each client receives only what is around its player (interest
    /// management); by default everyone sees the whole arena.
    #[serde(default)]
    pub view: Option<ViewRules>,
}

/// What the arena's client module reads from `Joined.config`.
#[derive(Debug, Serialize)]
struct ClientConfig {
    map: MapView,
    /// Subunits.
    orb_radius: i32,
    movement: MoveParams,
}

/// The lobby's map, movement constants and orb size (subunits).
#[derive(Resource)]
pub struct ArenaMap {
    pub map: std::sync::Arc<GameMap>,
    pub movement: MoveParams,
    pub orb_radius: i32,
}

pub struct Arena;

/// Most orbs a map may ask for.
const MAX_ORBS: u32 = 100_000;

impl Game for Arena {
    fn name(&self) -> &'static str {
        "arena"
    }

    fn title(&self) -> &'static str {
        "Orb arena"
    }

    fn description(&self) -> &'static str {
        "Race the others for the glowing orbs: each one you touch is a point."
    }

    fn check_map(&self, map: &GameMap) -> Result<(), String> {
        let rules: ArenaRules = map.rules()?;
        rules.player.check()?;
        if let Some(view) = &rules.view {
            view.check()?;
        }
        let size = map.arena.size.min_element() / SUBUNITS_PER_UNIT;
        if rules.orb_radius <= 0 || 2 * rules.orb_radius >= size {
            return Err("orb_radius must be positive and less than half the arena's side".into());
        }
        map.check_spawns(rules.player.half_size * SUBUNITS_PER_UNIT)
    }

    fn build(&self, lobby: &mut LobbyBuilder) -> Result<(), String> {
        let ctx = lobby.context.clone();
        let rules: ArenaRules = ctx.map.rules()?;
        let movement = rules.player.params(ctx.tick_rate);
        let orb_radius = rules.orb_radius * SUBUNITS_PER_UNIT;
        lobby
            .replicate::<Body>()
            .replicate::<Score>()
            .replicate::<Orb>()
            .input::<ArenaInput>()
            .add_systems((apply_inputs, collect_orbs).chain())
            .on_join(join)
            .client_config(ClientConfig {
                map: ctx.map.view(),
                orb_radius,
                movement,
            });
        if let Some(view) = rules.view {
            lobby.interest::<Body>(view.interest());
        }
        let arena = ArenaMap {
            map: ctx.map.clone(),
            movement,
            orb_radius,
        };
        let world = lobby.world();
        let mut rng = ChaCha8Rng::seed_from_u64(ctx.seed);
        let mut grid = OrbGrid::new(arena.map.arena.size);
        for _ in 0..rules.orbs.min(MAX_ORBS) {
            let pos = free_orb_spot(&arena, &mut rng);
            let e = world
                .spawn((crate::lobby::Replicated::default(), Body::at(pos), Orb {}))
                .id();
            grid.insert(e, pos);
        }
        world.insert_resource(grid);
        world.insert_resource(LobbyRng(rng));
        world.insert_resource(arena);
        Ok(())
    }
}

/// A new player at the next spawn point, standing still with no points.
fn join(world: &mut World, joining: &Joining) -> Entity {
    let spawns = &world.resource::<ArenaMap>().map.spawns;
    let spawn = spawns[joining.seat % spawns.len()];
    world
        .spawn((
            crate::lobby::Replicated::default(),
            Body::at(spawn),
            Score::default(),
        ))
        .id()
}

/// One movement step per due input.
fn apply_inputs(mut players: Query<(&PlayerInput, &mut Body)>, arena: Res<ArenaMap>) {
    for (input, mut body) in &mut players {
        for i in input.due_as::<ArenaInput>() {
            body.step(i.x, i.y, &arena.movement, &arena.map.arena);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(orb_radius: i32) -> GameMap {
        let json = format!(
            r#"{{"name":"m","game":"arena","width":200,"height":100,"spawns":[[50,50]],"rules":{{"orbs":3,"orb_radius":{orb_radius},"player":{{"speed":300,"accel":3000,"half_size":16}}}}}}"#
        );
        GameMap::parse(&json).expect("parses")
    }

    #[test]
    fn a_map_whose_orbs_cannot_fit_is_refused_at_load() {
        assert!(Arena.check_map(&map(10)).is_ok());
        let err = Arena
            .check_map(&map(50))
            .expect_err("orbs as wide as the arena");
        assert!(err.contains("orb_radius"), "{err}");
    }
}
