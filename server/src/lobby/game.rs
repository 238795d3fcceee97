//! The game API: what a game gives the engine. A game is one value implementing [`Game`]:
//! its name, a check of its maps' rules, and a build step that registers, on a
//! [`LobbyBuilder`], its replicated components, its input, its systems in the fixed
//! schedule, its hooks (player joined, left, resumed) and the JSON its client module reads.
//! The engine does the rest: ids, history, baselines, deltas, the input rule, members.

use std::sync::Arc;

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{IntoScheduleConfigs, ScheduleConfigs, SingleThreadedExecutor};
use bevy_ecs::system::ScheduleSystem;
use tickwire_protocol::schema::{GameInput, InputField, Replicate, Schema};

use super::input::{SkippedTicks, take_due_inputs};
use super::interest::{Interest, Placements, Spatial};
use super::replication::{Registry, ReplicatedIndex};
use super::rewind::{HitHistory, HitShape, MAX_INTERPOLATION, record_shapes};
use crate::maps::GameMap;

/// A game the server can host. Register it with the server at start (the built-in games
/// are in `crate::games`).
pub trait Game: Send + Sync + 'static {
    /// The name clients use (`CreateLobby.game`, `Schema.game`): lower case, no spaces.
    fn name(&self) -> &'static str;
    /// A title for people (by default the name).
    fn title(&self) -> &'static str {
        self.name()
    }
    /// One sentence for people: how to play (by default none).
    fn description(&self) -> &'static str {
        ""
    }
    /// Checks a map's `rules` when maps load, so a bad map fails at start, not at a join
    /// (by default every map passes).
    fn check_map(&self, _map: &GameMap) -> Result<(), String> {
        Ok(())
    }
    /// Sets up one lobby: spawns what it needs, registers components, input, systems, hooks.
    /// Every map of a game must give the same schema (the catalog checks it at start).
    fn build(&self, lobby: &mut LobbyBuilder) -> Result<(), String>;
}

/// What the engine tells a game about a player joining.
#[derive(Debug, Clone)]
pub struct Joining {
    pub client: u32,
    pub name: String,
    /// How many players joined this lobby before this one (for spawn points and the like).
    pub seat: usize,
}

/// Spawns a player's entity and returns it (the engine adds [`super::Replicated`] and the
/// input queue).
pub type JoinHook = fn(&mut World, &Joining) -> Entity;
/// A player left or was dropped for good; the default despawns its entity.
pub type LeaveHook = fn(&mut World, Entity);
/// A player's connection came back and took its seat again.
pub type ResumeHook = fn(&mut World, Entity);

/// The systems sets of a tick, in order.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TickSet {
    /// The engine takes each player's due inputs.
    Inputs,
    /// The game's systems.
    Game,
    /// The engine records the tick's outcome for later (the lag-compensation history).
    Record,
}

/// The lobby's tick being stepped, for systems that need it.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct CurrentTick(pub u32);

/// What the game's lobby settings are: the map chosen at `CreateLobby`, the tick rate and
/// the seed of its random numbers.
#[derive(Debug, Clone)]
pub struct LobbyContext {
    pub map: Arc<GameMap>,
    pub tick_rate: u16,
    pub seed: u64,
}

/// A lobby being set up by its game.
pub struct LobbyBuilder {
    pub context: LobbyContext,
    pub(super) world: World,
    pub(super) schedule: Schedule,
    pub(super) registry: Registry,
    pub(super) input: Vec<InputField>,
    pub(super) on_join: JoinHook,
    pub(super) on_leave: LeaveHook,
    pub(super) on_resume: Option<ResumeHook>,
    pub(super) client_config: String,
    pub(super) placements: Option<Placements>,
    pub(super) budget: Option<usize>,
    game: &'static str,
}

fn spawn_nothing(world: &mut World, _: &Joining) -> Entity {
    world.spawn_empty().id()
}

fn despawn(world: &mut World, entity: Entity) {
    world.despawn(entity);
}

impl LobbyBuilder {
    pub(super) fn new(game: &dyn Game, context: LobbyContext) -> Result<Self, String> {
        let mut world = World::new();
        world.init_resource::<ReplicatedIndex>();
        world.init_resource::<SkippedTicks>();
        world.init_resource::<CurrentTick>();
        world.init_resource::<super::interest::AudienceSeen>();
        let mut schedule = Schedule::default();
        schedule.set_executor(SingleThreadedExecutor::new());
        schedule.configure_sets((TickSet::Inputs, TickSet::Game, TickSet::Record).chain());
        schedule.add_systems(take_due_inputs.in_set(TickSet::Inputs));
        let mut b = Self {
            context,
            world,
            schedule,
            registry: Registry::default(),
            input: Vec::new(),
            on_join: spawn_nothing,
            on_leave: despawn,
            on_resume: None,
            client_config: "{}".into(),
            placements: None,
            budget: None,
            game: game.name(),
        };
        game.build(&mut b)?;
        Ok(b)
    }

