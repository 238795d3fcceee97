// Applying a snapshot body to the baseline world it names (PROTOCOL.md, "Applying a
// body"; protocol/src/delta.rs `SnapshotBody::apply`). All arithmetic is wrapping i32.
// A world is {tick, entities: [{id, kind, owner, pos, vel, score}]} sorted by id; worlds
// are never mutated once built.

import { MASK_SCORE } from './snapshot_body.js';

/**
 * @typedef {import('./snapshot_body.js').SnapshotBody} SnapshotBody
 * @typedef {import('./snapshot_body.js').Vec2} Vec2
 * @typedef {{id: number} & import('./snapshot_body.js').EntityState} Entity
 * @typedef {{tick: number, entities: Entity[]}} World
 */

/** Thrown when a body does not fit the baseline it is applied to. */
export class ApplyError extends Error {
  name = 'ApplyError';
}

/**
 * Baseline position advanced `age` ticks at velocity `vel`, wrapping.
 * @param {Vec2} pos @param {Vec2} vel @param {number} age
 * @returns {Vec2}
 */
function predicted(pos, vel, age) {
  return [(pos[0] + Math.imul(vel[0], age)) | 0, (pos[1] + Math.imul(vel[1], age)) | 0];
}

/**
 * Rebuilds the world at `body.tick` from the baseline the body names (null for a full one).
 * @param {World | null} baseline
 * @param {SnapshotBody} body
 * @returns {World}
 */
export function applySnapshot(baseline, body) {
  const held = baseline === null ? null : baseline.tick;
  if (held !== body.baseline) {
    throw new ApplyError(`snapshot for tick ${body.tick} needs baseline ${body.baseline}, have ${held}`);
  }
  const age = body.baseline === null ? 0 : (body.tick - body.baseline) >>> 0;
  /** @type {Entity[]} */
  const out = [];
  let d = 0;
  let u = 0;
  for (const e of baseline === null ? [] : baseline.entities) {
    if (d < body.despawns.length && body.despawns[d] === e.id) {
      d++;
      continue;
    }
    const update = u < body.updates.length && body.updates[u].id === e.id ? body.updates[u++] : null;
    if (update === null) {
      out.push({ ...e, pos: predicted(e.pos, e.vel, age) });
      continue;
    }
    /** @type {Vec2} */
    const vel = [(e.vel[0] + update.vel_delta[0]) | 0, (e.vel[1] + update.vel_delta[1]) | 0];
    const p = predicted(e.pos, vel, age);
    /** @type {Vec2} */
    const pos = [(p[0] + update.pos_residual[0]) | 0, (p[1] + update.pos_residual[1]) | 0];
    const score = (update.mask & MASK_SCORE) !== 0 ? update.score : e.score;
    out.push({ ...e, pos, vel, score });
  }
  if (d < body.despawns.length) throw new ApplyError(`despawned entity ${body.despawns[d]} is not in the baseline`);
  if (u < body.updates.length) throw new ApplyError(`updated entity ${body.updates[u].id} is not in the baseline`);
  for (const { id, state } of body.spawns) {
    const at = lowerBound(out, id);
    if (out[at]?.id === id) throw new ApplyError(`entity ${id} spawned twice`);
    out.splice(at, 0, { id, ...state });
  }
  return { tick: body.tick, entities: out };
}

/**
 * Index of the first entity whose id is >= `id`.
 * @param {Entity[]} entities @param {number} id
 */
function lowerBound(entities, id) {
  let lo = 0;
  let hi = entities.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entities[mid].id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The entity with `id`, or undefined.
 * @param {World} world @param {number} id
 */
export function entityById(world, id) {
  const e = world.entities[lowerBound(world.entities, id)];
  return e?.id === id ? e : undefined;
}
