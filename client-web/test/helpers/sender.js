// A reference sender for tests: the delta from a baseline world to a current one under a
// schema, written straight from PROTOCOL.md's rules (the server's job), so that applying
// what it builds can be checked to rebuild the current world exactly.

import { CompiledSchema } from '../../src/sdk/schema.js';

/** @param {number} v */
const i32 = (v) => v | 0;

/**
 * @param {CompiledSchema} schema @param {{tick: number, entities: any[]} | null} baseline
 * @param {{tick: number, entities: any[]}} current
 */
export function diffWorlds(schema, baseline, current) {
  const age = baseline === null ? 0 : current.tick - baseline.tick;
  const before = new Map((baseline?.entities ?? []).map((e) => [e.id, e]));
  const now = new Map(current.entities.map((e) => [e.id, e]));
  const presence = (e) => schema.presenceOf(Object.keys(e.components));
  const spawns = [];
  const updates = [];
  for (const e of current.entities) {
    const was = before.get(e.id);
    const p = presence(e);
    const list = schema.fieldList(p);
    let fields = 0n;
    const values = [];
    list.forEach((slot, i) => {
      const v = e.components[slot.componentName][slot.name];
      const base = was?.components[slot.componentName];
      const a = base === undefined ? 0 : age;
      const b = base?.[slot.name] ?? 0;
      const expected = slot.kind === 'Predicted' ? i32(b + Math.imul(e.components[slot.componentName][slot.velocity], a)) : b;
      const w = slot.kind === 'Delta' || slot.kind === 'Predicted' ? i32(v - expected) : v;
      const send = slot.kind === 'Delta' || slot.kind === 'Predicted' ? w !== 0 : v !== b;
      if (send) {
        fields |= 1n << BigInt(i);
        values.push(w);
      }
    });
    if (was === undefined) spawns.push({ id: e.id, presence: p, fields, values });
    else {
      const changed = presence(was) !== p;
      if (changed || fields !== 0n) updates.push({ id: e.id, presence: changed ? p : null, fields, values });
    }
  }
  const despawns = [...before.keys()].filter((id) => !now.has(id));
  return { tick: current.tick, baseline: baseline?.tick ?? null, spawns, despawns, updates };
}

/** A deterministic generator in [0, 1). */
export function lcg(seed) {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
