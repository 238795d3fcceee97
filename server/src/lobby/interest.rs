//! Interest management: which replicated entities each client receives. A game turns it on
//! with [`LobbyBuilder::interest`] naming the component that places its entities
//! ([`Spatial`]); from then on a client receives an entity only while it is inside the
//! client's view rectangle (centred on the client's own entity) plus a margin, and keeps it
//! until it is further out than the margin plus a hysteresis band, so an entity on the edge
//! does not flicker in and out. An entity that leaves is despawned for that client; one that
//! comes back is spawned again with its full state (the delta encoder does both, since a
//! client's world simply no longer or again holds it).
//!
//! [`Audience`] overrides the rule for one entity: seen by everyone wherever it is (a
//! scoreboard, a flag), or by its owner only (private state such as ammo). An entity with
//! neither a [`Spatial`] component nor an [`Audience`] is seen by everyone. A client always
//! sees its own entity.
//!
//! Each tick the engine reads every replicated entity's placement once ([`Placements`]);
//! each client's test is then a comparison per entity, with no ECS lookup.
//!
//! [`LobbyBuilder::interest`]: super::LobbyBuilder::interest

use bevy_ecs::lifecycle::HookContext;
use bevy_ecs::prelude::*;
use bevy_ecs::world::DeferredWorld;
use glam::IVec2;

use super::replication::ReplicatedIndex;

/// A component that places its entity in the world, for interest management and for the
/// bandwidth budget's priority.
pub trait Spatial: Component {
    /// Where the entity is, in the game's position units (the built-in games: subunits).
    fn point(&self) -> IVec2;
    /// How much a client wants this entity's changes, before nearness is counted (the
    /// bandwidth budget adds `weight` scaled by nearness to an entity's priority each tick
    /// it waits). By default 1; a game gives fast or important things more.
    fn weight(&self) -> f32 {
        1.0
    }
}

/// Who receives an entity, whatever interest management says. It holds in every game: a
/// lobby without interest management or a budget starts giving each client a view of its
/// own the first time an `Audience` is added (the clients are sent one full snapshot then).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
#[component(on_add = on_add_audience)]
pub enum Audience {
    /// Every client, wherever the entity is.
    Everyone,
    /// Only the client whose own entity (the one its game spawned at join) this is.
    Owner(Entity),
}

/// Set once an [`Audience`] was added to the lobby's world.
#[derive(Resource, Debug, Default)]
pub struct AudienceSeen(pub bool);

fn on_add_audience(mut world: DeferredWorld, _: HookContext) {
    if let Some(mut seen) = world.get_resource_mut::<AudienceSeen>() {
        seen.0 = true;
    }
}

/// The view rectangle of interest management, in the [`Spatial`] component's units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interest {
    /// Half the view's width and height: what the client's screen shows around its entity.
    pub half_view: IVec2,
    /// Added around the view: an entity this close to it is sent already (it may be drawn
    /// entering, and the client's view may be wider than the game assumed).
    pub margin: i32,
    /// Added again before an entity already sent is let go.
    pub hysteresis: i32,
}

impl Interest {
    /// Whether a client centred at `centre` receives an entity at `point` (`held`: it did
    /// last tick).
    #[inline]
    pub fn sees(&self, centre: IVec2, point: IVec2, held: bool) -> bool {
        let reach = self.margin + if held { self.hysteresis } else { 0 };
        let d = (point - centre).abs();
        d.x <= self.half_view.x.saturating_add(reach)
            && d.y <= self.half_view.y.saturating_add(reach)
    }

    /// How near `point` is to `centre`, from 1 (on it) down towards 0, for priorities.
    #[inline]
    pub fn nearness(&self, centre: IVec2, point: IVec2) -> f32 {
        let d = (point - centre).as_vec2().length();
        let r = self.half_view.max_element().max(1) as f32;
        r / (r + d)
    }
}

/// Who receives one entity this tick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reach {
    Everyone,
    Owner(Entity),
    At(IVec2),
}

/// One replicated entity's placement this tick.
#[derive(Debug, Clone, Copy)]
pub struct Placement {
    pub entity: Entity,
    pub reach: Reach,
    pub weight: f32,
}

