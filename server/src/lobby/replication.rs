//! Which entities and components a lobby replicates, and the capture of each tick's world
//! from the ECS into the schema's layout. A game marks an entity with [`Replicated`]; the
//! engine gives it a wire id (increasing, never reused) when the marker is added, keeps the
//! replicated entities sorted by id, and copies every registered component into the
//! entity's row with one query per component. While no replicated entity is spawned or
//! despawned, a tick's world starts as a copy of the previous one and only the components
//! that changed since (bevy's change detection) are written again, so a world of still
//! things costs a copy, not a rebuild.

use bevy_ecs::lifecycle::HookContext;
use bevy_ecs::prelude::*;
use bevy_ecs::world::DeferredWorld;
use tickwire_protocol::schema::{CodecSpec, ComponentSchema, Replicate};
use tickwire_protocol::world::MOVES;
use tickwire_protocol::{Layout, NetId, WorldState};

/// Marks an entity as replicated. Spawn it as `Replicated::default()`: the engine fills in
/// the wire id.
#[derive(Component, Debug, Default, Clone, Copy)]
#[component(
    on_add = on_add_replicated,
    on_insert = on_insert_replicated,
    on_remove = on_remove_replicated
)]
pub struct Replicated(NetId);

impl Replicated {
    /// The entity's wire id (0 until the marker is added to the world).
    pub fn id(&self) -> NetId {
        self.0
    }
}

/// Every replicated entity, sorted by wire id, and where each sits in a captured world.
#[derive(Resource, Debug)]
pub struct ReplicatedIndex {
    next: NetId,
    sorted: Vec<(NetId, Entity)>,
    /// Row of each entity by `Entity::index_u32`, rebuilt after spawns and despawns.
    rows: Vec<u32>,
    dirty: bool,
}

impl Default for ReplicatedIndex {
    fn default() -> Self {
        Self {
            next: 0,
            sorted: Vec::new(),
            rows: Vec::new(),
            // The first capture rebuilds.
            dirty: true,
        }
    }
}

fn on_add_replicated(mut world: DeferredWorld, ctx: HookContext) {
    let id = {
        let mut index = world.resource_mut::<ReplicatedIndex>();
        index.next += 1;
        let id = index.next;
        index.sorted.push((id, ctx.entity));
        index.dirty = true;
        id
    };
    if let Some(mut r) = world.get_mut::<Replicated>(ctx.entity) {
        r.0 = id;
    }
}

/// Inserting the marker again on an entity that has it (a "respawn") keeps its wire id:
/// the new value (id 0) is given back the id the index holds for the entity.
fn on_insert_replicated(mut world: DeferredWorld, ctx: HookContext) {
    if world.get::<Replicated>(ctx.entity).is_none_or(|r| r.0 != 0) {
        return;
    }
    let known = world
        .resource::<ReplicatedIndex>()
        .sorted
        .iter()
        .find(|(_, e)| *e == ctx.entity)
        .map(|(id, _)| *id);
    if let (Some(id), Some(mut r)) = (known, world.get_mut::<Replicated>(ctx.entity)) {
        r.0 = id;
    }
}

fn on_remove_replicated(mut world: DeferredWorld, ctx: HookContext) {
    let id = world.get::<Replicated>(ctx.entity).map_or(0, |r| r.0);
    let mut index = world.resource_mut::<ReplicatedIndex>();
    let at = match index.sorted.binary_search_by_key(&id, |(i, _)| *i) {
        Ok(at) if index.sorted[at].1 == ctx.entity => Some(at),
        _ => index.sorted.iter().position(|(_, e)| *e == ctx.entity),
    };
    if let Some(at) = at {
        index.sorted.remove(at);
        index.dirty = true;
    }
}

impl ReplicatedIndex {
    fn refresh(&mut self) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        let len = self
            .sorted
            .iter()
            .map(|(_, e)| e.index_u32() as usize + 1)
            .max()
            .unwrap_or(0);
        self.rows.clear();
        self.rows.resize(len, u32::MAX);
        for (row, (_, e)) in self.sorted.iter().enumerate() {
            self.rows[e.index_u32() as usize] = row as u32;
        }
    }

    pub(super) fn row(&self, e: Entity) -> Option<usize> {
        self.rows
            .get(e.index_u32() as usize)
            .filter(|r| **r != u32::MAX)
            .map(|r| *r as usize)
    }
}

/// Sends as 0 (and logs) any Enum or Flags value of `C` that no client could decode: a bug
/// in the game, which must not break every client's snapshots.
fn check_ranges<C: Replicate>(layout: &Layout, offset: usize, fields: &mut [i32]) {
    for (k, v) in fields.iter_mut().enumerate() {
        if !layout.allows(offset + k, *v) {
            tracing::error!(
                component = C::NAME,
                field = C::field_specs()[k].0,
                value = *v,
                "a replicated Enum or Flags field is out of its range; sent as 0"
            );
            *v = 0;
        }
    }
}

