//! Snapshot bodies: the difference between a baseline [`WorldState`] the client holds and
//! the current one, for any schema. A body with no baseline is a full snapshot (everything
//! spawns, against the empty entity).
//!
//! Each spawned or changed entity carries one flat field mask over its field list (the
//! fields of its present components, in order) and the sent values, each by its field's
//! codec: the value, the difference from the baseline, or the residual from a prediction
//! (baseline plus velocity times the ticks since the baseline), so steady motion costs
//! nothing. All arithmetic is wrapping i32, identical in the JavaScript decoder.
//! [`DeltaEncoder`] writes bodies straight from two worlds; [`SnapshotBody`] is the decoded
//! form clients apply.

use bincode::de::Decoder;
use bincode::enc::Encoder;
use bincode::error::{DecodeError, EncodeError};
use bincode::{Decode, Encode};
use serde::Serialize;

use crate::schema::MAX_FIELDS;
use crate::varint::{len_i32, len_u64, put_i32, put_u32, put_u64};
use crate::world::{FieldRule, Layout, NetId, WorldState};

/// One spawned or updated entity. Its values are `SnapshotBody::values[start..]`, one per
/// set bit of `fields`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Record {
    pub id: NetId,
    /// The entity's presence: always set for a spawn; for an update, only when it changed.
    pub presence: Option<u32>,
    /// Bit `i`: the `i`-th field of the entity's field list is sent.
    pub fields: u64,
    #[serde(skip)]
    pub start: u32,
}

/// One tick's snapshot payload, shared by every client with the same baseline.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SnapshotBody {
    pub tick: u32,
    /// The tick this body is a delta against; `None` for a full snapshot.
    pub baseline: Option<u32>,
    pub spawns: Vec<Record>,
    pub despawns: Vec<NetId>,
    pub updates: Vec<Record>,
    /// Every record's sent values, in record order.
    #[serde(skip)]
    pub values: Vec<i32>,
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
    #[error("entity {0}: a presence bit names no component")]
    BadPresence(NetId),
    #[error("entity {0}: a field mask bit names no field")]
    BadFieldMask(NetId),
    #[error("entity {0}: a value is out of its field's range")]
    OutOfRange(NetId),
}

impl Record {
    /// The values this record sent.
    pub fn values<'a>(&self, body: &'a SnapshotBody) -> &'a [i32] {
        let start = self.start as usize;
        &body.values[start..start + self.fields.count_ones() as usize]
    }
}

/// The value a receiver rebuilds for row index `i` when nothing is sent: the baseline's,
/// advanced by the new velocity for predicted fields. `base` is `None` for a component
/// new to the entity (baseline 0, age 0).
#[inline]
fn expected(rule: FieldRule, base: Option<i32>, new: &[i32], age: u32) -> i32 {
    match (rule, base) {
        (_, None) => 0,
        (FieldRule::Predicted { velocity }, Some(b)) => {
            b.wrapping_add(new[velocity].wrapping_mul(age as i32))
        }
        (_, Some(b)) => b,
    }
}

/// What a sent value `w` rebuilds to, given the expectation `e` and baseline `b`.
#[inline]
fn rebuilt(rule: FieldRule, e: i32, w: i32) -> i32 {
    match rule {
        FieldRule::Value { .. } => w,
        FieldRule::Delta | FieldRule::Predicted { .. } => e.wrapping_add(w),
    }
}

/// The row a receiver rebuilds for an entity of its baseline that a body does not mention:
/// the baseline's row, its predicted fields advanced by their velocity for `age` ticks.
pub fn unsent_row(layout: &Layout, base: &[i32], age: u32, row: &mut [i32]) {
    row.copy_from_slice(base);
    for (k, rule) in layout.rules.iter().enumerate() {
        if let FieldRule::Predicted { velocity } = *rule {
            row[k] = base[k].wrapping_add(base[velocity].wrapping_mul(age as i32));
        }
    }
}

