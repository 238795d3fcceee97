//! Snapshot bodies: the difference between a baseline [`WorldState`] the client holds and
//! the current one. A body with no baseline is a full snapshot (everything spawns).
//!
//! Changed entities carry a mask and only the changed fields. Velocity travels as the
//! difference from the baseline's; position as the residual from a prediction, baseline
//! position plus current velocity times the ticks since the baseline. An entity moving at a
//! steady velocity therefore costs nothing, and one that accelerates costs a byte or two
//! per axis. All arithmetic is wrapping i32, identical in the JavaScript decoder.

use bincode::de::Decoder;
use bincode::enc::Encoder;
use bincode::error::{DecodeError, EncodeError};
use bincode::{Decode, Encode};
use glam::IVec2;
use serde::Serialize;

use crate::world::{EntityKind, EntityState, NetId, WorldState};

pub const MASK_POS_X: u8 = 1 << 0;
pub const MASK_POS_Y: u8 = 1 << 1;
pub const MASK_VEL_X: u8 = 1 << 2;
pub const MASK_VEL_Y: u8 = 1 << 3;
pub const MASK_SCORE: u8 = 1 << 4;
const MASK_ALL: u8 = MASK_POS_X | MASK_POS_Y | MASK_VEL_X | MASK_VEL_Y | MASK_SCORE;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Spawn {
    pub id: NetId,
    pub state: EntityState,
}

/// The changed fields of one entity. Fields whose mask bit is clear are zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct EntityUpdate {
    pub id: NetId,
    pub mask: u8,
    /// Position minus its prediction (baseline position + velocity * ticks since baseline).
    pub pos_residual: IVec2,
    /// Velocity minus the baseline's velocity.
    pub vel_delta: IVec2,
    /// The new score.
    pub score: u32,
}

/// One tick's snapshot payload, shared by every client with the same baseline.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SnapshotBody {
    pub tick: u32,
    /// The tick this body is a delta against; `None` for a full snapshot.
    pub baseline: Option<u32>,
    pub spawns: Vec<Spawn>,
    pub despawns: Vec<NetId>,
    pub updates: Vec<EntityUpdate>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("snapshot for tick {tick} needs baseline {needed:?}, the client holds {held:?}")]
    WrongBaseline {
        tick: u32,
        needed: Option<u32>,
        held: Option<u32>,
    },
    #[error("entity {0} is not in the baseline")]
    UnknownEntity(NetId),
    #[error("entity {0} spawned twice")]
    DuplicateSpawn(NetId),
}

fn predicted(base: &EntityState, vel: IVec2, age: u32) -> IVec2 {
    // `age` is at most the history length; wrap rather than panic on a corrupt body.
    base.pos
        .wrapping_add(vel.wrapping_mul(IVec2::splat(age as i32)))
}

fn update_for(id: NetId, base: &EntityState, cur: &EntityState, age: u32) -> Option<EntityUpdate> {
    let vel_delta = cur.vel.wrapping_sub(base.vel);
    let pos_residual = cur.pos.wrapping_sub(predicted(base, cur.vel, age));
    let mut mask = 0;
    mask |= if pos_residual.x != 0 { MASK_POS_X } else { 0 };
    mask |= if pos_residual.y != 0 { MASK_POS_Y } else { 0 };
    mask |= if vel_delta.x != 0 { MASK_VEL_X } else { 0 };
    mask |= if vel_delta.y != 0 { MASK_VEL_Y } else { 0 };
    mask |= if cur.score != base.score {
        MASK_SCORE
    } else {
        0
    };
    let score = if mask & MASK_SCORE != 0 { cur.score } else { 0 };
    (mask != 0).then_some(EntityUpdate {
        id,
        mask,
        pos_residual,
        vel_delta,
        score,
    })
}

