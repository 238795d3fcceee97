// The byte layout of a SnapshotBody (PROTOCOL.md, "Snapshots"; protocol/src/delta.rs):
// tick, baseline age, then spawns, despawns and masked updates as id-gap records.
// Decoded shape: {tick, baseline (null for full), spawns: [{id, state: {kind, owner, pos,
// vel, score}}], despawns: [id], updates: [{id, mask, pos_residual, vel_delta, score}]}.

import { DecodeError } from './bincode.js';

export const MASK_POS_X = 1 << 0;
export const MASK_POS_Y = 1 << 1;
export const MASK_VEL_X = 1 << 2;
export const MASK_VEL_Y = 1 << 3;
export const MASK_SCORE = 1 << 4;
const MASK_ALL = MASK_POS_X | MASK_POS_Y | MASK_VEL_X | MASK_VEL_Y | MASK_SCORE;

/** Entity kinds by their wire value. */
/** @type {Kind[]} */
export const KINDS = ['Player', 'Orb'];

/**
 * @typedef {'Player' | 'Orb'} Kind
 * @typedef {[number, number]} Vec2
 * @typedef {{kind: Kind, owner: number, pos: Vec2, vel: Vec2, score: number}} EntityState
 * @typedef {{id: number, state: EntityState}} Spawn
 * @typedef {{id: number, mask: number, pos_residual: Vec2, vel_delta: Vec2, score: number}} EntityUpdate
 * @typedef {{tick: number, baseline: number | null, spawns: Spawn[], despawns: number[], updates: EntityUpdate[]}} SnapshotBody
 * @typedef {import('./bincode.js').Reader} Reader
 * @typedef {import('./bincode.js').Writer} Writer
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
 * @param {Writer} w
 * @param {T[]} items
 * @param {(item: T) => number} idOf
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

/** @param {Reader} r @returns {Vec2} */
const readVec = (r) => [r.i32(), r.i32()];

/** @param {Reader} r @returns {SnapshotBody} */
export function readSnapshotBody(r) {
  const tick = r.u32();
  const age = r.u32();
  if (age > tick) throw new DecodeError('baseline before tick 0');
  const baseline = age === 0 ? null : tick - age;
  const spawns = readRecords(r, (r, id) => {
    const kind = KINDS[r.u8()];
    if (kind === undefined) throw new DecodeError('unknown entity kind');
    const owner = r.u32();
    const pos = readVec(r);
    const vel = readVec(r);
    return { id, state: { kind, owner, pos, vel, score: r.u32() } };
  });
  const despawns = readRecords(r, (_, id) => id);
  const updates = readRecords(r, (r, id) => {
    const mask = r.u8();
    if (mask === 0 || (mask & ~MASK_ALL) !== 0) throw new DecodeError(`invalid change mask ${mask}`);
    /** @param {number} bit */
    const field = (bit) => ((mask & bit) !== 0 ? r.i32() : 0);
    const pos_residual = /** @type {Vec2} */ ([field(MASK_POS_X), field(MASK_POS_Y)]);
    const vel_delta = /** @type {Vec2} */ ([field(MASK_VEL_X), field(MASK_VEL_Y)]);
    const score = (mask & MASK_SCORE) !== 0 ? r.u32() : 0;
    return { id, mask, pos_residual, vel_delta, score };
  });
  return { tick, baseline, spawns, despawns, updates };
}

/** @param {Writer} w @param {Vec2} v */
function writeVec(w, v) {
  w.i32(v[0]);
  w.i32(v[1]);
}

/** @param {Writer} w @param {SnapshotBody} body */
export function writeSnapshotBody(w, body) {
  w.u32(body.tick);
  if (body.baseline !== null && !(body.baseline < body.tick)) throw new RangeError('baseline must precede tick');
  w.u32(body.baseline === null ? 0 : body.tick - body.baseline);
  writeRecords(w, body.spawns, (s) => s.id, (w, { state }) => {
    const kind = KINDS.indexOf(state.kind);
    if (kind < 0) throw new RangeError(`unknown entity kind ${state.kind}`);
    w.u8(kind);
    w.u32(state.owner);
    writeVec(w, state.pos);
    writeVec(w, state.vel);
    w.u32(state.score);
  });
  writeRecords(w, body.despawns, (id) => id, () => {});
  writeRecords(w, body.updates, (u) => u.id, (w, u) => {
    if (u.mask === 0 || (u.mask & ~MASK_ALL) !== 0) throw new RangeError(`invalid change mask ${u.mask}`);
    w.u8(u.mask);
    const fields = [
      [MASK_POS_X, u.pos_residual[0]],
      [MASK_POS_Y, u.pos_residual[1]],
      [MASK_VEL_X, u.vel_delta[0]],
      [MASK_VEL_Y, u.vel_delta[1]],
    ];
    for (const [bit, v] of fields) if ((u.mask & bit) !== 0) w.i32(v);
    if ((u.mask & MASK_SCORE) !== 0) w.u32(u.score);
  });
}
