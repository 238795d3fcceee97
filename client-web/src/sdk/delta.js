// Applying a snapshot body to the baseline world it names, with the schema's codecs
// (PROTOCOL.md, "Applying a body"). All arithmetic is wrapping i32. A world is
// {tick, entities: [{id, components: {Name: {field: value}}}]} sorted by id, the shape the
// golden vectors write; worlds are never mutated once built, and whatever did not change is
// shared with the baseline.

/**
 * @typedef {Record<string, number>} ComponentValues
 * @typedef {{id: number, components: Record<string, ComponentValues>}} Entity
 * @typedef {{tick: number, entities: Entity[]}} World
 * @typedef {import('./snapshot_body.js').SnapshotBody} SnapshotBody
 * @typedef {import('./schema.js').CompiledSchema} CompiledSchema
 */

/** Thrown when a body does not fit the baseline it is applied to. */
export class ApplyError extends Error {
  name = 'ApplyError';
}

/**
 * The presence set of an entity: a bit per component it has.
 * @param {CompiledSchema} schema @param {Entity} e
 */
export function presenceOf(schema, e) {
  return schema.presenceOf(Object.keys(e.components));
}

/**
 * An entity's components after one body: `base` is its components in the baseline (null
 * for a spawn), `age` the ticks since it, `mask`/`values` what was sent over the field list
 * of `presence`.
 * @param {CompiledSchema} schema @param {number} presence @param {Record<string, ComponentValues> | null} base
 * @param {number} age @param {bigint} mask @param {number[]} values
 */
function components(schema, presence, base, age, mask, values) {
  /** @type {Record<string, ComponentValues>} */
  const out = {};
  let bit = 0;
  let n = 0;
  let same = base !== null;
  schema.slots.forEach((slots, c) => {
    if ((presence & (1 << c)) === 0) return;
    const name = schema.schema.components[c].name;
    const was = base?.[name];
    // A component new to an entity is sent against zero, with age 0.
    const a = was === undefined ? 0 : age;
    /** @type {(number | undefined)[]} */
    const sent = slots.map((_, i) => ((mask >> BigInt(bit + i)) & 1n) === 1n ? values[n++] : undefined);
    bit += slots.length;
    /** @type {ComponentValues} */
    const now = {};
    slots.forEach((slot, i) => {
      if (slot.kind === 'Predicted') return;
      const b = was?.[slot.name] ?? 0;
      const w = sent[i];
      now[slot.name] = w === undefined ? b : slot.kind === 'Delta' ? (b + w) | 0 : w;
    });
    slots.forEach((slot, i) => {
      if (slot.kind !== 'Predicted') return;
      const p = ((was?.[slot.name] ?? 0) + Math.imul(now[/** @type {string} */ (slot.velocity)], a)) | 0;
      const w = sent[i];
      now[slot.name] = w === undefined ? p : (p + w) | 0;
    });
    const unchanged = was !== undefined && slots.every((s) => now[s.name] === was[s.name]);
    out[name] = unchanged ? was : now;
    if (!unchanged) same = false;
  });
  if (same && base !== null && Object.keys(base).length !== Object.keys(out).length) same = false;
  return same && base !== null ? base : out;
}

/**
 * Rebuilds the world at `body.tick` from the baseline the body names (null for a full one).
 * @param {CompiledSchema} schema @param {World | null} baseline @param {SnapshotBody} body
 * @returns {World}
 */
export function applySnapshot(schema, baseline, body) {
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
    const presence = update?.presence ?? presenceOf(schema, e);
    const comps = components(schema, presence, e.components, age, update?.fields ?? 0n, update?.values ?? []);
    out.push(comps === e.components ? e : { id: e.id, components: comps });
  }
  if (d < body.despawns.length) throw new ApplyError(`despawned entity ${body.despawns[d]} is not in the baseline`);
  if (u < body.updates.length) throw new ApplyError(`updated entity ${body.updates[u].id} is not in the baseline`);
  for (const s of body.spawns) {
    const at = lowerBound(out, s.id);
    if (out[at]?.id === s.id) throw new ApplyError(`entity ${s.id} spawned twice`);
    out.splice(at, 0, { id: s.id, components: components(schema, s.presence, null, 0, s.fields, s.values) });
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