impl SnapshotBody {
    /// The delta from `baseline` (or from nothing) to `current`. An id whose kind or owner
    /// changed is sent as a despawn and a spawn.
    pub fn diff(baseline: Option<&WorldState>, current: &WorldState) -> Self {
        let mut body = SnapshotBody {
            tick: current.tick,
            baseline: baseline.map(|b| b.tick),
            ..Default::default()
        };
        let empty = Vec::new();
        let base = baseline.map_or(&empty, |b| &b.entities);
        let age = baseline.map_or(0, |b| current.tick.wrapping_sub(b.tick));
        let (mut i, mut j) = (0, 0);
        let cur = &current.entities;
        while i < base.len() || j < cur.len() {
            match (base.get(i), cur.get(j)) {
                (Some((bid, b)), Some((cid, c))) if bid == cid => {
                    if (b.kind, b.owner) != (c.kind, c.owner) {
                        // Identity changed under the same id: replace the entity.
                        body.despawns.push(*bid);
                        body.spawns.push(Spawn {
                            id: *cid,
                            state: *c,
                        });
                    } else if b != c || b.vel != IVec2::ZERO {
                        // A moving entity needs a look even when nothing changed: the
                        // receiver predicts it onward, and a halt is a residual.
                        body.updates.extend(update_for(*cid, b, c, age));
                    }
                    i += 1;
                    j += 1;
                }
                (Some((bid, _)), Some((cid, _))) if bid < cid => {
                    body.despawns.push(*bid);
                    i += 1;
                }
                (Some((bid, _)), None) => {
                    body.despawns.push(*bid);
                    i += 1;
                }
                (_, Some((cid, c))) => {
                    body.spawns.push(Spawn {
                        id: *cid,
                        state: *c,
                    });
                    j += 1;
                }
                (None, None) => unreachable!(),
            }
        }
        body
    }

    /// Rebuilds the world this body describes from the baseline it names.
    pub fn apply(&self, baseline: Option<&WorldState>) -> Result<WorldState, ApplyError> {
        let held = baseline.map(|b| b.tick);
        if held != self.baseline {
            return Err(ApplyError::WrongBaseline {
                tick: self.tick,
                needed: self.baseline,
                held,
            });
        }
        let age = self.baseline.map_or(0, |b| self.tick.wrapping_sub(b));
        let base = baseline.map_or(&[][..], |b| &b.entities[..]);
        let mut out = Vec::with_capacity(base.len() + self.spawns.len());
        let (mut despawns, mut updates) = (
            self.despawns.iter().peekable(),
            self.updates.iter().peekable(),
        );
        for (id, state) in base {
            if despawns.next_if(|d| **d == *id).is_some() {
                continue;
            }
            let mut s = *state;
            if let Some(u) = updates.next_if(|u| u.id == *id) {
                s.vel = s.vel.wrapping_add(u.vel_delta);
                s.pos = predicted(state, s.vel, age).wrapping_add(u.pos_residual);
                if u.mask & MASK_SCORE != 0 {
                    s.score = u.score;
                }
            } else {
                s.pos = predicted(state, s.vel, age);
            }
            out.push((*id, s));
        }
        if let Some(id) = despawns.next() {
            return Err(ApplyError::UnknownEntity(*id));
        }
        if let Some(u) = updates.next() {
            return Err(ApplyError::UnknownEntity(u.id));
        }
        for s in &self.spawns {
            match out.binary_search_by_key(&s.id, |(i, _)| *i) {
                Ok(_) => return Err(ApplyError::DuplicateSpawn(s.id)),
                Err(at) => out.insert(at, (s.id, s.state)),
            }
        }
        Ok(WorldState {
            tick: self.tick,
            entities: out,
        })
    }
}

/// Writes a list of records in ascending id order: the count, then for each record the
/// gap from the previous id (the first from 0) followed by its fields.
fn encode_records<E: Encoder, T>(
    e: &mut E,
    items: &[T],
    id: impl Fn(&T) -> NetId,
    mut fields: impl FnMut(&mut E, &T) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    (items.len() as u64).encode(e)?;
    let mut prev = 0;
    for item in items {
        id(item).wrapping_sub(prev).encode(e)?;
        prev = id(item);
        fields(e, item)?;
    }
    Ok(())
}

/// Reads what [`encode_records`] wrote; gaps must be at least 1 so ids strictly ascend.
fn decode_records<D: Decoder, T>(
    d: &mut D,
    mut fields: impl FnMut(&mut D, NetId) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    let len = decode_len::<T, D>(d)?;
    let mut out = Vec::with_capacity(len);
    let mut prev: NetId = 0;
    for _ in 0..len {
        let gap = u32::decode(d)?;
        let id = prev
            .checked_add(gap)
            .filter(|_| gap > 0)
            .ok_or(DecodeError::Other("entity ids must ascend"))?;
        prev = id;
        out.push(fields(d, id)?);
    }
    Ok(out)
}