type Place = Box<dyn FnMut(&World, &ReplicatedIndex, &mut [Placement]) + Send + Sync>;

/// Every replicated entity's placement at the latest tick, in the captured world's order.
pub struct Placements {
    pub rows: Vec<Placement>,
    place: Place,
    rule: Option<Interest>,
}

impl std::fmt::Debug for Placements {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Placements")
            .field("rows", &self.rows.len())
            .field("rule", &self.rule)
            .finish()
    }
}

impl Placements {
    /// Placements read from component `C` under `rule`.
    pub fn spatial<C: Spatial>(world: &mut World, rule: Interest) -> Self {
        let mut query = world
            .query_filtered::<(Entity, Option<&C>, Option<&Audience>), With<super::Replicated>>();
        let place: Place = Box::new(move |world, index, rows| {
            for (entity, c, audience) in query.iter(world) {
                let Some(row) = index.row(entity).and_then(|r| rows.get_mut(r)) else {
                    continue;
                };
                let (reach, weight) = match (audience, c) {
                    (Some(Audience::Everyone), c) => (Reach::Everyone, c.map_or(1.0, C::weight)),
                    (Some(Audience::Owner(owner)), c) => {
                        (Reach::Owner(*owner), c.map_or(1.0, C::weight))
                    }
                    (None, Some(c)) => (Reach::At(c.point()), c.weight()),
                    (None, None) => (Reach::Everyone, 1.0),
                };
                *row = Placement {
                    entity,
                    reach,
                    weight,
                };
            }
        });
        Self {
            rows: Vec::new(),
            place,
            rule: Some(rule),
        }
    }

    /// Placements with no interest rule: everyone sees everything but what an [`Audience`]
    /// keeps to its owner (for a game with a bandwidth budget only).
    pub fn everywhere(world: &mut World) -> Self {
        let mut query =
            world.query_filtered::<(Entity, Option<&Audience>), With<super::Replicated>>();
        let place: Place = Box::new(move |world, index, rows| {
            for (entity, audience) in query.iter(world) {
                let Some(row) = index.row(entity).and_then(|r| rows.get_mut(r)) else {
                    continue;
                };
                let reach = match audience {
                    Some(Audience::Owner(owner)) => Reach::Owner(*owner),
                    _ => Reach::Everyone,
                };
                *row = Placement {
                    entity,
                    reach,
                    weight: 1.0,
                };
            }
        });
        Self {
            rows: Vec::new(),
            place,
            rule: None,
        }
    }

    pub fn rule(&self) -> Option<&Interest> {
        self.rule.as_ref()
    }

    /// Reads every placement for a world of `len` entities just captured.
    pub fn capture(&mut self, world: &World, index: &ReplicatedIndex, len: usize) {
        self.rows.clear();
        self.rows.resize(
            len,
            Placement {
                entity: Entity::PLACEHOLDER,
                reach: Reach::Everyone,
                weight: 1.0,
            },
        );
        (self.place)(world, index, &mut self.rows);
    }

    /// Whether the client whose entity is `viewer`, centred at `centre`, receives row `i`
    /// (`held`: it did last tick).
    #[inline]
    pub fn sees(&self, i: usize, viewer: Entity, centre: IVec2, held: bool) -> bool {
        let p = &self.rows[i];
        if p.entity == viewer {
            return true;
        }
        match (p.reach, &self.rule) {
            (Reach::Everyone, _) => true,
            (Reach::Owner(owner), _) => owner == viewer,
            (Reach::At(point), Some(rule)) => rule.sees(centre, point, held),
            (Reach::At(_), None) => true,
        }
    }

    /// How much row `i` gains in priority per tick it waits for a client centred at `centre`.
    #[inline]
    pub fn gain(&self, i: usize, centre: IVec2) -> f32 {
        let p = &self.rows[i];
        match (p.reach, &self.rule) {
            (Reach::At(point), Some(rule)) => p.weight * rule.nearness(centre, point),
            _ => p.weight,
        }
    }

    /// Where row `i` is, if it is placed.
    #[inline]
    pub fn point(&self, i: usize) -> Option<IVec2> {
        match self.rows.get(i)?.reach {
            Reach::At(p) => Some(p),
            _ => None,
        }
    }
}
