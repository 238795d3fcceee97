//! The replicated state of a lobby at one tick, on the wire's quantization grid.
//!
//! Positions and velocities are integers in subunits (1/16 of a world unit); velocities are
//! subunits per tick. The simulation itself runs in these integers, so the state the server
//! simulates is already on the grid and a client that rebuilds it gets the same numbers.

use glam::IVec2;
use serde::Serialize;

/// Subunits per world unit: the wire's position grid is 1/16 of a unit.
pub const SUBUNITS_PER_UNIT: i32 = 16;

/// A lobby-scoped entity id; allocated increasingly and never reused within a lobby.
pub type NetId = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[repr(u8)]
pub enum EntityKind {
    Player = 0,
    Orb = 1,
}

impl EntityKind {
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::Player),
            1 => Some(Self::Orb),
            _ => None,
        }
    }
}

/// Every replicated field of one entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct EntityState {
    pub kind: EntityKind,
    /// The controlling client id for players; 0 for orbs.
    pub owner: u32,
    pub pos: IVec2,
    pub vel: IVec2,
    pub score: u32,
}

impl EntityState {
    pub fn orb(pos: IVec2) -> Self {
        Self {
            kind: EntityKind::Orb,
            owner: 0,
            pos,
            vel: IVec2::ZERO,
            score: 0,
        }
    }
}

/// The whole replicated world at one tick, entities sorted by [`NetId`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WorldState {
    pub tick: u32,
    pub entities: Vec<(NetId, EntityState)>,
}

impl WorldState {
    pub fn get(&self, id: NetId) -> Option<&EntityState> {
        self.entities
            .binary_search_by_key(&id, |(i, _)| *i)
            .ok()
            .map(|i| &self.entities[i].1)
    }
}
