//! The shooter: up to 64 players on a large walled map move (predicted exactly, the kit's
//! movement step), aim and fire a hitscan gun. A hit takes `gun.damage` of `health`; at 0
//! the player dies, the shooter scores a kill, and after `respawn_seconds` the dead one
//! comes back with full health at a spawn point at least twice `spawn_clearance` from the
//! living (a joining player: once), the one nearest them so players meet soon, or the
//! farthest when none is that clear.
//! Built only on the public game API, with the engine's lag compensation.
//!
//! **How a shot is judged.** Each input says whether the trigger is pressed, the aim, and
//! the moment the shooter was drawing the others at (its interpolation tick with the
//! fraction, [`SeenAt`]). The gun fires once every `gun.cooldown_ms` of inputs (counted in
//! inputs, as the client counts them). The server tests the ray from where the shooter is
//! (its own movement is predicted, so it is where the shooter saw itself) against:
//! - the walls, as they are (they never move): the shot stops at the first wall face or
//!   the arena's edge, or after `gun.range`;
//! - the other living players as they were at the claimed moment, from the engine's
//!   [`HitHistory`], the claim judged by its rules: a future claim is taken as the newest
//!   tick, one further back than the shooter's connection lag plus the longest
//!   interpolation delay is taken as far back as that allows (both counted as clamped), and
//!   an honest one older than `rewind.cap_ms` stops at the cap (counted as capped).
//!
//! **The cover rule: the shooter is favoured, up to the cap.** A target that reached cover
//! on its own timeline after the moment the shooter saw it in the open is still hit: what
//! the shooter saw within the cap counts, so a player on a laggy connection hits what was
//! on its screen, and a target may be hit a fraction of a second after it ducked behind a
//! wall. Beyond the cap the rewind stops at the cap, and there the target may already be
//! in cover: the wall then stops the shot. A target that is dead on the server when the
//! shot is judged is not hit again (dead is dead), even if the shooter saw it alive.
//!
//! **What a shot costs.** A client's fields are checked against their ranges before they
//! reach the game; a shot fires at most once per `gun.cooldown_ms` of a player's inputs
//! (and the input rule bounds those to about one a tick), needs a non-zero aim, and costs
//! one pass over the map's walls and one over the recorded shapes of one or two ticks (at
//! most one per player). A forged moment buys nothing: it is clamped as above.
//!
//! The outcome travels as state, not events, so a snapshot that was replaced loses
//! nothing: each player's [`Shot`] is its last shot (how many it has fired, where the shot
//! stopped, whom it hit and whether that killed), and each [`Fighter`] says who hit it
//! last. A respawn moves the body outside the prediction step: the client counts one
//! correction for it.

mod shots;
pub mod step;

use std::time::Duration;

use bevy_ecs::prelude::*;
use glam::Vec2;
use serde::{Deserialize, Serialize};
use tickwire_protocol::SUBUNITS_PER_UNIT;
use tickwire_protocol::movement::MoveParams;

use crate::kit::mover::{Body, PlayerRules};
use crate::kit::view::ViewRules;
use crate::lobby::interest::Audience;
use crate::lobby::rewind::{Circle, HitHistory, HitShape, SeenAt, ViewLag};
use crate::lobby::{CurrentTick, Game, Joining, LobbyBuilder, PlayerInput, Replicated};
use crate::maps::{GameMap, MapView};
use shots::{spawn_point, wall_distance};
pub use step::{ShooterInput, shooter_step};

/// `Shot.outcome` values.
pub const MISS: i32 = 0;
pub const HIT: i32 = 1;
pub const KILL: i32 = 2;