/// What sending one entity costs in a body, as an upper bound in bytes (its id is charged
/// as if it were the first of its list); 0 when an update would carry nothing. `base` is
/// the baseline's row and presence, `None` for a spawn. `values` is scratch.
pub fn record_cost(
    layout: &Layout,
    id: NetId,
    base: Option<(&[i32], u32)>,
    cur: &[i32],
    presence: u32,
    age: u32,
    values: &mut Vec<i32>,
) -> usize {
    let mask = match (base, layout.plan(presence)) {
        (Some((row, bp)), Some(plan)) if bp == presence => {
            changed_fields_same_presence(layout, plan, row, cur, age, values)
        }
        _ => changed_fields(layout, base, cur, presence, age, values),
    };
    let sent: usize = values.iter().map(|v| len_i32(*v)).sum();
    let id = len_u64(u64::from(id));
    match base {
        None => id + len_u64(u64::from(presence)) + len_u64(mask) + sent,
        Some((_, bp)) => {
            let flag = u64::from(bp != presence);
            let change = (mask << 1) | flag;
            if change == 0 {
                return 0;
            }
            let presence = if flag != 0 {
                len_u64(u64::from(presence))
            } else {
                0
            };
            id + len_u64(change) + presence + sent
        }
    }
}

/// Writes bodies straight from two worlds, reusing its buffers between calls.
#[derive(Debug, Default)]
pub struct DeltaEncoder {
    spawns: Vec<u8>,
    despawns: Vec<u8>,
    updates: Vec<u8>,
}

/// [`changed_fields`] for the common case of an entity whose presence is the baseline's
/// (every present component has baseline values) and is planned: one pass over its field
/// list.
#[inline]
fn changed_fields_same_presence(
    layout: &Layout,
    plan: &[u16],
    base: &[i32],
    cur: &[i32],
    age: u32,
    values: &mut Vec<i32>,
) -> u64 {
    values.clear();
    let mut mask = 0u64;
    let age = age as i32;
    for (bit, &i) in plan.iter().enumerate() {
        let i = usize::from(i);
        let (Some(rule), Some(b), Some(now)) = (layout.rules.get(i), base.get(i), cur.get(i))
        else {
            continue;
        };
        let e = match *rule {
            FieldRule::Predicted { velocity } => {
                b.wrapping_add(cur.get(velocity).copied().unwrap_or(0).wrapping_mul(age))
            }
            _ => *b,
        };
        if *now != e {
            mask |= 1 << bit;
            values.push(match rule {
                FieldRule::Value { .. } => *now,
                _ => now.wrapping_sub(e),
            });
        }
    }
    mask
}

/// The field mask and sent values of one entity: the fields of `cur` under `presence`
/// whose rebuilt value would differ from the current one (`base`: the baseline's row and
/// presence, `None` for a spawn).
#[inline]
fn changed_fields(
    layout: &Layout,
    base: Option<(&[i32], u32)>,
    cur: &[i32],
    presence: u32,
    age: u32,
    values: &mut Vec<i32>,
) -> u64 {
    values.clear();
    let mut mask = 0u64;
    let mut bit = 0;
    for (c, (offset, len)) in layout.components.iter().enumerate() {
        if presence & (1 << c) == 0 {
            continue;
        }
        let base_row = base.and_then(|(row, p)| (p & (1 << c) != 0).then_some(row));
        for i in *offset..offset + len {
            let rule = layout.rules[i];
            let e = expected(rule, base_row.map(|r| r[i]), cur, age);
            if cur[i] != e {
                mask |= 1 << bit;
                values.push(match rule {
                    FieldRule::Value { .. } => cur[i],
                    _ => cur[i].wrapping_sub(e),
                });
            }
            bit += 1;
        }
    }
    mask
}