    /// The lobby's world, to spawn what the game needs when the lobby opens.
    pub fn world(&mut self) -> &mut World {
        &mut self.world
    }

    /// Replicates component `C` to every client. The order of calls is the schema's order.
    /// A tick's world is captured from bevy's change detection: write components through
    /// `Mut` (as systems do) and never with `bypass_change_detection`, which the capture
    /// would not see until the next spawn or despawn.
    pub fn replicate<C: Replicate + Component>(&mut self) -> &mut Self {
        self.registry.add::<C>(&mut self.world);
        self
    }

    /// The game's input: clients send its fields, the server checks their ranges.
    pub fn input<I: GameInput>(&mut self) -> &mut Self {
        self.input = I::schema();
        self
    }

    /// Adds systems to the fixed tick, after the engine has taken the due inputs.
    pub fn add_systems<M>(
        &mut self,
        systems: impl IntoScheduleConfigs<ScheduleSystem, M>,
    ) -> &mut Self {
        let systems: ScheduleConfigs<ScheduleSystem> = systems.into_configs();
        self.schedule.add_systems(systems.in_set(TickSet::Game));
        self
    }

    /// Turns on lag compensation for the entities with `C` (their hit shapes): after each
    /// tick the engine records every shape, keeping `history` of them (rounded up to
    /// ticks), and a shot is rewound at most `cap` (Overwatch: 250 ms; Source: 1 s). The
    /// game's systems test shots with the [`HitHistory`] resource
    /// ([`HitHistory::raycast`]).
    pub fn lag_compensation<C: HitShape>(
        &mut self,
        history: std::time::Duration,
        cap: std::time::Duration,
    ) -> &mut Self {
        let ticks = |d: std::time::Duration| {
            (d.as_secs_f64() * f64::from(self.context.tick_rate)).ceil() as u32
        };
        let history = HitHistory::new(ticks(history), ticks(cap), ticks(MAX_INTERPOLATION));
        self.world.insert_resource(history);
        self.schedule
            .add_systems(record_shapes::<C>.in_set(TickSet::Record));
        self
    }

    /// Turns on interest management: each client receives only the entities placed by `C`
    /// within its view (`rule`, centred on the client's own entity's `C`), plus those an
    /// [`Audience`](super::interest::Audience) gives it and those not placed at all. See
    /// [`super::interest`].
    pub fn interest<C: Spatial>(&mut self, rule: Interest) -> &mut Self {
        self.placements = Some(Placements::spatial::<C>(&mut self.world, rule));
        self
    }

    /// Gives each client at most `bytes` of spawns and updates per tick: when a tick's
    /// changes do not fit, entities are sent by accumulated priority (the client's own
    /// entity first, then by [`Spatial::weight`] and nearness when interest is on) and the
    /// rest stay at the client's baseline until their turn. See [`super::views`].
    pub fn bandwidth_budget(&mut self, bytes: usize) -> &mut Self {
        self.budget = Some(bytes.max(1));
        self
    }

    pub fn on_join(&mut self, hook: JoinHook) -> &mut Self {
        self.on_join = hook;
        self
    }

    pub fn on_leave(&mut self, hook: LeaveHook) -> &mut Self {
        self.on_leave = hook;
        self
    }

    pub fn on_resume(&mut self, hook: ResumeHook) -> &mut Self {
        self.on_resume = Some(hook);
        self
    }

    /// JSON text sent in `Joined.config`: what the game's client module needs to draw and
    /// to predict (the map, movement constants).
    pub fn client_config(&mut self, json: impl serde::Serialize) -> &mut Self {
        match serde_json::to_string(&json) {
            Ok(text) => self.client_config = text,
            Err(e) => tracing::error!("the game's client config is not JSON: {e}"),
        }
        self
    }

    /// The schema of what was registered.
    pub fn schema(&self) -> Schema {
        Schema {
            game: self.game.to_owned(),
            components: self.registry.components.clone(),
            input: self.input.clone(),
        }
    }
}