tickwire_protocol::replicated! {
    /// A player's fight: health (0 while dead), ticks until it respawns (counting down by
    /// `falling`, -1 while dead and 0 alive, so the countdown costs nothing on the wire),
    /// kills and deaths, and the wire id of the player who hit it last (0: nobody yet).
    #[derive(Component)]
    pub struct Fighter {
        pub health: Absolute,
        pub respawn: Predicted("falling"),
        pub falling: Absolute,
        pub kills: Absolute,
        pub deaths: Absolute,
        pub hit_by: Absolute,
    }
}

impl Fighter {
    pub fn alive(&self) -> bool {
        self.health > 0
    }
}

tickwire_protocol::replicated! {
    /// A player's line on the scoreboard, seen by everyone wherever the player is (the
    /// player's own entity is only sent to those near it): the player's wire id, its kills
    /// and deaths.
    #[derive(Component)]
    pub struct Tally {
        pub player: Absolute,
        pub kills: Absolute,
        pub deaths: Absolute,
    }
}

/// The scoreboard line of a player's entity.
#[derive(Component, Debug, Clone, Copy)]
struct TallyOf(Entity);

tickwire_protocol::replicated! {
    /// A player's last shot: how many it has fired, where the shot stopped (subunits), the
    /// wire id of the player it hit (0: none) and whether it missed, hit or killed.
    #[derive(Component)]
    pub struct Shot {
        pub fired: Absolute,
        pub to_x: Absolute,
        pub to_y: Absolute,
        pub target: Absolute,
        pub outcome: Enum(&["miss", "hit", "kill"]),
    }
}

/// The gun's rules in a map file.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GunRules {
    /// Health one hit takes.
    pub damage: i32,
    /// How far a shot reaches, units.
    pub range: i32,
    /// Time between shots, ms (counted in inputs at the lobby's tick rate).
    pub cooldown_ms: u32,
}

/// How far back shots are rewound.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewindRules {
    /// History kept, ms (at least 1 s).
    pub history_ms: u32,
    /// The furthest back a shot is judged, ms.
    pub cap_ms: u32,
}

/// The shooter's rules in a map file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShooterRules {
    pub player: PlayerRules,
    pub health: i32,
    pub gun: GunRules,
    pub respawn_seconds: u32,
    /// A player (re)spawns at least this far from the living where it can, units.
    pub spawn_clearance: i32,
    pub rewind: RewindRules,
    /// Interest management: each client receives the players within this view of its own
    /// (at least the camera's largest, [`VIEW_UNITS`] a side); by default everyone sees
    /// everyone. The scoreboard is seen by everyone either way.
    #[serde(default)]
    pub view: Option<ViewRules>,
}

/// The gun as the lobby runs it, in subunits and inputs.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Gun {
    pub damage: i32,
    /// Subunits.
    pub range: i32,
    /// Inputs from one shot to the next.
    pub cooldown: i32,
}

/// The most a client draws around its player, subunits: the camera never shows more, and
/// the gun reaches no further, so a view rectangle this size plus a margin is all a client
/// needs to see (for interest management).
pub const VIEW_UNITS: i32 = 1800;

/// What the shooter's client module reads from `Joined.config`.
#[derive(Debug, Serialize)]
struct ClientConfig {
    map: MapView,
    movement: MoveParams,
    gun: Gun,
    health: i32,
    respawn_ticks: i32,
    /// A player's hit circle, subunits.
    radius: i32,
    /// The largest view the camera shows, subunits a side.
    view: i32,
}

/// The lobby's rules, in subunits and ticks.
#[derive(Resource)]
struct ShooterState {
    map: std::sync::Arc<GameMap>,
    movement: MoveParams,
    gun: Gun,
    health: i32,
    respawn_ticks: i32,
    /// Subunits.
    spawn_clearance: i32,
}

impl ShooterState {
    /// Where a player joins, given where the living are.
    fn spawn(&self, living: &[glam::IVec2]) -> glam::IVec2 {
        spawn_point(&self.map.spawns, living, self.spawn_clearance)
    }