impl DeltaEncoder {
    /// Appends the body from `base` (or the empty world) to `cur` to `out`.
    pub fn encode(
        &mut self,
        layout: &Layout,
        base: Option<&WorldState>,
        cur: &WorldState,
        out: &mut Vec<u8>,
    ) {
        let stride = layout.stride;
        let age = base.map_or(0, |b| cur.tick.wrapping_sub(b.tick));
        put_u32(out, cur.tick);
        put_u32(out, age);
        let empty = WorldState::default();
        let b = base.unwrap_or(&empty);
        self.spawns.clear();
        self.despawns.clear();
        self.updates.clear();
        let (mut n_spawn, mut n_despawn, mut n_update) = (0u64, 0u64, 0u64);
        let (mut last_spawn, mut last_despawn, mut last_update) = (0u32, 0u32, 0u32);
        let mut values = Vec::with_capacity(MAX_FIELDS);
        let (mut i, mut j) = (0, 0);
        while i < b.ids.len() || j < cur.ids.len() {
            let bid = b.ids.get(i).copied();
            let cid = cur.ids.get(j).copied();
            match (bid, cid) {
                (Some(bid), Some(cid)) if bid == cid => {
                    if cur.unchanged_since(j, b.tick) {
                        // Still and unwritten since the baseline: the common case, and
                        // nothing to send.
                        i += 1;
                        j += 1;
                        continue;
                    }
                    let (bp, cp) = (b.presence[i], cur.presence[j]);
                    let (brow, crow) = (b.row(stride, i), cur.row(stride, j));
                    let flag = u64::from(bp != cp);
                    let mask = match layout.plan(cp).filter(|_| flag == 0) {
                        Some(plan) => {
                            changed_fields_same_presence(layout, plan, brow, crow, age, &mut values)
                        }
                        None => {
                            changed_fields(layout, Some((brow, bp)), crow, cp, age, &mut values)
                        }
                    };
                    let change = (mask << 1) | flag;
                    if change != 0 {
                        put_u32(&mut self.updates, cid - last_update);
                        last_update = cid;
                        put_u64(&mut self.updates, change);
                        if flag != 0 {
                            put_u32(&mut self.updates, cp);
                        }
                        for v in &values {
                            put_i32(&mut self.updates, *v);
                        }
                        n_update += 1;
                    }
                    i += 1;
                    j += 1;
                }
                (Some(bid), c) if c.is_none_or(|c| bid < c) => {
                    put_u32(&mut self.despawns, bid - last_despawn);
                    last_despawn = bid;
                    n_despawn += 1;
                    i += 1;
                }
                (_, Some(cid)) => {
                    put_u32(&mut self.spawns, cid - last_spawn);
                    last_spawn = cid;
                    let cp = cur.presence[j];
                    put_u32(&mut self.spawns, cp);
                    let mask = changed_fields(layout, None, cur.row(stride, j), cp, 0, &mut values);
                    put_u64(&mut self.spawns, mask);
                    for v in &values {
                        put_i32(&mut self.spawns, *v);
                    }
                    n_spawn += 1;
                    j += 1;
                }
                (_, None) => unreachable!("the loop runs while either list has ids"),
            }
        }
        for (n, list) in [
            (n_spawn, &self.spawns),
            (n_despawn, &self.despawns),
            (n_update, &self.updates),
        ] {
            put_u64(out, n);
            out.extend_from_slice(list);
        }
    }
}

impl SnapshotBody {
    /// The body from `baseline` (or nothing) to `current`, decoded (for tests and tools;
    /// the server writes bytes with [`DeltaEncoder`]).
    pub fn diff(layout: &Layout, baseline: Option<&WorldState>, current: &WorldState) -> Self {
        let mut bytes = Vec::new();
        DeltaEncoder::default().encode(layout, baseline, current, &mut bytes);
        match bincode::decode_from_slice(&bytes, crate::codec::CONFIG) {
            Ok((body, _)) => body,
            Err(e) => unreachable!("an encoded body decodes: {e}"),
        }
    }

