//! Tag: one player is "it" and passes it on by touch. Runners who are not "it" score a
//! point a second; a round lasts `round_seconds`, then the scores reset and the lowest
//! scorer of the round starts as "it". A dash button doubles speed for a few ticks, with a
//! cooldown; the dash is part of the predicted step ([`step::tag_step`]), so the browser
//! predicts it exactly. The just-tagged player cannot tag back for a second. Built only on
//! the public game API.

pub mod step;

use bevy_ecs::prelude::*;
use serde::{Deserialize, Serialize};
use tickwire_protocol::SUBUNITS_PER_UNIT;
use tickwire_protocol::movement::MoveParams;

use crate::kit::mover::{Body, PlayerRules};
use crate::lobby::{Game, Joining, LobbyBuilder, PlayerInput, Replicated};
use crate::maps::{GameMap, MapView};
pub use step::{Dash, TagInput, tag_step};

/// `Runner.it` values.
pub const RUNNER: i32 = 0;
pub const IT: i32 = 1;

tickwire_protocol::replicated! {
    /// A player: whether it is "it", its dash state (ticks of dash left, ticks until the
    /// next dash) and its points this round.
    #[derive(Component)]
    pub struct Runner {
        pub it: Enum(&["runner", "it"]),
        pub dash: Absolute,
        pub cooldown: Absolute,
        pub score: Absolute,
    }
}

tickwire_protocol::replicated! {
    /// The round clock: ticks left, counting down by `rate` (-1) every tick, so it costs
    /// nothing on the wire until a new round starts.
    #[derive(Component)]
    pub struct Round {
        pub ticks_left: Predicted("rate"),
        pub rate: Absolute,
    }
}

/// Tag's rules in a map file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagRules {
    pub player: PlayerRules,
    pub dash: Dash,
    pub round_seconds: u32,
}

/// What tag's client module reads from `Joined.config`.
#[derive(Debug, Serialize)]
struct ClientConfig {
    map: MapView,
    movement: MoveParams,
    dash: Dash,
    /// Centre distance on each axis below which "it" tags a runner, subunits.
    tag_reach: i32,
}

#[derive(Resource)]
struct TagState {
    map: std::sync::Arc<GameMap>,
    movement: MoveParams,
    dash: Dash,
    round_ticks: i32,
    tick_rate: u16,
    /// Ticks until the current "it" may tag (after being tagged).
    immune: u32,
    ticks: u64,
}

pub struct Tag;

impl Game for Tag {
    fn name(&self) -> &'static str {
        "tag"
    }

    fn title(&self) -> &'static str {
        "Tag"
    }

    fn description(&self) -> &'static str {
        "Whoever is it passes it on by touch; every second you are not it is a point. Space dashes."
    }

    fn check_map(&self, map: &GameMap) -> Result<(), String> {
        let rules: TagRules = map.rules()?;
        rules.player.check()?;
        let dash = rules.dash;
        if !(1..=3600).contains(&rules.round_seconds)
            || !(0..=600).contains(&dash.ticks)
            || !(0..=6000).contains(&dash.cooldown)
            || !(100..=1000).contains(&dash.speed_percent)
        {
            return Err("round_seconds must be 1 to 3600, dash ticks 0 to 600, cooldown 0 to 6000 and speed_percent 100 to 1000".into());
        }
        map.check_spawns(rules.player.half_size * SUBUNITS_PER_UNIT)
    }

    fn build(&self, lobby: &mut LobbyBuilder) -> Result<(), String> {
        let ctx = lobby.context.clone();
        let rules: TagRules = ctx.map.rules()?;
        let movement = rules.player.params(ctx.tick_rate);
        let round_ticks = (rules.round_seconds * u32::from(ctx.tick_rate)) as i32;
        lobby
            .replicate::<Body>()
            .replicate::<Runner>()
            .replicate::<Round>()
            .input::<TagInput>()
            .add_systems((apply_inputs, touches, scoring, round_clock).chain())
            .on_join(join)
            .on_leave(leave)
            .client_config(ClientConfig {
                map: ctx.map.view(),
                movement,
                dash: rules.dash,
                tag_reach: 2 * movement.half_size,
            });
        let world = lobby.world();
        world.spawn((
            Replicated::default(),
            Round {
                ticks_left: round_ticks,
                rate: -1,
            },
        ));
        world.insert_resource(TagState {
            map: ctx.map.clone(),
            movement,
            dash: rules.dash,
            round_ticks,
            tick_rate: ctx.tick_rate,
            immune: 0,
            ticks: 0,
        });
        Ok(())
    }
}

