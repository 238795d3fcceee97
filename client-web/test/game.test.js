// The game session: snapshots in, inputs and scenes out, scoreboard from the roster.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { decodeServerMsg } from '../src/codec.js';
import { GameSession } from '../src/game.js';

const load = (name) => JSON.parse(readFileSync(new URL(`vectors/${name}`, import.meta.url), 'utf8'));
const fromHex = (hex) => Uint8Array.from(hex.match(/../g), (b) => parseInt(b, 16));
const messages = load('messages.json');
const snapshots = load('snapshots.json').snapshots.map((s) => decodeServerMsg(fromHex(s.hex)));
const vector = (name) => decodeServerMsg(fromHex(messages.server.find((v) => v.name === name).hex));
// Client 42 controls entity 1 in the scripted snapshot run.
const joined = { ...vector('joined'), entity: 1 };

test('inputs carry increasing seqs, the client tick and the newest tick held as ack', () => {
  const s = new GameSession(joined, 42, 30);
  assert.deepEqual(s.tick({ x: 0, y: 0 }), { type: 'Input', seq: 1, client_tick: 0, movement: { x: 0, y: 0 }, buttons: 0, ack: 0 });
  assert.equal(s.onSnapshot(snapshots[0], 0), false);
  assert.deepEqual(s.tick({ x: 127, y: 0 }), { type: 'Input', seq: 2, client_tick: 1, movement: { x: 127, y: 0 }, buttons: 0, ack: 100 });
});

test('the scripted run applies; a delta on a missing baseline asks for a full snapshot once', () => {
  const s = new GameSession(joined, 42, 30);
  assert.equal(s.onSnapshot(snapshots[1], 0), true, '101 from 100 without 100');
  assert.equal(s.onSnapshot(snapshots[2], 1), false, 'already asked');
  assert.equal(s.onSnapshot(snapshots[6], 2), false, 'the full snapshot 105 applies');
  assert.equal(s.store.ack, 105);
  assert.equal(s.snapshotsApplied, 1);
});

test('the own entity is predicted from the first snapshot it appears in', () => {
  const s = new GameSession(joined, 42, 30);
  s.tick({ x: 127, y: 0 });
  assert.equal(s.ownPos(), null);
  s.onSnapshot(snapshots[0], 0); // last_input_seq 0: input 1 is replayed
  const own = s.ownPos();
  assert.ok(own[0] > 1600 && own[1] === 1600, `own at ${own}`);
  const scene = s.scene(10, 1);
  assert.equal(scene.filter((e) => e.own).length, 1);
  assert.deepEqual(scene.find((e) => e.own).pos, own);
  assert.equal(scene.filter((e) => e.id === 1).length, 1, 'the own entity is not also drawn interpolated');
  assert.equal(scene.length, 4);
});

test('the scoreboard names every roster player with its score, best first', () => {
  const s = new GameSession(joined, 42, 30);
  s.onRoster({ host: 43, players: [{ client_id: 42, entity: 1, name: 'Ada' }, { client_id: 43, entity: 2, name: 'Bo' }] });
  for (const m of snapshots.slice(0, 4)) s.onSnapshot(m, m.body.tick);
  assert.deepEqual(s.scores(), [
    { client_id: 43, name: 'Bo', score: 3, own: false, host: true },
    { client_id: 42, name: 'Ada', score: 1, own: true, host: false },
  ]);
  assert.equal(s.names().get(43), 'Bo');
});