    /// Rebuilds the world this body describes from the baseline it names.
    pub fn apply(
        &self,
        layout: &Layout,
        baseline: Option<&WorldState>,
    ) -> Result<WorldState, ApplyError> {
        let held = baseline.map(|b| b.tick);
        if held != self.baseline {
            return Err(ApplyError::WrongBaseline {
                tick: self.tick,
                needed: self.baseline,
                held,
            });
        }
        let stride = layout.stride;
        let all = if layout.components.len() >= 32 {
            u32::MAX
        } else {
            (1u32 << layout.components.len()) - 1
        };
        let age = self.baseline.map_or(0, |b| self.tick.wrapping_sub(b));
        let empty = WorldState::default();
        let base = baseline.unwrap_or(&empty);
        let mut out = WorldState {
            tick: self.tick,
            ..Default::default()
        };
        let mut despawns = self.despawns.iter().peekable();
        let mut updates = self.updates.iter().peekable();
        let mut spawns = self.spawns.iter().peekable();
        let mut emit_spawns_below = |out: &mut WorldState, limit: Option<NetId>| {
            while let Some(s) = spawns.next_if(|s| limit.is_none_or(|l| s.id < l)) {
                let p = s.presence.unwrap_or(0);
                if p & !all != 0 {
                    return Err(ApplyError::BadPresence(s.id));
                }
                if out.ids.last().is_some_and(|l| *l >= s.id) {
                    return Err(ApplyError::DuplicateSpawn(s.id));
                }
                let at = out.push(stride, s.id);
                out.presence[at] = p;
                let row = &mut out.values[at * stride..(at + 1) * stride];
                rebuild(layout, None, p, 0, s, self, row)?;
            }
            Ok(())
        };
        for (i, id) in base.ids.iter().enumerate() {
            emit_spawns_below(&mut out, Some(*id))?;
            if despawns.next_if(|d| **d == *id).is_some() {
                continue;
            }
            let bp = base.presence[i];
            let brow = base.row(stride, i);
            let at = out.push(stride, *id);
            let row_range = at * stride..(at + 1) * stride;
            match updates.next_if(|u| u.id == *id) {
                Some(u) => {
                    let p = u.presence.unwrap_or(bp);
                    if p & !all != 0 {
                        return Err(ApplyError::BadPresence(*id));
                    }
                    out.presence[at] = p;
                    rebuild(
                        layout,
                        Some((brow, bp)),
                        p,
                        age,
                        u,
                        self,
                        &mut out.values[row_range],
                    )?;
                }
                None => {
                    out.presence[at] = bp;
                    unsent_row(layout, brow, age, &mut out.values[row_range]);
                }
            }
        }
        emit_spawns_below(&mut out, None)?;
        if let Some(id) = despawns.next() {
            return Err(ApplyError::UnknownEntity(*id));
        }
        if let Some(u) = updates.next() {
            return Err(ApplyError::UnknownEntity(u.id));
        }
        Ok(out)
    }
}

/// Rebuilds one entity's row under presence `p` from its baseline row (`None`: the empty
/// entity) and the record's sent fields. Velocity fields are worked out before the fields
/// predicted from them.
fn rebuild(
    layout: &Layout,
    base: Option<(&[i32], u32)>,
    p: u32,
    age: u32,
    record: &Record,
    body: &SnapshotBody,
    row: &mut [i32],
) -> Result<(), ApplyError> {
    let values = record.values(body);
    let mut sent = [0i32; MAX_FIELDS];
    let mut sent_mask = 0u64;
    let mut fields = 0;
    for (bit, i) in layout.field_list(p).enumerate() {
        fields = bit + 1;
        if record.fields & (1 << bit) != 0 {
            sent[i] = values[(record.fields & ((1 << bit) - 1)).count_ones() as usize];
            sent_mask |= 1 << i;
        }
    }
    if fields < 64 && record.fields >> fields != 0 {
        return Err(ApplyError::BadFieldMask(record.id));
    }
    let base_of = |i: usize| base.and_then(|(r, bp)| layout.present(bp, i).then(|| r[i]));
    row.fill(0);
    for pass_predicted in [false, true] {
        for i in layout.field_list(p) {
            let rule = layout.rules[i];
            if matches!(rule, FieldRule::Predicted { .. }) != pass_predicted {
                continue;
            }
            let e = expected(rule, base_of(i), row, age);
            row[i] = if sent_mask & (1 << i) != 0 {
                rebuilt(rule, e, sent[i])
            } else {
                e
            };
            if !layout.allows(i, row[i]) {
                return Err(ApplyError::OutOfRange(record.id));
            }
        }
    }
    Ok(())
}

