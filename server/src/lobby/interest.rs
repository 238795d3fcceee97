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
//! Each tick the engine reads every replicated entity's placement once ([`Placements`]) and
//! files the placed ones in a grid of cells about a view wide; each client then tests only
//! the entities in the cells around it (and those placed nowhere), with no ECS lookup.
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
        let reach = i64::from(self.margin) + if held { i64::from(self.hysteresis) } else { 0 };
        let d = (point.as_i64vec2() - centre.as_i64vec2()).abs();
        let limit = self.half_view.as_i64vec2() + glam::I64Vec2::splat(reach);
        d.cmple(limit).all()
    }

    /// How near `point` is to `centre`, from 1 (on it) down towards 0, for priorities.
    #[inline]
    pub fn nearness(&self, centre: IVec2, point: IVec2) -> f32 {
        let d = (point.as_dvec2() - centre.as_dvec2()).length() as f32;
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

/// Most cells of a grid: a world spread wider than this many views gets larger cells.
const MAX_CELLS: i64 = 1 << 14;

/// The rows of the placed entities, filed by cell (a counting sort, rebuilt each tick).
#[derive(Debug, Default)]
struct Grid {
    origin: IVec2,
    cell: i64,
    cols: i64,
    lines: i64,
    /// Per cell, where its rows start in `items` (one more entry at the end).
    starts: Vec<u32>,
    items: Vec<u32>,
    cells: Vec<u32>,
}

impl Grid {
    fn build(&mut self, cell: i32, placed: &[(u32, IVec2)]) {
        self.starts.clear();
        self.items.clear();
        let (Some(lo), Some(hi)) = (
            placed.iter().map(|(_, p)| *p).reduce(IVec2::min),
            placed.iter().map(|(_, p)| *p).reduce(IVec2::max),
        ) else {
            self.cols = 0;
            self.lines = 0;
            return;
        };
        let span = hi.as_i64vec2() - lo.as_i64vec2();
        let mut cell = i64::from(cell.max(1));
        while (span.x / cell + 1).saturating_mul(span.y / cell + 1) > MAX_CELLS {
            cell *= 2;
        }
        self.origin = lo;
        self.cell = cell;
        self.cols = span.x / cell + 1;
        self.lines = span.y / cell + 1;
        self.cells.clear();
        self.cells.extend(placed.iter().map(|(_, p)| {
            let d = p.as_i64vec2() - lo.as_i64vec2();
            (d.y / cell * self.cols + d.x / cell) as u32
        }));
        self.starts.resize((self.cols * self.lines) as usize + 1, 0);
        for c in &self.cells {
            self.starts[*c as usize + 1] += 1;
        }
        for k in 1..self.starts.len() {
            self.starts[k] += self.starts[k - 1];
        }
        self.items.resize(placed.len(), 0);
        let mut fill = self.starts.clone();
        for ((row, _), c) in placed.iter().zip(&self.cells) {
            let at = &mut fill[*c as usize];
            self.items[*at as usize] = *row;
            *at += 1;
        }
    }

    /// Appends the rows in the cells that overlap `lo..=hi`.
    fn query(&self, lo: glam::I64Vec2, hi: glam::I64Vec2, out: &mut Vec<u32>) {
        if self.cols == 0 {
            return;
        }
        let o = self.origin.as_i64vec2();
        let (a, b) = (
            (lo - o).div_euclid(glam::I64Vec2::splat(self.cell)),
            (hi - o).div_euclid(glam::I64Vec2::splat(self.cell)),
        );
        let (x0, x1) = (a.x.max(0), b.x.min(self.cols - 1));
        let (y0, y1) = (a.y.max(0), b.y.min(self.lines - 1));
        for y in y0..=y1 {
            if x0 > x1 {
                break;
            }
            let first = (y * self.cols + x0) as usize;
            let last = (y * self.cols + x1) as usize;
            let (from, to) = (self.starts[first] as usize, self.starts[last + 1] as usize);
            out.extend_from_slice(&self.items[from..to]);
        }
    }
}

/// Every replicated entity's placement at the latest tick, in the captured world's order.
pub struct Placements {
    pub rows: Vec<Placement>,
    place: Place,
    rule: Option<Interest>,
    /// Rows placed nowhere (everyone's, or an owner's).
    global: Vec<u32>,
    placed: Vec<(u32, IVec2)>,
    grid: Grid,
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
            global: Vec::new(),
            placed: Vec::new(),
            grid: Grid::default(),
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
            global: Vec::new(),
            placed: Vec::new(),
            grid: Grid::default(),
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
        let Some(rule) = self.rule else {
            return;
        };
        self.global.clear();
        self.placed.clear();
        for (i, p) in self.rows.iter().enumerate() {
            match p.reach {
                Reach::At(point) => self.placed.push((i as u32, point)),
                _ => self.global.push(i as u32),
            }
        }
        self.grid.build(rule.half_view.max_element(), &self.placed);
    }

    /// The rows a client centred at `centre` may receive, ascending: those placed within
    /// its view's furthest reach (margin and hysteresis), by the grid, and those placed
    /// nowhere; every row when there is no interest rule.
    pub fn gather(&self, centre: IVec2, out: &mut Vec<u32>) {
        out.clear();
        let Some(rule) = &self.rule else {
            out.extend(0..self.rows.len() as u32);
            return;
        };
        out.extend_from_slice(&self.global);
        let reach = rule.half_view.as_i64vec2()
            + glam::I64Vec2::splat(i64::from(rule.margin) + i64::from(rule.hysteresis));
        let c = centre.as_i64vec2();
        self.grid.query(c - reach, c + reach, out);
        out.sort_unstable();
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

#[cfg(test)]
mod tests {
    use super::*;
    use glam::I64Vec2;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn interest_grid_finds_every_point_in_a_rectangle(
            points in proptest::collection::vec((any::<i32>(), any::<i32>()), 0..200),
            near in proptest::collection::vec((-5_000i32..5_000, -5_000i32..5_000), 0..200),
            cell in 1i32..3_000,
            (x, y, w, h) in (-6_000i64..6_000, -6_000i64..6_000, 0i64..4_000, 0i64..4_000),
        ) {
            // Far-flung points (which force larger cells) and a crowd near the origin.
            let placed: Vec<(u32, IVec2)> = points
                .iter()
                .chain(&near)
                .enumerate()
                .map(|(i, (x, y))| (i as u32, IVec2::new(*x, *y)))
                .collect();
            let mut grid = Grid::default();
            grid.build(cell, &placed);
            let (lo, hi) = (I64Vec2::new(x, y), I64Vec2::new(x + w, y + h));
            let mut found = Vec::new();
            grid.query(lo, hi, &mut found);
            found.sort_unstable();
            let inside = |p: IVec2| {
                let p = p.as_i64vec2();
                p.cmpge(lo).all() && p.cmple(hi).all()
            };
            for (row, p) in &placed {
                if inside(*p) {
                    prop_assert!(found.binary_search(row).is_ok(), "{p} in {lo}..{hi} missed");
                }
            }
            let mut unique = found.clone();
            unique.dedup();
            prop_assert_eq!(unique.len(), found.len(), "a row found twice");
        }
    }
}