    /// Where a dead player comes back: twice as clear of the living as a join, so not in
    /// its killer's sight.
    fn respawn(&self, living: &[glam::IVec2]) -> glam::IVec2 {
        spawn_point(
            &self.map.spawns,
            living,
            self.spawn_clearance.saturating_mul(2),
        )
    }
}

/// Inputs until the player's gun may fire again (server side, not replicated).
#[derive(Component, Debug, Default)]
struct Trigger {
    cooldown: i32,
}

/// A living player's hit circle, kept at its body after each tick (dead players have none).
#[derive(Component, Debug, Clone, Copy)]
pub struct HitBox(pub Circle);

impl HitShape for HitBox {
    fn shape(&self) -> Circle {
        self.0
    }
}

/// A shot fired this tick, to be judged once every input has moved its player.
struct Fired {
    shooter: Entity,
    from: Vec2,
    aim: Vec2,
    seen: SeenAt,
    lag: ViewLag,
}

#[derive(Resource, Default)]
struct FiredThisTick(Vec<Fired>);

pub struct Shooter;

impl Game for Shooter {
    fn name(&self) -> &'static str {
        "shooter"
    }

    fn title(&self) -> &'static str {
        "Shooter"
    }

    fn description(&self) -> &'static str {
        "Top-down hitscan on a big walled map: aim with the mouse or a second stick, fire, score kills."
    }

    fn check_map(&self, map: &GameMap) -> Result<(), String> {
        let rules: ShooterRules = map.rules()?;
        rules.player.check()?;
        let gun = rules.gun;
        if !(1..=10_000).contains(&rules.health)
            || !(1..=10_000).contains(&gun.damage)
            || !(1..=VIEW_UNITS).contains(&gun.range)
            || !(1..=60_000).contains(&gun.cooldown_ms)
            || !(1..=600).contains(&rules.respawn_seconds)
            || !(0..=100_000).contains(&rules.spawn_clearance)
        {
            return Err(format!(
                "health and gun.damage must be 1 to 10000, gun.range 1 to {VIEW_UNITS}, gun.cooldown_ms 1 to 60000, respawn_seconds 1 to 600 and spawn_clearance 0 to 100000"
            ));
        }
        let rewind = rules.rewind;
        if !(1000..=10_000).contains(&rewind.history_ms) || rewind.cap_ms > rewind.history_ms {
            return Err(
                "rewind.history_ms must be 1000 to 10000 and rewind.cap_ms at most history_ms"
                    .into(),
            );
        }
        if let Some(view) = &rules.view {
            view.check()?;
            if view.width.min(view.height) < VIEW_UNITS {
                return Err(format!(
                    "view width and height must be at least the camera's {VIEW_UNITS} units"
                ));
            }
        }
        map.check_spawns(rules.player.half_size * SUBUNITS_PER_UNIT)
    }

    fn build(&self, lobby: &mut LobbyBuilder) -> Result<(), String> {
        let ctx = lobby.context.clone();
        let rules: ShooterRules = ctx.map.rules()?;
        let movement = rules.player.params(ctx.tick_rate);
        let hz = i64::from(ctx.tick_rate);
        let gun = Gun {
            damage: rules.gun.damage,
            range: rules.gun.range * SUBUNITS_PER_UNIT,
            cooldown: ((i64::from(rules.gun.cooldown_ms) * hz + 999) / 1000).max(1) as i32,
        };
        let respawn_ticks = (i64::from(rules.respawn_seconds) * hz) as i32;
        lobby
            .replicate::<Body>()
            .replicate::<Fighter>()
            .replicate::<Shot>()
            .replicate::<Tally>()
            .input::<ShooterInput>()
            .lag_compensation::<HitBox>(
                Duration::from_millis(rules.rewind.history_ms.into()),
                Duration::from_millis(rules.rewind.cap_ms.into()),
            )
            .add_systems(
                (
                    apply_inputs,
                    respawn,
                    judge_shots,
                    follow_bodies,
                    keep_tally,
                )
                    .chain(),
            )
            .on_join(join)
            .on_leave(leave)
            .client_config(ClientConfig {
                map: ctx.map.view(),
                movement,
                gun,
                health: rules.health,
                respawn_ticks,
                radius: movement.half_size,
                view: VIEW_UNITS * SUBUNITS_PER_UNIT,
            });
        if let Some(view) = rules.view {
            lobby.interest::<Body>(view.interest());
        }
        let world = lobby.world();
        world.init_resource::<FiredThisTick>();
        world.insert_resource(ShooterState {
            map: ctx.map.clone(),
            movement,
            gun,
            health: rules.health,
            respawn_ticks,
            spawn_clearance: rules.spawn_clearance * SUBUNITS_PER_UNIT,
        });
        Ok(())
    }
}

