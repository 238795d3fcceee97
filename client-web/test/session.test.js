// The game session, for any game: the schema checked, snapshots in, inputs and views out,
// the scoreboard from the roster and the game's HUD, and resuming a seat. Driven with the
// arena's module over the golden "motion" scenario (client 42 controls entity 1).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import arena from '../src/games/arena/index.js';
import { decodeServerMsg } from '../src/sdk/codec.js';
import { SchemaError } from '../src/sdk/schema.js';
import { GameSession, openSession } from '../src/sdk/session.js';
import { GAMES } from '../src/games/index.js';
import { ARENA_CONFIG, fromHex, joinedFor, loadVectors } from './helpers/wire.js';

const motion = loadVectors('snapshots.json').scenarios.find((s) => s.name === 'motion');
const snapshots = motion.snapshots.map((s) => decodeServerMsg(fromHex(s.hex)));
const joined = joinedFor(motion.schema, ARENA_CONFIG, { entity: 1 });
const startArena = (schema) => arena.start({ schema: schema.schema, config: ARENA_CONFIG, tickRate: 30 });
const session = () => new GameSession(joined, 42, 30, startArena);
const still = { stick: { x: 0, y: 0 }, buttons: { action: false, alt: false } };
const stick = (x, y) => ({ stick: { x, y }, buttons: { action: false, alt: false } });
const tickOf = (m) => (m.body[0] < 251 ? m.body[0] : null);

test('a schema that does not match its hash is refused before anything is decoded', () => {
  assert.throws(() => new GameSession({ ...joined, schema_hash: 1n }, 42, 30, startArena), SchemaError);
});

test('a lobby is played with the module of its game, or refused in words', () => {
  const arenaJoined = joinedFor({ ...motion.schema, game: 'arena' }, ARENA_CONFIG);
  const s = openSession(arenaJoined, GAMES, 42, 30);
  assert.ok(s instanceof GameSession);
  assert.deepEqual(s.game.interpolate.components, { Body: ['x', 'y'] }, "the arena's module");
  assert.match(String(openSession(joined, GAMES, 42, 30)), /no module for the game "motion"/);
  assert.match(String(openSession({ ...arenaJoined, schema_hash: 1n }, GAMES, 42, 30)), /does not match its fingerprint/);
  assert.match(String(openSession({ ...arenaJoined, config: '{' }, GAMES, 42, 30)), /JSON/);
});

test("inputs carry increasing seqs, the client tick, the newest tick held as ack and the game's values", () => {
  const s = session();
  assert.deepEqual(s.tick(still), { type: 'Input', seq: 1, client_tick: 0, ack: 0, values: [0, 0] });
  assert.equal(s.onSnapshot(snapshots[0], 0), false);
  assert.deepEqual(s.tick(stick(127, -5)), { type: 'Input', seq: 2, client_tick: 1, ack: 100, values: [127, -5] });
});

test('the scripted run applies; a delta on a missing baseline asks for a full snapshot once', () => {
  const s = session();
  assert.equal(s.onSnapshot(snapshots[1], 0), true, '101 from 100 without 100');
  assert.equal(s.onSnapshot(snapshots[2], 1), false, 'already asked');
  assert.equal(s.onSnapshot(snapshots[6], 2), false, 'the full snapshot 105 applies');
  assert.equal(s.store.ack, 105);
  assert.equal(s.snapshotsApplied, 1);
});

test('ticks with no snapshot count as missed, and each RequestFull to send counts once', () => {
  const s = session();
  for (const m of snapshots.slice(0, 3)) s.onSnapshot(m, tickOf(m)); // 100, 101, 102
  assert.deepEqual([s.gaps.missed, s.fullRequests], [0, 0], 'one snapshot per tick: none missed');
  assert.equal(s.onSnapshot(snapshots[5], 200), true, '105 on 103, which is not held: ask for a full one');
  assert.equal(s.gaps.missed, 2, 'from 102 to 105: 103 and 104 never came');
  assert.equal(s.fullRequests, 1);
  assert.equal(s.onSnapshot(snapshots[6], 210), false, 'the full 105 applies');
  assert.equal(s.onSnapshot(snapshots[7], 240), false, '106 on 105');
  assert.deepEqual([s.gaps.missed, s.fullRequests], [2, 1], 'the same tick again, then the next one: nothing more');
});

test('the own entity is predicted from the first snapshot it appears in, and drawn once', () => {
  const s = session();
  s.tick(stick(127, 0));
  assert.equal(s.ownState(), null);
  s.onSnapshot(snapshots[0], 0); // last_input_seq 0: input 1 is replayed
  const own = s.ownState();
  assert.deepEqual(own.Body, { x: 1653, y: 1600, vx: 53, vy: 0 });
  assert.deepEqual(Object.keys(own), ['Body'], 'the components the game predicts');
  const view = s.view(10, 1);
  assert.deepEqual(view.own.components.Score, { points: 0 }, 'the others as received');
  assert.equal(view.entities.filter((e) => e.own).length, 1);
  assert.deepEqual(view.own.components.Body, own.Body);
  assert.equal(view.entities.filter((e) => e.id === 1).length, 1, 'the own entity is not also drawn interpolated');
  assert.equal(view.entities.length, 3);
  // Halfway through the next tick the own position is halfway between the two predictions.
  s.tick(stick(127, 0));
  assert.equal(s.ownState(0.5).Body.x, (1653 + 1759) / 2);
  assert.equal(s.ownState(0.5).Body.vx, 106, 'fields not interpolated are the newer ones');
});