/// Reads a list length. Nothing is allocated for it up front: records are pushed as they
/// are read, each reading at least a byte, so a false length fails at the frame's end.
fn decode_len<D: Decoder>(d: &mut D) -> Result<usize, DecodeError> {
    let len = u64::decode(d)?;
    usize::try_from(len).map_err(|_| DecodeError::OutsideUsizeRange(len))
}

/// Reads ascending ids as gaps of at least 1, calling `each` for every id.
fn decode_ids<D: Decoder>(
    d: &mut D,
    mut each: impl FnMut(&mut D, NetId) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let len = decode_len(d)?;
    let mut prev: NetId = 0;
    for _ in 0..len {
        let gap = u32::decode(d)?;
        prev = prev
            .checked_add(gap)
            .filter(|_| gap > 0)
            .ok_or(DecodeError::Other("entity ids must ascend"))?;
        each(d, prev)?;
    }
    Ok(())
}

fn decode_values<D: Decoder>(
    d: &mut D,
    fields: u64,
    values: &mut Vec<i32>,
) -> Result<u32, DecodeError> {
    let start = values.len() as u32;
    // Each value is read (and charged to the limit) as it is pushed: at most 63 of them.
    let n = fields.count_ones() as usize;
    for _ in 0..n {
        values.push(i32::decode(d)?);
    }
    Ok(start)
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
        let mut body = SnapshotBody {
            tick,
            baseline,
            ..Default::default()
        };
        let SnapshotBody {
            spawns,
            despawns,
            updates,
            values,
            ..
        } = &mut body;
        decode_ids(d, |d, id| {
            let presence = u32::decode(d)?;
            let fields = u64::decode(d)?;
            let start = decode_values(d, fields, values)?;
            spawns.push(Record {
                id,
                presence: Some(presence),
                fields,
                start,
            });
            Ok(())
        })?;
        decode_ids(d, |_, id| {
            despawns.push(id);
            Ok(())
        })?;
        decode_ids(d, |d, id| {
            let change = u64::decode(d)?;
            if change == 0 {
                return Err(DecodeError::Other("an update changes nothing"));
            }
            let presence = if change & 1 != 0 {
                Some(u32::decode(d)?)
            } else {
                None
            };
            let fields = change >> 1;
            let start = decode_values(d, fields, values)?;
            updates.push(Record {
                id,
                presence,
                fields,
                start,
            });
            Ok(())
        })?;
        Ok(body)
    }
}
bincode::impl_borrow_decode!(SnapshotBody);

fn encode_ids<E: Encoder>(
    e: &mut E,
    records: &[Record],
    mut each: impl FnMut(&mut E, &Record) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    (records.len() as u64).encode(e)?;
    let mut prev = 0;
    for r in records {
        r.id.wrapping_sub(prev).encode(e)?;
        prev = r.id;
        each(e, r)?;
    }
    Ok(())
}

impl Encode for SnapshotBody {
    fn encode<E: Encoder>(&self, e: &mut E) -> Result<(), EncodeError> {
        self.tick.encode(e)?;
        self.baseline
            .map_or(0, |b| self.tick.wrapping_sub(b))
            .encode(e)?;
        let values = |e: &mut E, r: &Record| {
            for v in r.values(self) {
                v.encode(e)?;
            }
            Ok(())
        };
        encode_ids(e, &self.spawns, |e, r| {
            r.presence.unwrap_or(0).encode(e)?;
            r.fields.encode(e)?;
            values(e, r)
        })?;
        (self.despawns.len() as u64).encode(e)?;
        let mut prev = 0;
        for id in &self.despawns {
            id.wrapping_sub(prev).encode(e)?;
            prev = *id;
        }
        encode_ids(e, &self.updates, |e, r| {
            ((r.fields << 1) | u64::from(r.presence.is_some())).encode(e)?;
            if let Some(p) = r.presence {
                p.encode(e)?;
            }
            values(e, r)
        })
    }
}