/// Where the living players are.
fn living(world: &mut World) -> Vec<glam::IVec2> {
    world
        .query::<(&Body, &Fighter)>()
        .iter(world)
        .filter(|(_, f)| f.alive())
        .map(|(b, _)| b.pos())
        .collect()
}

/// A new player, alive, at a spawn point clear of the living ([`spawn_point`]).
fn join(world: &mut World, _joining: &Joining) -> Entity {
    let others = living(world);
    let state = world.resource::<ShooterState>();
    let spawn = state.spawn(&others);
    let (health, radius) = (state.health, state.movement.half_size);
    let player = world
        .spawn((
            Replicated::default(),
            Body::at(spawn),
            Fighter {
                health,
                ..Fighter::default()
            },
            Shot::default(),
            Trigger::default(),
            hit_box(spawn, radius),
        ))
        .id();
    let id = world.get::<Replicated>(player).map_or(0, Replicated::id);
    let tally = Tally {
        player: id as i32,
        ..Tally::default()
    };
    let line = world
        .spawn((Replicated::default(), tally, Audience::Everyone))
        .id();
    world.entity_mut(player).insert(TallyOf(line));
    player
}

/// A player who leaves takes its scoreboard line with it.
fn leave(world: &mut World, player: Entity) {
    if let Some(TallyOf(line)) = world.get::<TallyOf>(player).copied() {
        world.despawn(line);
    }
    world.despawn(player);
}

/// Copies kills and deaths to the scoreboard when they change.
fn keep_tally(
    players: Query<(&Fighter, &TallyOf), Changed<Fighter>>,
    mut lines: Query<&mut Tally>,
) {
    for (fighter, TallyOf(line)) in &players {
        if let Ok(mut tally) = lines.get_mut(*line)
            && (tally.kills, tally.deaths) != (fighter.kills, fighter.deaths)
        {
            tally.kills = fighter.kills;
            tally.deaths = fighter.deaths;
        }
    }
}

fn hit_box(pos: glam::IVec2, radius: i32) -> HitBox {
    HitBox(Circle {
        x: pos.x,
        y: pos.y,
        radius,
    })
}

/// One step per due input; a pressed trigger with the gun ready and a direction fires.
fn apply_inputs(
    mut players: Query<(
        Entity,
        &PlayerInput,
        &mut Body,
        &Fighter,
        &mut Trigger,
        &ViewLag,
    )>,
    state: Res<ShooterState>,
    mut fired: ResMut<FiredThisTick>,
) {
    for (entity, input, mut body, fighter, mut trigger, lag) in &mut players {
        for i in input.due_as::<ShooterInput>() {
            shooter_step(&mut body, fighter, &i, &state.movement, &state.map.arena);
            if trigger.cooldown > 0 {
                trigger.cooldown -= 1;
            }
            let aim = Vec2::new(i.aim_x as f32, i.aim_y as f32);
            if i.fire == 0 || !fighter.alive() || trigger.cooldown > 0 || aim == Vec2::ZERO {
                continue;
            }
            trigger.cooldown = state.gun.cooldown;
            fired.0.push(Fired {
                shooter: entity,
                from: body.pos().as_vec2(),
                aim,
                seen: SeenAt {
                    tick: i.seen_tick.max(0) as u32,
                    fraction: i.seen_fraction.clamp(0, 65_535) as u16,
                },
                lag: *lag,
            });
        }
    }
}

