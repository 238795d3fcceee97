// The byte layout of a SnapshotBody under a schema (PROTOCOL.md, "Snapshots"): tick,
// baseline age, then spawns, despawns and updates as id-gap records with presence sets and
// field masks, one value per set mask bit in its codec's wire type. Decoded shape, as the
// golden vectors write it: {tick, baseline (tick, null for full), spawns: [{id, presence,
// fields, values}], despawns: [id], updates: [{id, presence (null: unchanged), fields,
// values}]}; `fields` is the field mask as a BigInt (up to 63 bits). An update that keeps
// its entity's presence is typed by the baseline's field list, so reading needs the baseline.

import { DecodeError } from './bincode.js';

/**
 * @typedef {{id: number, presence: number, fields: bigint, values: number[]}} Spawn
 * @typedef {{id: number, presence: number | null, fields: bigint, values: number[]}} EntityUpdate
 * @typedef {{tick: number, baseline: number | null, spawns: Spawn[], despawns: number[], updates: EntityUpdate[]}} SnapshotBody
 * @typedef {import('./bincode.js').Reader} Reader
 * @typedef {import('./bincode.js').Writer} Writer
 * @typedef {import('./schema.js').CompiledSchema} CompiledSchema
 * @typedef {import('./schema.js').FieldSlot} FieldSlot
 */

/**
 * Reads a count then records of (id gap, fields); gaps of 0 or ids past u32 are malformed.
 * @template T
 * @param {Reader} r
 * @param {(r: Reader, id: number) => T} fields
 * @returns {T[]}
 */
function readRecords(r, fields) {
  const n = r.len();
  const out = new Array(n);
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const gap = r.u32();
    const id = prev + gap;
    if (gap === 0 || id > 0xffffffff) throw new DecodeError('entity ids must ascend');
    prev = id;
    out[i] = fields(r, id);
  }
  return out;
}

/**
 * @template {{id: number} | number} T
 * @param {Writer} w @param {T[]} items @param {(item: T) => number} idOf
 * @param {(w: Writer, item: T) => void} fields
 */
function writeRecords(w, items, idOf, fields) {
  w.len(items.length);
  let prev = 0;
  for (const item of items) {
    const id = idOf(item);
    if (!(id > prev)) throw new RangeError(`entity ids must ascend (${id} after ${prev})`);
    w.u32(id - prev);
    prev = id;
    fields(w, item);
  }
}

/**
 * @param {CompiledSchema} schema @param {number} presence
 * @param {typeof DecodeError | typeof RangeError} Err
 */
function presenceList(schema, presence, Err) {
  if (presence >>> 0 !== presence || (schema.componentCount < 32 && presence >= 2 ** schema.componentCount)) {
    throw new Err(`presence ${presence} names a component beyond the schema's ${schema.componentCount}`);
  }
  return schema.fieldList(presence);
}

/**
 * Reads the values of the set bits of `mask` over `list`.
 * @param {Reader} r @param {FieldSlot[]} list @param {bigint} mask
 */
function readValues(r, list, mask) {
  if (mask >> BigInt(list.length) !== 0n) throw new DecodeError(`field mask ${mask} beyond the entity's ${list.length} fields`);
  const values = [];
  for (let i = 0; i < list.length; i++) {
    if (((mask >> BigInt(i)) & 1n) === 0n) continue;
    const slot = list[i];
    const v = r.i32();
    if (slot.limit !== 0 && !(v >= 0 && v < slot.limit)) throw new DecodeError(`${slot.componentName}.${slot.name} = ${v} is out of range`);
    values.push(v);
  }
  return values;
}

/**
 * @param {Writer} w @param {FieldSlot[]} list @param {bigint} mask @param {number[]} values
 */
function writeValues(w, list, mask, values) {
  if (mask >> BigInt(list.length) !== 0n) throw new RangeError(`field mask ${mask} beyond the entity's ${list.length} fields`);
  let n = 0;
  for (let i = 0; i < list.length; i++) {
    if (((mask >> BigInt(i)) & 1n) === 0n) continue;
    const v = values[n++];
    if (v === undefined) throw new RangeError('fewer values than mask bits');
    if (list[i].limit !== 0 && !(v >= 0 && v < list[i].limit)) throw new RangeError(`${list[i].componentName}.${list[i].name} = ${v} is out of range`);
    w.i32(v);
  }
  if (n !== values.length) throw new RangeError('more values than mask bits');
}

/**
 * Reads a body's tick and the tick of the baseline it names (null: a full snapshot).
 * @param {Reader} r
 */
export function readSnapshotHeader(r) {
  const tick = r.u32();
  const age = r.u32();
  if (age > tick) throw new DecodeError('baseline before tick 0');
  return { tick, baseline: age === 0 ? null : tick - age };
}

/**
 * Reads a whole body. An update that keeps its entity's presence is read against the
 * entity's field list in the baseline, so `presenceOf(id)` gives the baseline's presence of
 * an entity (undefined: not in the baseline, which is malformed).
 * @param {Reader} r @param {CompiledSchema} schema @param {(id: number) => number | undefined} presenceOf
 * @returns {SnapshotBody}
 */
export function readSnapshotBody(r, schema, presenceOf) {
  const { tick, baseline } = readSnapshotHeader(r);
  const spawns = readRecords(r, (r, id) => {
    const presence = r.u32();
    const list = presenceList(schema, presence, DecodeError);
    const fields = r.u64();
    return { id, presence, fields, values: readValues(r, list, fields) };
  });
  const despawns = readRecords(r, (_, id) => id);
  const updates = readRecords(r, (r, id) => {
    const change = r.u64();
    if (change === 0n) throw new DecodeError('an update with no change');
    const fields = change >> 1n;
    const presence = (change & 1n) === 1n ? r.u32() : null;
    const listed = presence ?? presenceOf(id);
    if (listed === undefined) throw new DecodeError(`updated entity ${id} is not in the baseline`);
    return { id, presence, fields, values: readValues(r, presenceList(schema, listed, DecodeError), fields) };
  });
  return { tick, baseline, spawns, despawns, updates };
}

/**
 * Writes a body; `presenceOf(id)` gives the baseline's presence of an updated entity whose
 * update does not change it.
 * @param {Writer} w @param {SnapshotBody} body @param {CompiledSchema} schema
 * @param {(id: number) => number | undefined} presenceOf
 */
export function writeSnapshotBody(w, body, schema, presenceOf) {
  w.u32(body.tick);
  if (body.baseline !== null && !(body.baseline < body.tick)) throw new RangeError('baseline must precede tick');
  w.u32(body.baseline === null ? 0 : body.tick - body.baseline);
  writeRecords(w, body.spawns, (s) => s.id, (w, s) => {
    w.u32(s.presence);
    w.u64(s.fields);
    writeValues(w, presenceList(schema, s.presence, RangeError), s.fields, s.values);
  });
  writeRecords(w, body.despawns, (id) => id, () => {});
  writeRecords(w, body.updates, (u) => u.id, (w, u) => {
    const change = (u.fields << 1n) | (u.presence === null ? 0n : 1n);
    if (change === 0n) throw new RangeError('an update with no change');
    w.u64(change);
    if (u.presence !== null) w.u32(u.presence);
    const listed = u.presence ?? presenceOf(u.id);
    if (listed === undefined) throw new RangeError(`updated entity ${u.id} is not in the baseline`);
    writeValues(w, presenceList(schema, listed, RangeError), u.fields, u.values);
  });
}
