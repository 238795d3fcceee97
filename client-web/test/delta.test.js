// Snapshot bodies under a schema and their application to baselines: every golden scenario
// (bytes -> body -> world, and back to the same bytes), frames made by hand from
// PROTOCOL.md, a reference sender over random worlds, wrapping and malformed bodies.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Reader, Writer } from '../src/sdk/bincode.js';
import { decodeServerMsg, encodeServerMsg } from '../src/sdk/codec.js';
import { ApplyError, applySnapshot, entityById, presenceOf } from '../src/sdk/delta.js';
import { CompiledSchema } from '../src/sdk/schema.js';
import { readSnapshotBody, writeSnapshotBody } from '../src/sdk/snapshot_body.js';
import { diffWorlds, lcg } from './helpers/sender.js';
import { ARENA_SCHEMA, TAG_SCHEMA, bodyBytes, fromHex, fromVector, loadVectors, toHex } from './helpers/wire.js';

/** Reads body bytes against `baseline` (a world or null). */
function read(schema, bytes, baseline) {
  const r = new Reader(bytes);
  const body = readSnapshotBody(r, schema, (id) => {
    const e = baseline && entityById(baseline, id);
    return e ? presenceOf(schema, e) : undefined;
  });
  r.finish();
  return body;
}

describe('snapshots.json: every scenario', () => {
  for (const scenario of loadVectors('snapshots.json').scenarios) {
    const schema = new CompiledSchema(scenario.schema);
    describe(scenario.name, () => {
      /** Worlds by tick, as the vectors give them. */
      const worlds = new Map();
      for (const s of scenario.snapshots) {
        const baseline = s.baseline === null ? null : worlds.get(s.baseline);
        worlds.set(s.tick, s.world);
        test(`${s.name}: bytes -> body -> world`, () => {
          const msg = decodeServerMsg(fromHex(s.hex));
          assert.equal(msg.last_input_seq, s.value.last_input_seq);
          const body = read(schema, msg.body, baseline);
          assert.deepEqual(body, fromVector(s.value.body));
          const before = structuredClone(baseline);
          assert.deepEqual(applySnapshot(schema, baseline, body), s.world);
          assert.deepEqual(baseline, before, 'the baseline is not mutated');
        });
        test(`${s.name}: body -> the same bytes`, () => {
          const bytes = bodyBytes(schema, fromVector(s.value.body), baseline);
          assert.equal(toHex(encodeServerMsg({ type: 'Snapshot', last_input_seq: s.value.last_input_seq, body: bytes })), s.hex);
        });
      }
      test('every truncation of every frame fails to read', () => {
        const held = new Map();
        for (const s of scenario.snapshots) {
          const baseline = s.baseline === null ? null : held.get(s.baseline);
          held.set(s.tick, s.world);
          const body = decodeServerMsg(fromHex(s.hex)).body;
          for (let n = 0; n < body.length; n++) assert.throws(() => read(schema, body.subarray(0, n), baseline), `${s.name} cut to ${n}`);
        }
      });
    });
  }
});