/// Judges this tick's shots against the walls and the rewound players, in the order fired.
fn judge_shots(
    mut fired: ResMut<FiredThisTick>,
    mut history: ResMut<HitHistory>,
    tick: Res<CurrentTick>,
    state: Res<ShooterState>,
    mut players: Query<(&Replicated, &mut Fighter, &mut Shot)>,
    mut commands: Commands,
) {
    // The newest tick recorded: this tick's shapes are recorded after its systems.
    let now = tick.0.saturating_sub(1);
    for shot in fired.0.drain(..) {
        let direction = shot.aim.normalize();
        let reach =
            (state.gun.range as f32).min(wall_distance(&state.map.arena, shot.from, direction));
        let window = history.window(now, shot.lag);
        let (hit, _) =
            history.raycast(shot.seen, window, shot.from, direction, reach, shot.shooter);
        let shooter_id = players.get(shot.shooter).map_or(0, |(id, _, _)| id.id());
        let mut outcome = (MISS, 0, reach);
        if let Some(hit) = hit
            && let Ok((target_id, mut target, _)) = players.get_mut(hit.entity)
            && target.alive()
        {
            target.health = (target.health - state.gun.damage).max(0);
            target.hit_by = shooter_id as i32;
            let killed = !target.alive();
            if killed {
                target.deaths += 1;
                target.respawn = state.respawn_ticks;
                target.falling = -1;
                commands.entity(hit.entity).remove::<HitBox>();
            }
            outcome = (
                if killed { KILL } else { HIT },
                target_id.id() as i32,
                hit.distance,
            );
        }
        if let Ok((_, mut fighter, mut last)) = players.get_mut(shot.shooter) {
            if outcome.0 == KILL {
                fighter.kills += 1;
            }
            let to = shot.from + direction * outcome.2;
            *last = Shot {
                fired: last.fired.wrapping_add(1),
                to_x: to.x.round() as i32,
                to_y: to.y.round() as i32,
                target: outcome.1,
                outcome: outcome.0,
            };
        }
    }
}

/// Counts the dead down (before the tick's shots, so a death waits its full time); at 0 a
/// player comes back with full health at a spawn point clear of the living.
fn respawn(
    mut players: Query<(Entity, &mut Fighter, &mut Body)>,
    state: Res<ShooterState>,
    mut commands: Commands,
) {
    let mut due = Vec::new();
    for (entity, mut fighter, _) in &mut players {
        if fighter.alive() || fighter.respawn <= 0 {
            continue;
        }
        fighter.respawn += fighter.falling;
        if fighter.respawn <= 0 {
            fighter.respawn = 0;
            fighter.falling = 0;
            fighter.health = state.health;
            due.push(entity);
        }
    }
    for entity in due {
        let others: Vec<_> = players
            .iter()
            .filter(|(e, f, _)| *e != entity && f.alive())
            .map(|(_, _, b)| b.pos())
            .collect();
        let spawn = state.respawn(&others);
        if let Ok((_, _, mut body)) = players.get_mut(entity) {
            *body = Body::at(spawn);
        }
        commands
            .entity(entity)
            .insert(hit_box(spawn, state.movement.half_size));
    }
}

/// Keeps each living player's hit circle on its body, for the tick's record.
fn follow_bodies(mut players: Query<(&Body, &mut HitBox)>) {
    for (body, mut hit) in &mut players {
        if (hit.0.x, hit.0.y) != (body.x, body.y) {
            hit.0.x = body.x;
            hit.0.y = body.y;
        }
    }
}

#[cfg(test)]
mod tests;
