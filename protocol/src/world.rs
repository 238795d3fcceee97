//! The replicated state of a lobby at one tick, laid out by its schema: entities sorted by
//! id, each with a presence bit set over the components and one row of `i32` fields (every
//! field of every component; a component's fields are 0 while it is absent).
//!
//! Positions and velocities of the built-in games are integers in subunits (1/16 of a world
//! unit); the simulation runs in these integers, so the state the server simulates is
//! already on the wire's grid and a client that rebuilds it gets the same numbers.

use crate::schema::{FieldCodec, Replicate, Schema, SchemaError};

/// Subunits per world unit: the built-in games' position grid is 1/16 of a unit.
pub const SUBUNITS_PER_UNIT: i32 = 16;

/// A lobby-scoped entity id; allocated increasingly and never reused within a lobby.
pub type NetId = u32;

/// How a field is rebuilt from its baseline: the codec with the velocity as a row index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldRule {
    /// Absolute, Enum and Flags: the sent value, else the baseline's. `limit` bounds Enum
    /// (values below it) and Flags (values below it, a power of two); 0 for Absolute.
    Value {
        limit: u32,
    },
    Delta,
    /// `velocity` is the row index of the velocity field.
    Predicted {
        velocity: usize,
    },
}

/// A schema laid out for fast access: where each component's fields sit in a row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// Fields in a row: every field of every component.
    pub stride: usize,
    /// Per component: (first row index, field count).
    pub components: Vec<(usize, usize)>,
    /// Per row index.
    pub rules: Vec<FieldRule>,
    /// Per row index: the component it belongs to.
    pub component_of: Vec<u8>,
    /// Row indices of the velocity fields that predicted fields advance by.
    pub velocities: Vec<usize>,
    /// For schemas of at most [`PLANNED_COMPONENTS`] components: the field list of every
    /// presence, so the encoder walks one slice per entity.
    plans: Vec<Vec<u16>>,
}

/// Schemas with at most this many components get a field list per presence (2^8 lists).
pub const PLANNED_COMPONENTS: usize = 8;

impl Layout {
    pub fn new(schema: &Schema) -> Result<Self, SchemaError> {
        schema.validate()?;
        let mut components = Vec::with_capacity(schema.components.len());
        let mut rules = Vec::new();
        let mut component_of = Vec::new();
        for (id, c) in schema.components.iter().enumerate() {
            let offset = rules.len();
            components.push((offset, c.fields.len()));
            component_of.extend(std::iter::repeat_n(id as u8, c.fields.len()));
            for f in &c.fields {
                rules.push(match &f.codec {
                    FieldCodec::Absolute => FieldRule::Value { limit: 0 },
                    FieldCodec::Enum { variants } => FieldRule::Value {
                        limit: variants.len() as u32,
                    },
                    FieldCodec::Flags { names } => FieldRule::Value {
                        limit: 1u32 << names.len(),
                    },
                    FieldCodec::Delta => FieldRule::Delta,
                    FieldCodec::Predicted { velocity } => FieldRule::Predicted {
                        velocity: offset + usize::from(*velocity),
                    },
                });
            }
        }
        let mut velocities: Vec<usize> = rules
            .iter()
            .filter_map(|r| match r {
                FieldRule::Predicted { velocity } => Some(*velocity),
                _ => None,
            })
            .collect();
        velocities.sort_unstable();
        velocities.dedup();
        let mut layout = Self {
            stride: rules.len(),
            components,
            rules,
            component_of,
            velocities,
            plans: Vec::new(),
        };
        if layout.components.len() <= PLANNED_COMPONENTS {
            layout.plans = (0..1u32 << layout.components.len())
                .map(|p| layout.field_list(p).map(|i| i as u16).collect())
                .collect();
        }
        Ok(layout)
    }

    /// The field list of `presence` as a slice, when planned.
    #[inline]
    pub fn plan(&self, presence: u32) -> Option<&[u16]> {
        self.plans.get(presence as usize).map(Vec::as_slice)
    }

    /// Whether row index `index` belongs to a component present in `presence`.
    #[inline]
    pub fn present(&self, presence: u32, index: usize) -> bool {
        presence & (1 << self.component_of[index]) != 0
    }