/// Reads a list length, refusing lengths the decoder's byte limit cannot hold.
fn decode_len<T, D: Decoder>(d: &mut D) -> Result<usize, DecodeError> {
    let len = u64::decode(d)?;
    let len = usize::try_from(len).map_err(|_| DecodeError::OutsideUsizeRange(len))?;
    d.claim_container_read::<T>(len)?;
    Ok(len)
}

fn encode_vec<E: Encoder>(e: &mut E, v: IVec2) -> Result<(), EncodeError> {
    v.x.encode(e)?;
    v.y.encode(e)
}

fn decode_vec<D: Decoder>(d: &mut D) -> Result<IVec2, DecodeError> {
    Ok(IVec2::new(i32::decode(d)?, i32::decode(d)?))
}

impl Encode for SnapshotBody {
    fn encode<E: Encoder>(&self, e: &mut E) -> Result<(), EncodeError> {
        self.tick.encode(e)?;
        self.baseline
            .map_or(0, |b| self.tick.wrapping_sub(b))
            .encode(e)?;
        encode_records(
            e,
            &self.spawns,
            |s| s.id,
            |e, s| {
                (s.state.kind as u8).encode(e)?;
                s.state.owner.encode(e)?;
                encode_vec(e, s.state.pos)?;
                encode_vec(e, s.state.vel)?;
                s.state.score.encode(e)
            },
        )?;
        encode_records(e, &self.despawns, |id| *id, |_, _| Ok(()))?;
        encode_records(
            e,
            &self.updates,
            |u| u.id,
            |e, u| {
                u.mask.encode(e)?;
                for (bit, v) in [
                    (MASK_POS_X, u.pos_residual.x),
                    (MASK_POS_Y, u.pos_residual.y),
                    (MASK_VEL_X, u.vel_delta.x),
                    (MASK_VEL_Y, u.vel_delta.y),
                ] {
                    if u.mask & bit != 0 {
                        v.encode(e)?;
                    }
                }
                if u.mask & MASK_SCORE != 0 {
                    u.score.encode(e)?;
                }
                Ok(())
            },
        )
    }
}

impl<C> Decode<C> for SnapshotBody {
    fn decode<D: Decoder<Context = C>>(d: &mut D) -> Result<Self, DecodeError> {
        let tick = u32::decode(d)?;
        let age = u32::decode(d)?;
        let baseline = match age {
            0 => None,
            a => Some(
                tick.checked_sub(a)
                    .ok_or(DecodeError::Other("baseline before tick 0"))?,
            ),
        };
        let spawns = decode_records(d, |d, id| {
            let kind = EntityKind::from_u8(u8::decode(d)?)
                .ok_or(DecodeError::Other("unknown entity kind"))?;
            let owner = u32::decode(d)?;
            let pos = decode_vec(d)?;
            let vel = decode_vec(d)?;
            let score = u32::decode(d)?;
            Ok(Spawn {
                id,
                state: EntityState {
                    kind,
                    owner,
                    pos,
                    vel,
                    score,
                },
            })
        })?;
        let despawns = decode_records(d, |_, id| Ok(id))?;
        let updates = decode_records(d, |d, id| {
            let mask = u8::decode(d)?;
            if mask == 0 || mask & !MASK_ALL != 0 {
                return Err(DecodeError::Other("invalid change mask"));
            }
            let mut field = |bit: u8| -> Result<i32, DecodeError> {
                if mask & bit != 0 {
                    i32::decode(d)
                } else {
                    Ok(0)
                }
            };
            let pos_residual = IVec2::new(field(MASK_POS_X)?, field(MASK_POS_Y)?);
            let vel_delta = IVec2::new(field(MASK_VEL_X)?, field(MASK_VEL_Y)?);
            let score = if mask & MASK_SCORE != 0 {
                u32::decode(d)?
            } else {
                0
            };
            Ok(EntityUpdate {
                id,
                mask,
                pos_residual,
                vel_delta,
                score,
            })
        })?;
        Ok(Self {
            tick,
            baseline,
            spawns,
            despawns,
            updates,
        })
    }
}
bincode::impl_borrow_decode!(SnapshotBody);
