// The game session: snapshots in, inputs and scenes out, scoreboard from the roster.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

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
  s.onRoster({ host: 43, players: [{ client_id: 42, entity: 1, name: 'Ada', connected: true }, { client_id: 43, entity: 2, name: 'Bo', connected: true }] });
  for (const m of snapshots.slice(0, 4)) s.onSnapshot(m, m.body.tick);
  assert.deepEqual(s.scores(), [
    { client_id: 43, name: 'Bo', score: 3, own: false, host: true, away: false },
    { client_id: 42, name: 'Ada', score: 1, own: true, host: false, away: false },
  ]);
  assert.equal(s.names().get(43), 'Bo');
});

test('players whose connection is down are marked away, on the scoreboard and in the scene', () => {
  const s = new GameSession(joined, 42, 30);
  s.onRoster({ host: 42, players: [{ client_id: 42, entity: 1, name: 'Ada', connected: true }, { client_id: 43, entity: 2, name: 'Bo', connected: false }] });
  s.onSnapshot(snapshots[0], 0);
  s.onSnapshot(snapshots[1], 33);
  s.tick({ x: 0, y: 0 });
  const away = (lines) => Object.fromEntries(lines.map((l) => [l.client_id ?? l.owner, l.away]));
  assert.deepEqual(away(s.scores()), { 42: false, 43: true });
  const players = s.scene(1000, 1).filter((e) => e.kind === 'Player');
  assert.deepEqual(away(players), { 42: false, 43: true });
  s.offline = true; // this client's own connection dropped
  assert.deepEqual(away(s.scores()), { 42: true, 43: true });
  assert.equal(s.scene(1000, 1).find((e) => e.own).away, true);
});

describe('resuming the same seat after a dropped connection', () => {
  /** Ada (client 42, entity 1) plays ticks 100 to 103, sending inputs 1 to 6. */
  const played = () => {
    const s = new GameSession(joined, 42, 30);
    s.onRoster({ host: 42, players: [{ client_id: 42, entity: 1, name: 'Ada', connected: true }] });
    s.tick({ x: 127, y: 0 });
    for (const m of snapshots.slice(0, 4)) s.onSnapshot(m, m.body.tick);
    for (let i = 0; i < 5; i++) s.tick({ x: 0, y: 127 });
    return s;
  };

  test('drops the worlds and the pending inputs, keeps counting seqs, scores and corrections', () => {
    const s = played();
    const corrections = s.predictor.corrections;
    const drawnAt = s.ownPos();
    assert.equal(s.predictor.pending.length, 5);
    s.offline = true;
    s.resume(joined);
    assert.equal(s.offline, false);
    assert.equal(s.store.ack, 0, 'nothing held: the first Input acks nothing');
    assert.equal(s.store.worlds.size, 0);
    assert.deepEqual(s.predictor.pending, []);
    assert.equal(s.predictor.body, null, 'not predicting until the own entity is in a snapshot');
    assert.equal(s.predictor.corrections, corrections);
    assert.deepEqual(s.scores().map((l) => l.score), [1], 'the score stays shown meanwhile');
    const own = s.scene(2000, 1).find((e) => e.own);
    assert.deepEqual(own.pos, drawnAt, 'the own player stays drawn where it was');
    const input = s.tick({ x: 0, y: 0 });
    assert.equal(input.seq, 7, 'seqs go on: the server drops any not above the newest it got');
    assert.equal(input.ack, 0);
    assert.equal(s.predictor.body, null);
  });

  test('prediction restarts from the first snapshot with the own entity, with no correction for inputs from before', () => {
    const s = played();
    const corrections = s.predictor.corrections;
    s.resume(joined);
    s.tick({ x: 127, y: 127 }); // seq 7
    // The full snapshot the server sends on resume. Its last_input_seq (5) names an input
    // from before the drop whose prediction does not match this state: no correction.
    assert.equal(s.onSnapshot(snapshots[6], 5000), false, 'a full snapshot needs no baseline');
    assert.equal(s.predictor.corrections, corrections);
    assert.equal(s.store.ack, 105);
    assert.deepEqual(s.predictor.pending.map((p) => p.seq), [7], 'only the new input is replayed');
    const own = s.scene(5000, 1).find((e) => e.own);
    assert.equal(own.id, 1);
    assert.notEqual(s.predictor.body, null);
    // Deltas on the new full snapshot apply as usual (106 on 105).
    assert.equal(s.onSnapshot(snapshots[7], 5033), false);
    assert.equal(s.store.ack, 106);
  });

  test('without the restart the stale inputs would have counted a correction (the test means something)', () => {
    const s = played();
    const corrections = s.predictor.corrections;
    s.store = new (s.store.constructor)(120);
    s.onSnapshot(snapshots[6], 5000);
    assert.ok(s.predictor.corrections > corrections);
  });
});