    /// The row indices of an entity's field list under `presence`, in order.
    #[inline]
    pub fn field_list(&self, presence: u32) -> impl Iterator<Item = usize> + '_ {
        self.components
            .iter()
            .enumerate()
            .filter(move |(c, _)| presence & (1 << c) != 0)
            .flat_map(|(_, (offset, len))| *offset..offset + len)
    }

    /// Whether a row moves by itself: a velocity that a predicted field follows is not 0.
    #[inline]
    pub fn moves(&self, row: &[i32]) -> bool {
        self.velocities.iter().any(|v| row[*v] != 0)
    }

    /// Whether `v` is a value field `index` may hold (Enum and Flags are bounded).
    pub fn allows(&self, index: usize, v: i32) -> bool {
        match self.rules[index] {
            FieldRule::Value { limit } if limit > 0 => v >= 0 && (v as u32) < limit,
            _ => true,
        }
    }
}

/// In [`WorldState::changed`]: the entity moves by itself.
pub const MOVES: u32 = 1 << 31;

/// The whole replicated world at one tick.
#[derive(Clone, Debug, Default)]
pub struct WorldState {
    pub tick: u32,
    /// Entity ids, ascending.
    pub ids: Vec<NetId>,
    /// Per entity: bit `c` set when component `c` is present.
    pub presence: Vec<u32>,
    /// `ids.len() * stride` fields, one row per entity.
    pub values: Vec<i32>,
    /// Per entity, when known (the server's capture keeps it; empty otherwise): the last
    /// tick its presence or row was written, with [`MOVES`] set if it moves by itself (a
    /// velocity that a predicted field follows is not 0). A still entity written at or
    /// before a baseline's tick is unchanged since, which spares the encoder its row. Not
    /// part of the world's value: two worlds with the same entities are equal whatever it
    /// holds.
    pub changed: Vec<u32>,
}

impl PartialEq for WorldState {
    fn eq(&self, other: &Self) -> bool {
        self.tick == other.tick
            && self.ids == other.ids
            && self.presence == other.presence
            && self.values == other.values
    }
}

impl Eq for WorldState {}

impl WorldState {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The index of entity `id`.
    pub fn index(&self, id: NetId) -> Option<usize> {
        self.ids.binary_search(&id).ok()
    }

    /// The row of entity index `i`.
    pub fn row(&self, stride: usize, i: usize) -> &[i32] {
        &self.values[i * stride..(i + 1) * stride]
    }

    /// Empties the world for another tick, keeping its allocations.
    pub fn clear(&mut self, tick: u32) {
        self.tick = tick;
        self.ids.clear();
        self.presence.clear();
        self.values.clear();
        self.changed.clear();
    }

    /// Whether entity index `i` is known to be still and unwritten since tick `since`
    /// (ticks from 2^31 on are never known: the flag shares their bit).
    #[inline]
    pub fn unchanged_since(&self, i: usize, since: u32) -> bool {
        since < MOVES && self.changed.get(i).is_some_and(|t| *t <= since)
    }

    /// Appends an entity with no components (its id must exceed every id present).
    pub fn push(&mut self, stride: usize, id: NetId) -> usize {
        debug_assert!(self.ids.last().is_none_or(|l| *l < id), "ids ascend");
        self.ids.push(id);
        self.presence.push(0);
        self.values.resize(self.values.len() + stride, 0);
        self.ids.len() - 1
    }

    /// Sets component `component` (with its `values`) on entity index `i`.
    pub fn set(&mut self, layout: &Layout, i: usize, component: usize, values: &[i32]) {
        let (offset, len) = layout.components[component];
        let at = i * layout.stride + offset;
        self.values[at..at + len].copy_from_slice(&values[..len]);
        self.presence[i] |= 1 << component;
    }

    /// Component `C` of entity `id`, read with the schema it was laid out by.
    pub fn get<C: Replicate>(&self, schema: &Schema, layout: &Layout, id: NetId) -> Option<C> {
        let c = schema.component_id(C::NAME)?;
        let i = self.index(id)?;
        if self.presence[i] & (1 << c) == 0 {
            return None;
        }
        let (offset, len) = layout.components[c];
        let row = self.row(layout.stride, i);
        Some(C::read(&row[offset..offset + len]))
    }

    /// Ids of the entities that have component `component`.
    pub fn with(&self, component: usize) -> impl Iterator<Item = NetId> + '_ {
        self.ids
            .iter()
            .zip(&self.presence)
            .filter(move |(_, p)| *p & (1 << component) != 0)
            .map(|(id, _)| *id)
    }
}
