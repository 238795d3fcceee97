// The snapshot store: baselines held, acks, pruning and full-snapshot requests.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { decodeServerMsg } from '../src/codec.js';
import { REQUEST_FULL_RETRY_MS, SnapshotStore } from '../src/snapshots.js';

const vectors = JSON.parse(readFileSync(new URL('vectors/snapshots.json', import.meta.url), 'utf8'));
const fromHex = (hex) => Uint8Array.from(hex.match(/../g), (b) => parseInt(b, 16));
const bodies = vectors.snapshots.map((s) => decodeServerMsg(fromHex(s.hex)).body);
const byKey = (tick, baseline) => bodies.find((b) => b.tick === tick && b.baseline === baseline);

test('the scripted run applies in order, acking the newest tick and keeping the baselines it may need', () => {
  const store = new SnapshotStore(120);
  assert.equal(store.ack, 0);
  for (const [i, body] of bodies.slice(0, 6).entries()) {
    const r = store.receive(body, i);
    assert.equal(r.kind, 'applied', `tick ${body.tick}`);
    assert.deepEqual(r.world, vectors.snapshots[i].world);
    assert.equal(store.ack, body.tick);
    for (const tick of store.worlds.keys()) assert.ok(tick >= (body.baseline ?? body.tick));
  }
  assert.deepEqual([...store.worlds.keys()].sort(), [103, 104, 105]);
  assert.deepEqual(store.latest(), vectors.snapshots[5].world);
});

test('a missing baseline asks for a full snapshot once per wait, and the full one recovers', () => {
  const store = new SnapshotStore(120);
  store.receive(byKey(100, null), 0);
  assert.deepEqual(store.receive(byKey(102, 101), 10), { kind: 'missing', requestFull: true });
  assert.deepEqual(store.receive(byKey(103, 101), 20), { kind: 'missing', requestFull: false });
  assert.equal(store.ack, 100, 'still acks what it holds');
  assert.deepEqual(store.receive(byKey(103, 101), 10 + REQUEST_FULL_RETRY_MS), { kind: 'missing', requestFull: true });
  const r = store.receive(byKey(105, null), 2000);
  assert.equal(r.kind, 'applied');
  assert.deepEqual([...store.worlds.keys()], [100, 105], 'a full snapshot prunes nothing');
  assert.equal(store.ack, 105);
  assert.equal(store.receive(byKey(103, 101), 2001).kind, 'stale', 'older than held: no request');
});

test('a body that does not fit its baseline is treated as missing', () => {
  const store = new SnapshotStore(120);
  store.receive(byKey(100, null), 0);
  const bad = { ...byKey(101, 100), despawns: [9] };
  assert.equal(store.receive(bad, 1).kind, 'missing');
  assert.equal(store.ack, 100);
});

test('duplicates and older ticks are ignored', () => {
  const store = new SnapshotStore(120);
  store.receive(byKey(100, null), 0);
  store.receive(byKey(101, 100), 1);
  assert.equal(store.receive(byKey(101, 100), 2).kind, 'stale');
  assert.equal(store.receive(byKey(100, null), 3).kind, 'stale');
  assert.equal(store.ack, 101);
});

test('acks sent before a full snapshot arrived may still name baselines: those worlds are kept', () => {
  // As seen against the real server: the client acked 100, then full snapshots came (the
  // server had not read the ack yet), then a delta on 100.
  const store = new SnapshotStore(120);
  store.receive(byKey(100, null), 0);
  store.receive({ ...byKey(105, null), tick: 102 }, 1);
  const r = store.receive(byKey(101, 100), 2);
  assert.equal(r.kind, 'stale', 'older than held');
  const later = store.receive({ ...byKey(101, 100), tick: 103 }, 3);
  assert.equal(later.kind, 'applied');
  assert.deepEqual([...store.worlds.keys()].sort(), [100, 102, 103]);
  // The delta's baseline is the new floor: from now on nothing older is needed.
  store.receive({ ...byKey(102, 101), tick: 104, baseline: 103 }, 4);
  assert.deepEqual([...store.worlds.keys()].sort(), [103, 104]);
});

test('only fulls: worlds are kept no longer than the age limit', () => {
  const store = new SnapshotStore(10);
  for (let tick = 100; tick < 200; tick++) store.receive({ ...byKey(100, null), tick }, tick);
  assert.equal(store.worlds.size, 11);
  assert.equal(store.ack, 199);
});
