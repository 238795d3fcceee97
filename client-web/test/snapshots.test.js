// The snapshot store: baselines held, acks, pruning and full-snapshot requests, over the
// golden "motion" scenario.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { decodeServerMsg } from '../src/sdk/codec.js';
import { CompiledSchema } from '../src/sdk/schema.js';
import { REQUEST_FULL_RETRY_MS, SnapshotStore } from '../src/sdk/snapshots.js';
import { bodyBytes, fromHex, fromVector, loadVectors } from './helpers/wire.js';

const motion = loadVectors('snapshots.json').scenarios.find((s) => s.name === 'motion');
const schema = new CompiledSchema(motion.schema);
const frames = motion.snapshots.map((s) => ({ ...s, bytes: decodeServerMsg(fromHex(s.hex)).body }));
const byKey = (tick, baseline) => frames.find((f) => f.tick === tick && f.baseline === baseline);
const worldAt = (tick) => frames.find((f) => f.tick === tick).world;
/** The body of `tick` on `baseline`, retimed to `retick` (its baseline kept). */
const retimed = (tick, baseline, retick) => {
  const body = fromVector(byKey(tick, baseline).value.body);
  return bodyBytes(schema, { ...body, tick: retick }, baseline === null ? null : worldAt(baseline));
};

test('the scripted run applies in order, acking the newest tick and keeping the baselines it may need', () => {
  const store = new SnapshotStore(schema, 120);
  assert.equal(store.ack, 0);
  for (const [i, f] of frames.slice(0, 6).entries()) {
    const r = store.receive(f.bytes, i);
    assert.equal(r.kind, 'applied', f.name);
    assert.deepEqual(r.world, f.world);
    assert.equal(store.ack, f.tick);
    for (const tick of store.worlds.keys()) assert.ok(tick >= (f.baseline ?? f.tick));
  }
  assert.deepEqual([...store.worlds.keys()].sort(), [103, 104, 105]);
  assert.deepEqual(store.latest(), frames[5].world);
});

test('a missing baseline asks for a full snapshot once per wait, and the full one recovers', () => {
  const store = new SnapshotStore(schema, 120);
  store.receive(byKey(100, null).bytes, 0);
  assert.deepEqual(store.receive(byKey(104, 102).bytes, 10), { kind: 'missing', requestFull: true, tick: 104 });
  assert.deepEqual(store.receive(byKey(105, 103).bytes, 20), { kind: 'missing', requestFull: false, tick: 105 });
  assert.equal(store.ack, 100, 'still acks what it holds');
  assert.deepEqual(store.receive(byKey(105, 103).bytes, 10 + REQUEST_FULL_RETRY_MS), { kind: 'missing', requestFull: true, tick: 105 });
  const r = store.receive(byKey(105, null).bytes, 2000);
  assert.equal(r.kind, 'applied');
  assert.deepEqual(r.world, worldAt(105));
  assert.deepEqual([...store.worlds.keys()], [100, 105], 'a full snapshot prunes nothing');
  assert.equal(store.ack, 105);
  assert.deepEqual(store.receive(byKey(103, 101).bytes, 2001), { kind: 'stale', tick: 103 }, 'older than held: no request');
});

test('a body that does not fit its baseline, or is malformed, is treated as missing', () => {
  const store = new SnapshotStore(schema, 120);
  store.receive(byKey(100, null).bytes, 0);
  const despawnsAStranger = bodyBytes(schema, { ...fromVector(byKey(101, 100).value.body), despawns: [9] }, worldAt(100));
  assert.equal(store.receive(despawnsAStranger, 1).kind, 'missing');
  assert.equal(store.receive(byKey(101, 100).bytes.subarray(0, 5), 2).kind, 'missing');
  assert.equal(store.receive(Uint8Array.of(255), 3).tick, null, 'no header: no tick');
  assert.equal(store.receive(Uint8Array.of(...byKey(101, 100).bytes, 0), 3).kind, 'missing', 'trailing bytes');
  assert.equal(store.ack, 100);
});

test('duplicates and older ticks are ignored', () => {
  const store = new SnapshotStore(schema, 120);
  store.receive(byKey(100, null).bytes, 0);
  store.receive(byKey(101, 100).bytes, 1);
  assert.equal(store.receive(byKey(101, 100).bytes, 2).kind, 'stale');
  assert.equal(store.receive(byKey(100, null).bytes, 3).kind, 'stale');
  assert.equal(store.ack, 101);
});

test('acks sent before a full snapshot arrived may still name baselines: those worlds are kept', () => {
  // As seen against a real server: the client acked 100, then a full snapshot came (the
  // server had not read the ack yet), then a delta on 100.
  const store = new SnapshotStore(schema, 120);
  store.receive(byKey(100, null).bytes, 0);
  store.receive(retimed(105, null, 102), 1);
  assert.equal(store.receive(byKey(101, 100).bytes, 2).kind, 'stale', 'older than held');
  assert.equal(store.receive(retimed(101, 100, 103), 3).kind, 'applied');
  assert.deepEqual([...store.worlds.keys()].sort(), [100, 102, 103]);
  // The delta's baseline is the new floor: from now on nothing older is needed.
  const on103 = bodyBytes(schema, { tick: 104, baseline: 103, spawns: [], despawns: [], updates: [] }, store.worlds.get(103));
  assert.equal(store.receive(on103, 4).kind, 'applied');
  assert.deepEqual([...store.worlds.keys()].sort(), [103, 104]);
});

test('only fulls: worlds are kept no longer than the age limit', () => {
  const store = new SnapshotStore(schema, 10);
  for (let tick = 100; tick < 200; tick++) store.receive(retimed(100, null, tick), tick);
  assert.equal(store.worlds.size, 11);
  assert.equal(store.ack, 199);
});