test("the scoreboard names every roster player with the game's score, best first, host and colour", () => {
  const s = session();
  s.onRoster({ host: 43, players: [{ client_id: 42, entity: 1, name: 'Ada', connected: true }, { client_id: 43, entity: 2, name: 'Bo', connected: true }] });
  for (const m of snapshots.slice(0, 5)) s.onSnapshot(m, tickOf(m));
  const { scores } = s.hud();
  assert.deepEqual(scores.map(({ color, ...rest }) => rest), [
    { entity: 2, client_id: 43, name: 'Bo', score: 3, note: '', own: false, host: true, away: false },
    { entity: 1, client_id: 42, name: 'Ada', score: 1, note: '', own: true, host: false, away: false },
  ]);
  assert.notEqual(scores[0].color, scores[1].color);
  assert.equal(s.players().get(2)?.name, 'Bo');
});

test('players whose connection is down are marked away, on the scoreboard and in the view', () => {
  const s = session();
  s.onRoster({ host: 42, players: [{ client_id: 42, entity: 1, name: 'Ada', connected: true }, { client_id: 43, entity: 2, name: 'Bo', connected: false }] });
  s.onSnapshot(snapshots[0], 0);
  s.onSnapshot(snapshots[1], 33);
  s.tick(still);
  const away = (lines) => Object.fromEntries(lines.map((l) => [l.entity, l.away]));
  assert.deepEqual(away(s.hud().scores), { 1: false, 2: true });
  const drawn = s.view(1000, 1).entities.filter((e) => e.player !== null);
  assert.deepEqual(Object.fromEntries(drawn.map((e) => [e.id, e.player.away])), { 1: false, 2: true });
  s.offline = true; // this client's own connection dropped
  assert.deepEqual(away(s.hud().scores), { 1: true, 2: true });
  assert.equal(s.view(1000, 1).own.player.away, true);
});

describe('resuming the same seat after a dropped connection', () => {
  /** Ada (client 42, entity 1) plays ticks 100 to 103, sending inputs 1 to 6. */
  const played = () => {
    const s = session();
    s.onRoster({ host: 42, players: [{ client_id: 42, entity: 1, name: 'Ada', connected: true }] });
    s.tick(stick(127, 0));
    for (const m of snapshots.slice(0, 5)) s.onSnapshot(m, tickOf(m));
    for (let i = 0; i < 5; i++) s.tick(stick(0, 127));
    return s;
  };

  test('drops the worlds and the pending inputs, keeps counting seqs, scores and corrections', () => {
    const s = played();
    const corrections = s.predictor.corrections;
    const drawnAt = s.ownState().Body;
    assert.equal(s.predictor.pending.length, 5);
    s.offline = true;
    s.resume(joined);
    assert.equal(s.offline, false);
    assert.equal(s.store.ack, 0, 'nothing held: the first Input acks nothing');
    assert.equal(s.store.worlds.size, 0);
    assert.deepEqual(s.predictor.pending, []);
    assert.equal(s.predictor.state, null, 'not predicting until the own entity is in a snapshot');
    assert.equal(s.predictor.corrections, corrections);
    assert.deepEqual(s.hud().scores.map((l) => l.score), [1], 'the score stays shown meanwhile');
    assert.deepEqual(s.view(2000, 1).own.components.Body, drawnAt, 'the own player stays drawn where it was');
    const input = s.tick(still);
    assert.equal(input.seq, 7, 'seqs go on: the server drops any not above the newest it got');
    assert.equal(input.ack, 0);
    assert.equal(s.predictor.state, null);
  });

  test('prediction restarts from the first snapshot with the own entity, with no correction for inputs from before', () => {
    const s = played();
    const corrections = s.predictor.corrections;
    s.resume(joined);
    s.tick(stick(127, 127)); // seq 7
    // The full snapshot the server sends on resume. Its last_input_seq (5) names an input
    // from before the drop whose prediction does not match this state: no correction.
    assert.equal(s.onSnapshot(snapshots[6], 5000), false, 'a full snapshot needs no baseline');
    assert.equal(s.predictor.corrections, corrections);
    assert.equal(s.store.ack, 105);
    assert.deepEqual(s.predictor.pending.map((p) => p.seq), [7], 'only the new input is replayed');
    assert.equal(s.view(5000, 1).own.id, 1);
    assert.notEqual(s.predictor.state, null);
    assert.equal(s.onSnapshot(snapshots[7], 5033), false, 'deltas on the new full snapshot apply (106 on 105)');
    assert.equal(s.store.ack, 106);
  });

  test('the ticks missed while the connection was down are not counted; the counts carry over', () => {
    const s = session();
    s.onSnapshot(snapshots[0], 0); // 100
    s.onSnapshot(snapshots[2], 66); // 102 on 101, which never came: missed, and a full one asked for
    assert.deepEqual([s.gaps.missed, s.fullRequests], [1, 1]);
    s.resume(joined);
    s.onSnapshot(snapshots[6], 5000); // the full 105 the server sends on resume: 103 and 104 came while away
    s.onSnapshot(snapshots[7], 5033); // 106 on 105
    assert.deepEqual([s.gaps.missed, s.fullRequests], [1, 1]);
  });

  test('without the restart the stale inputs would have counted a correction (the test means something)', () => {
    const s = played();
    const corrections = s.predictor.corrections;
    s.store = new (s.store.constructor)(s.schema, 120);
    s.onSnapshot(snapshots[6], 5000);
    assert.ok(s.predictor.corrections > corrections);
  });
});