/// Writes one component into a world's rows: every entity's (a rebuild), or only those
/// changed, added or removed since the last capture (`changed_only`).
type Capture =
    Box<dyn FnMut(&World, &ReplicatedIndex, &Layout, bool, &mut WorldState) + Send + Sync>;

/// The registered components, in schema order, each with its capture.
#[derive(Default)]
pub struct Registry {
    pub components: Vec<ComponentSchema>,
    types: Vec<std::any::TypeId>,
    captures: Vec<Capture>,
}

impl Registry {
    /// Registers component `C` (ignored if already registered). Two types of one name
    /// both go into the schema, which then fails validation (`DuplicateComponent`).
    pub fn add<C: Replicate + Component>(&mut self, world: &mut World) {
        let type_id = std::any::TypeId::of::<C>();
        if self.types.contains(&type_id) {
            return;
        }
        self.types.push(type_id);
        let bit = 1u32 << self.components.len();
        let offset: usize = self.components.iter().map(|c| c.fields.len()).sum();
        let len = C::field_specs().len();
        // Only Enum and Flags fields have values a client would refuse.
        let bounded = C::field_specs()
            .iter()
            .any(|(_, codec)| matches!(codec, CodecSpec::Enum(_) | CodecSpec::Flags(_)));
        self.components.push(C::schema());
        let mut all = world.query_filtered::<(Entity, &C), With<Replicated>>();
        let mut changed = world.query_filtered::<(Entity, &C), (With<Replicated>, Changed<C>)>();
        self.captures
            .push(Box::new(move |world, index, layout, changed_only, out| {
                let stride = layout.stride;
                let tick = out.tick;
                // Whether `C` holds a velocity some predicted field follows: writing it decides
                // whether the entity moves by itself; writing anything else keeps the flag.
                let steers = layout
                    .velocities
                    .iter()
                    .any(|v| (offset..offset + len).contains(v));
                let mut write = |e: Entity, c: &C| {
                    if let Some(row) = index.row(e) {
                        out.presence[row] |= bit;
                        let at = row * stride + offset;
                        c.write(&mut out.values[at..at + len]);
                        if bounded {
                            check_ranges::<C>(layout, offset, &mut out.values[at..at + len]);
                        }
                        let moves = if steers {
                            layout.moves(&out.values[row * stride..(row + 1) * stride])
                        } else {
                            out.changed[row] & MOVES != 0
                        };
                        out.changed[row] = if moves { tick | MOVES } else { tick };
                    }
                };
                if !changed_only {
                    all.iter(world).for_each(|(e, c)| write(e, c));
                    return;
                }
                changed.iter(world).for_each(|(e, c)| write(e, c));
                for e in world.removed::<C>() {
                    // Still replicated (a despawn rebuilds the world): only `C` went.
                    if let Some(row) = index.row(e).filter(|_| world.get::<C>(e).is_none()) {
                        out.presence[row] &= !bit;
                        let at = row * stride + offset;
                        out.values[at..at + len].fill(0);
                        let moves = layout.moves(&out.values[row * stride..(row + 1) * stride]);
                        out.changed[row] = if moves { out.tick | MOVES } else { out.tick };
                    }
                }
            }));
    }

    /// The world's replicated state at `tick`, into `out` (its allocations reused).
    /// `previous` is the world captured last (the tick before), if it is still held.
    pub fn capture(
        &mut self,
        world: &mut World,
        layout: &Layout,
        tick: u32,
        previous: Option<&WorldState>,
        out: &mut WorldState,
    ) {
        let rebuilt = {
            let mut index = world.resource_mut::<ReplicatedIndex>();
            let dirty = index.dirty;
            index.refresh();
            dirty
        };
        let index = world.resource::<ReplicatedIndex>();
        let changed_only = match previous {
            Some(prev) if !rebuilt && prev.len() == index.sorted.len() => {
                out.clone_from(prev);
                out.tick = tick;
                true
            }
            _ => {
                out.clear(tick);
                out.ids.extend(index.sorted.iter().map(|(id, _)| *id));
                out.presence.resize(out.ids.len(), 0);
                out.values.resize(out.ids.len() * layout.stride, 0);
                out.changed.resize(out.ids.len(), tick);
                false
            }
        };
        for capture in &mut self.captures {
            capture(world, index, layout, changed_only, out);
        }
        // Later changes are measured from here; removals seen so far are forgotten.
        world.clear_trackers();
    }
}