/// A new runner at the next spawn point; the first player is "it".
fn join(world: &mut World, joining: &Joining) -> Entity {
    let spawns = &world.resource::<TagState>().map.spawns;
    let spawn = spawns[joining.seat % spawns.len()];
    let anyone_it = world.query::<&Runner>().iter(world).any(|r| r.it == IT);
    let runner = Runner {
        it: if anyone_it { RUNNER } else { IT },
        ..Runner::default()
    };
    world
        .spawn((Replicated::default(), Body::at(spawn), runner))
        .id()
}

/// The player leaves; if it was "it", the oldest remaining player is.
fn leave(world: &mut World, entity: Entity) {
    let was_it = world.get::<Runner>(entity).is_some_and(|r| r.it == IT);
    world.despawn(entity);
    if was_it {
        let mut q = world.query::<(&Replicated, &mut Runner)>();
        if let Some((_, mut r)) = q.iter_mut(world).min_by_key(|(id, _)| id.id()) {
            r.it = IT;
        }
    }
}

/// One tag step per due input.
fn apply_inputs(mut players: Query<(&PlayerInput, &mut Body, &mut Runner)>, state: Res<TagState>) {
    for (input, mut body, mut runner) in &mut players {
        for i in input.due_as::<TagInput>() {
            tag_step(
                &mut body,
                &mut runner,
                &i,
                &state.movement,
                &state.dash,
                &state.map.arena,
            );
        }
    }
}

/// "It" touching a runner passes it on; the new "it" waits a second before it may tag.
fn touches(mut players: Query<(&Replicated, &Body, &mut Runner)>, mut state: ResMut<TagState>) {
    if state.immune > 0 {
        state.immune -= 1;
        return;
    }
    let reach = 2 * state.movement.half_size;
    let Some((it_id, it_pos)) = players
        .iter()
        .find(|(_, _, r)| r.it == IT)
        .map(|(id, b, _)| (id.id(), b.pos()))
    else {
        return;
    };
    let tagged = players
        .iter()
        .filter(|(id, b, r)| {
            let d = (b.pos() - it_pos).abs();
            id.id() != it_id && r.it == RUNNER && d.x < reach && d.y < reach
        })
        .map(|(id, _, _)| id.id())
        .min();
    if let Some(tagged) = tagged {
        for (id, _, mut r) in &mut players {
            if id.id() == it_id {
                r.it = RUNNER;
            } else if id.id() == tagged {
                r.it = IT;
            }
        }
        state.immune = u32::from(state.tick_rate);
    }
}

/// Every second, each runner who is not "it" scores a point.
fn scoring(mut players: Query<&mut Runner>, mut state: ResMut<TagState>) {
    state.ticks += 1;
    if !state.ticks.is_multiple_of(u64::from(state.tick_rate)) {
        return;
    }
    for mut r in &mut players {
        if r.it == RUNNER {
            r.score += 1;
        }
    }
}

/// Counts the round down; at its end, scores reset and the lowest scorer starts as "it".
fn round_clock(
    mut rounds: Query<&mut Round>,
    mut players: Query<(&Replicated, &mut Runner)>,
    state: Res<TagState>,
) {
    for mut round in &mut rounds {
        round.ticks_left += round.rate;
        if round.ticks_left > 0 {
            continue;
        }
        round.ticks_left = state.round_ticks;
        let next_it = players
            .iter()
            .min_by_key(|(id, r)| (r.score, id.id()))
            .map(|(id, _)| id.id());
        for (id, mut r) in &mut players {
            r.score = 0;
            r.it = if Some(id.id()) == next_it { IT } else { RUNNER };
        }
    }
}

#[cfg(test)]
mod tests;
