// Delta application against the scripted snapshot run of snapshots.json.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { decodeServerMsg } from '../src/codec.js';
import { ApplyError, applySnapshot, entityById } from '../src/delta.js';

const vectors = JSON.parse(readFileSync(new URL('vectors/snapshots.json', import.meta.url), 'utf8'));
const fromHex = (hex) => Uint8Array.from(hex.match(/../g), (b) => parseInt(b, 16));
const worldAt = (tick) => vectors.worlds.find((w) => w.tick === tick);

describe('snapshots.json: every frame rebuilds its world', () => {
  for (const s of vectors.snapshots) {
    test(`tick ${s.tick} from ${s.baseline ?? 'nothing'}`, () => {
      const msg = decodeServerMsg(fromHex(s.hex));
      const base = s.baseline === null ? null : worldAt(s.baseline);
      const before = structuredClone(base);
      assert.deepEqual(applySnapshot(base, msg.body), s.world);
      assert.deepEqual(base, before, 'the baseline is not mutated');
    });
  }

  test('chained application from the first full snapshot reproduces every world', () => {
    const held = new Map();
    for (const s of vectors.snapshots) {
      const body = decodeServerMsg(fromHex(s.hex)).body;
      const world = applySnapshot(body.baseline === null ? null : held.get(body.baseline), body);
      held.set(world.tick, world);
      assert.deepEqual(world, worldAt(s.tick));
    }
  });
});

test('a moving player that holds its place is an update with a residual (106 on 105)', () => {
  const s = vectors.snapshots.find((v) => v.tick === 106 && v.baseline === 105);
  assert.ok(s, 'snapshots.json has the 106-on-105 case');
  const before = entityById(worldAt(105), 1);
  const after = entityById(applySnapshot(worldAt(105), decodeServerMsg(fromHex(s.hex)).body), 1);
  assert.notDeepEqual(before.vel, [0, 0], 'it was moving');
  assert.deepEqual(after.pos, before.pos, 'and did not move');
  assert.deepEqual(after.vel, before.vel);
  assert.deepEqual(after, entityById(worldAt(106), 1));
});

test('every snapshot in the file has its world, and every world a snapshot', () => {
  for (const s of vectors.snapshots) assert.deepEqual(s.world, worldAt(s.tick), `tick ${s.tick}`);
  assert.deepEqual(vectors.worlds.map((w) => w.tick), [...new Set(vectors.snapshots.map((s) => s.tick))]);
});

describe('bodies that do not fit their baseline are refused', () => {
  const delta = decodeServerMsg(fromHex(vectors.snapshots[1].hex)).body; // 101 from 100
  const empty = { tick: 100, entities: [] };

  test('wrong or missing baseline', () => {
    assert.throws(() => applySnapshot(null, delta), ApplyError);
    assert.throws(() => applySnapshot(worldAt(101), delta), ApplyError);
    assert.throws(() => applySnapshot(worldAt(100), { ...delta, baseline: null }), ApplyError);
  });
  test('update or despawn of an entity the baseline lacks', () => {
    assert.throws(() => applySnapshot(empty, delta), /not in the baseline/);
    assert.throws(() => applySnapshot(empty, { ...delta, updates: [], despawns: [9] }), /not in the baseline/);
  });
  test('an entity both despawned and updated', () => {
    assert.throws(() => applySnapshot(worldAt(100), { ...delta, despawns: [1] }), /not in the baseline/);
  });
  test('spawning an id that remains', () => {
    const spawn = { id: 2, state: { kind: 'Orb', owner: 0, pos: [0, 0], vel: [0, 0], score: 0 } };
    assert.throws(() => applySnapshot(worldAt(100), { ...delta, updates: [], spawns: [spawn] }), /spawned twice/);
  });
});

test('arithmetic wraps like i32', () => {
  const base = { tick: 1, entities: [{ id: 1, kind: 'Player', owner: 1, pos: [2 ** 31 - 1, -(2 ** 31)], vel: [1, -1], score: 0 }] };
  const world = applySnapshot(base, { tick: 3, baseline: 1, spawns: [], despawns: [], updates: [] });
  assert.deepEqual(entityById(world, 1).pos, [-(2 ** 31) + 1, 2 ** 31 - 2]);
  const upd = { id: 1, mask: 0b1111, pos_residual: [2 ** 31 - 1, 0], vel_delta: [2 ** 31 - 1, 0], score: 0 };
  const w2 = applySnapshot(base, { tick: 2, baseline: 1, spawns: [], despawns: [], updates: [upd] });
  const e = entityById(w2, 1);
  assert.equal(e.vel[0], -(2 ** 31)); // 1 + (2^31 - 1) wraps
  assert.equal(e.pos[0], ((2 ** 31 - 1) + -(2 ** 31) + (2 ** 31 - 1)) | 0);
});

test('entityById finds present ids only', () => {
  const w = worldAt(104);
  assert.equal(entityById(w, 7).owner, 44);
  assert.equal(entityById(w, 2), undefined);
  assert.equal(entityById(w, 99), undefined);
});