describe('bodies by hand from PROTOCOL.md', () => {
  const arena = new CompiledSchema(ARENA_SCHEMA);
  // A full snapshot at tick 5: entity 1 with Body + Score (presence 0b011), fields x, y and
  // points sent (mask 0b10011), vx and vy 0 by omission.
  const full = '05 00 01 01 03 13 fb800c fb800c 06 00 00';
  const fullWorld = { tick: 5, entities: [{ id: 1, components: { Body: { x: 1600, y: 1600, vx: 0, vy: 0 }, Score: { points: 3 } } }] };

  test('a full snapshot spawns against zero', () => {
    assert.deepEqual(applySnapshot(arena, null, read(arena, fromHex(full), null)), fullWorld);
  });
  test('a delta: x predicted from the new vx times the age, plus its residual', () => {
    // Tick 8 on 5 (age 3): vx += 10, x = 1600 + 10 * 3 + 10. change = mask(x, vx) << 1 = 0b1010.
    const world = applySnapshot(arena, fullWorld, read(arena, fromHex('08 03 00 00 01 01 0a 14 14'), fullWorld));
    assert.deepEqual(entityById(world, 1).components, { Body: { x: 1640, y: 1600, vx: 10, vy: 0 }, Score: { points: 3 } });
    // Nothing sent at all: x and y go on at their velocity, which costs no byte.
    const steady = applySnapshot(arena, world, read(arena, fromHex('0a 02 00 00 00'), world));
    assert.equal(entityById(steady, 1).components.Body.x, 1660);
    assert.equal(entityById(steady, 1).components.Score, entityById(world, 1).components.Score, 'what did not change is shared');
  });

  const mixed = new CompiledSchema({
    game: 'mixed',
    components: [
      { name: 'A', fields: [{ name: 'p', codec: { Predicted: { velocity: 1 } } }, { name: 'v', codec: 'Absolute' }] },
      { name: 'B', fields: [{ name: 'e', codec: { Enum: { variants: ['a', 'b', 'c'] } } }, { name: 'f', codec: { Flags: { names: ['x', 'y'] } } }] },
    ],
    input: [],
  });
  const onlyA = { tick: 10, entities: [{ id: 1, components: { A: { p: 100, v: 5 } } }] };
  test('a presence change: the new component is sent against zero', () => {
    // Tick 12 on 10: entity 1 gains B (presence 0b11); mask bits 2, 3 (B.e, B.f) -> change 0b11001.
    const world = applySnapshot(mixed, onlyA, read(mixed, fromHex('0c 02 00 00 01 01 19 03 04 06'), onlyA));
    assert.deepEqual(entityById(world, 1).components, { A: { p: 110, v: 5 }, B: { e: 2, f: 3 } });
  });
  test('a component new to an entity is predicted with age 0', () => {
    const onlyB = { tick: 10, entities: [{ id: 1, components: { B: { e: 1, f: 0 } } }] };
    // Entity 1 gains A with p residual 7 and v = 3: p = 0 + 3 * 0 + 7, not 0 + 3 * 2 + 7.
    const world = applySnapshot(mixed, onlyB, read(mixed, fromHex('0c 02 00 00 01 01 07 03 0e 06'), onlyB));
    assert.deepEqual(entityById(world, 1).components, { A: { p: 7, v: 3 }, B: { e: 1, f: 0 } });
  });
  test('a component dropped from the presence is gone', () => {
    const both = { tick: 10, entities: [{ id: 1, components: { A: { p: 1, v: 0 }, B: { e: 1, f: 1 } } }] };
    const world = applySnapshot(mixed, both, read(mixed, fromHex('0b 01 00 00 01 01 01 02'), both));
    assert.deepEqual(entityById(world, 1).components, { B: { e: 1, f: 1 } });
  });
  test('malformed: a value out of its Enum or Flags range, a presence or mask bit too far, a zero change', () => {
    assert.throws(() => read(mixed, fromHex('0c 02 00 00 01 01 19 03 06 06'), onlyA), /out of range/);
    assert.throws(() => read(mixed, fromHex('0c 02 00 00 01 01 19 03 04 08'), onlyA), /out of range/);
    assert.throws(() => read(mixed, fromHex('05 00 01 01 04 00 00 00'), null), /presence/);
    assert.throws(() => read(mixed, fromHex('0c 02 00 00 01 01 08 02'), onlyA), /mask/);
    assert.throws(() => read(mixed, fromHex('0c 02 00 00 01 01 00'), onlyA), /no change/);
    assert.throws(() => read(mixed, fromHex('0c 02 00 00 01 02 02 02'), onlyA), /not in the baseline/);
    assert.throws(() => read(mixed, fromHex('05 00 00 02 02 00 00'), null), /ascend/);
    assert.throws(() => read(mixed, fromHex('05 06 00 00 00'), null), /baseline/);
  });
  test('a 63-bit field mask needs every bit (BigInt masks)', () => {
    const wide = new CompiledSchema({ game: 'w', components: [{ name: 'W', fields: Array.from({ length: 63 }, (_, i) => ({ name: `f${i}`, codec: 'Delta' })) }], input: [] });
    const w = new Writer();
    writeSnapshotBody(w, { tick: 1, baseline: null, spawns: [{ id: 1, presence: 1, fields: 1n << 62n, values: [-9] }], despawns: [], updates: [] }, wide, () => undefined);
    const world = applySnapshot(wide, null, read(wide, w.finish(), null));
    assert.equal(entityById(world, 1).components.W.f62, -9);
    assert.equal(entityById(world, 1).components.W.f52, 0);
  });
});

describe('bodies that do not fit their baseline are refused', () => {
  const arena = new CompiledSchema(ARENA_SCHEMA);
  const base = { tick: 100, entities: [{ id: 1, components: { Body: { x: 0, y: 0, vx: 0, vy: 0 }, Orb: {} } }] };
  const empty = { tick: 101, baseline: 100, spawns: [], despawns: [], updates: [] };
  test('wrong or missing baseline', () => {
    assert.throws(() => applySnapshot(arena, null, empty), ApplyError);
    assert.throws(() => applySnapshot(arena, { ...base, tick: 99 }, empty), ApplyError);
    assert.throws(() => applySnapshot(arena, base, { ...empty, baseline: null }), ApplyError);
  });
  test('update or despawn of an entity the baseline lacks; an entity both despawned and updated', () => {
    assert.throws(() => applySnapshot(arena, base, { ...empty, despawns: [9] }), /not in the baseline/);
    assert.throws(() => applySnapshot(arena, base, { ...empty, updates: [{ id: 2, presence: 1, fields: 0n, values: [] }] }), /not in the baseline/);
    assert.throws(() => applySnapshot(arena, base, { ...empty, despawns: [1], updates: [{ id: 1, presence: 1, fields: 0n, values: [] }] }), /not in the baseline/);
  });
  test('spawning an id that remains', () => {
    assert.throws(() => applySnapshot(arena, base, { ...empty, spawns: [{ id: 1, presence: 4, fields: 0n, values: [] }] }), /spawned twice/);
  });
});

test('arithmetic wraps like i32', () => {
  const arena = new CompiledSchema(ARENA_SCHEMA);
  const base = { tick: 1, entities: [{ id: 1, components: { Body: { x: 2 ** 31 - 1, y: -(2 ** 31), vx: 1, vy: -1 }, Score: { points: 0 } } }] };
  const world = applySnapshot(arena, base, { tick: 3, baseline: 1, spawns: [], despawns: [], updates: [] });
  assert.deepEqual(entityById(world, 1).components.Body, { x: -(2 ** 31) + 1, y: 2 ** 31 - 2, vx: 1, vy: -1 });
  const upd = { id: 1, presence: null, fields: 0b0101n, values: [2 ** 31 - 1, 2 ** 31 - 1] };
  const b = entityById(applySnapshot(arena, base, { tick: 2, baseline: 1, spawns: [], despawns: [], updates: [upd] }), 1).components.Body;
  assert.equal(b.vx, -(2 ** 31), '1 + (2^31 - 1) wraps');
  assert.equal(b.x, ((2 ** 31 - 1) + -(2 ** 31) + (2 ** 31 - 1)) | 0);
});

test('random worlds: what a sender builds by the rules applies back to the same world', () => {
  const schema = new CompiledSchema(TAG_SCHEMA);
  const random = lcg(7);
  const int = (n) => Math.floor(random() * n);
  const entity = (id) => {
    const components = {};
    if (random() < 0.8) components.Body = { x: int(25600), y: int(16000), vx: int(321) - 160, vy: int(321) - 160 };
    if (random() < 0.6) components.Runner = { it: int(2), dash: int(7), cooldown: int(61), score: int(1000) };
    if (random() < 0.2) components.Round = { ticks_left: int(5400), rate: -1 };
    return { id, components };
  };
  const worlds = [{ tick: 1, entities: [1, 2, 3, 5, 8].map(entity) }];
  for (let tick = 2; tick < 200; tick++) {
    const prev = worlds.at(-1);
    const entities = prev.entities
      .filter(() => random() > 0.05)
      .map((e) => (random() < 0.3 ? { id: e.id, components: entity(e.id).components } : e));
    if (random() < 0.2) entities.push(entity(prev.entities.at(-1).id + 1 + int(3)));
    worlds.push({ tick, entities: entities.sort((a, b) => a.id - b.id) });
  }
  for (let i = 1; i < worlds.length; i++) {
    const baseline = i > 5 && random() < 0.5 ? worlds[i - 1 - int(5)] : random() < 0.1 ? null : worlds[i - 1];
    const body = diffWorlds(schema, baseline, worlds[i]);
    const bytes = bodyBytes(schema, body, baseline);
    assert.deepEqual(applySnapshot(schema, baseline, read(schema, bytes, baseline)), worlds[i], `tick ${worlds[i].tick} on ${baseline?.tick ?? 'nothing'}`);
  }
});

describe('the motion scenario, entity by entity', () => {
  const motion = loadVectors('snapshots.json').scenarios.find((s) => s.name === 'motion');
  const schema = new CompiledSchema(motion.schema);
  const worldAt = (tick) => motion.snapshots.find((s) => s.tick === tick).world;

  test('a moving entity that stops short of its prediction is an update with a residual (106 on 105)', () => {
    const s = motion.snapshots.find((v) => v.tick === 106 && v.baseline === 105);
    const before = entityById(worldAt(105), 2).components.Body;
    const body = read(schema, decodeServerMsg(fromHex(s.hex)).body, worldAt(105));
    const update = body.updates.find((u) => u.id === 2);
    assert.ok(update !== undefined && update.fields !== 0n, 'entity 2 is updated');
    const after = entityById(applySnapshot(schema, worldAt(105), body), 2).components.Body;
    assert.notEqual(before.vy, 0, 'it was moving');
    assert.notEqual(after.y, before.y + before.vy, 'and did not go on at its velocity');
    assert.deepEqual(after, entityById(worldAt(106), 2).components.Body);
    const steady = body.updates.find((u) => u.id === 7);
    assert.equal(steady, undefined, 'an entity going on at its velocity costs nothing');
  });

  test('entityById finds present ids only', () => {
    const w = worldAt(104);
    assert.equal(entityById(w, 5)?.components.Score.points, 70000);
    assert.equal(entityById(w, 3), undefined, 'despawned');
    assert.equal(entityById(w, 99), undefined);
  });
});
