// Generic prediction and reconciliation against a simulated server with latency, loss and
// interference, with the arena's step and with a game that predicts only some fields.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { arenaStep } from '../src/games/arena/index.js';
import { Predictor } from '../src/sdk/prediction.js';
import { ARENA_CONFIG, loadVectors } from './helpers/wire.js';

const { cases } = loadVectors('trajectories.json');
const sticks = cases.find((c) => c.name === 'scripted_random_30hz').inputs.map(([x, y]) => ({ x, y }));
const step = arenaStep(ARENA_CONFIG);
const spec = { components: { Body: ['x', 'y', 'vx', 'vy'] }, step };
const entity = (state) => ({ id: 1, components: state });

/**
 * Runs `ticks` ticks of a client and a server exchanging inputs and snapshots over a link of
 * `latency` ticks each way. `apply(seq, input, state)` may drop (null) or alter inputs.
 */
function run({ ticks, latency = 3, apply = (_seq, input, state) => step(state, input), spawnAt = 0, stick = (tick) => sticks[tick % sticks.length], predictor = new Predictor(spec) }) {
  const toServer = [];
  const toClient = [];
  let state = { Body: { x: 12800, y: 9600, vx: 0, vy: 0 }, Score: { points: 0 } };
  let lastSeq = 0;
  for (let tick = 1; tick <= ticks; tick++) {
    const seq = tick;
    const input = stick(tick);
    predictor.applyInput(seq, input);
    toServer.push({ at: tick + latency, seq, input });
    while (toServer.length && toServer[0].at <= tick) {
      const m = toServer.shift();
      const next = apply(m.seq, m.input, state);
      if (next !== null) {
        state = next;
        lastSeq = m.seq;
      }
    }
    toClient.push({ at: tick + latency, lastSeq, own: tick >= spawnAt ? entity(state) : undefined });
    while (toClient.length && toClient[0].at <= tick) {
      const s = toClient.shift();
      predictor.reconcile(s.lastSeq, s.own);
    }
  }
  return { predictor, server: state, lastSeq };
}

test('no loss and no interference: zero corrections, and prediction runs ahead of the server exactly', () => {
  const { predictor, server, lastSeq } = run({ ticks: 600 });
  assert.equal(predictor.corrections, 0);
  assert.ok(predictor.pending.length > 0 && predictor.pending.length <= 7);
  let expected = server;
  for (let seq = lastSeq + 1; seq <= 600; seq++) expected = step(expected, sticks[seq % sticks.length]);
  assert.deepEqual(predictor.state?.Body, expected.Body);
  assert.equal(run({ ticks: 600, latency: 0 }).predictor.corrections, 0);
});

test('prediction starts once the own entity appears in a snapshot', () => {
  const { predictor } = run({ ticks: 200, spawnAt: 50 });
  assert.equal(predictor.corrections, 0);
  assert.notEqual(predictor.state, null);
  const before = new Predictor(spec);
  before.applyInput(1, { x: 127, y: 0 });
  assert.equal(before.state, null);
});

test('an input the server drops is corrected once', () => {
  const drop20 = (seq, input, state) => (seq === 20 ? null : step(state, input));
  const { predictor, server, lastSeq } = run({ ticks: 60, apply: drop20, stick: () => ({ x: 127, y: 0 }) });
  assert.equal(predictor.corrections, 1);
  assert.equal(predictor.state.Body.x - server.Body.x, ARENA_CONFIG.movement.max_speed * (60 - lastSeq));
});

test('a server that moves the player differently is corrected on every disagreement', () => {
  const push = (seq, input, state) => {
    const s = step(state, input);
    return seq % 50 === 0 ? { ...s, Body: { ...s.Body, x: s.Body.x + 7 } } : s;
  };
  assert.equal(run({ ticks: 510, apply: push }).predictor.corrections, 10);
});

test('fields the game does not predict never count as corrections, and are taken as received', () => {
  // The server changes the score (a server rule) on every input: nothing to correct.
  const scores = (_seq, input, state) => ({ ...step(state, input), Score: { points: state.Score.points + 1 } });
  const withScore = new Predictor({ components: { Body: ['x', 'y', 'vx', 'vy'], Score: [] }, step });
  const { predictor, server } = run({ ticks: 100, apply: scores, predictor: withScore });
  assert.equal(predictor.corrections, 0);
  assert.equal(predictor.state.Score.points, server.Score.points - 3, 'as of the newest snapshot');
  // Predicting it instead, every disagreement counts.
  const predicted = new Predictor({ components: { Body: ['x', 'y', 'vx', 'vy'], Score: ['points'] }, step });
  assert.ok(run({ ticks: 100, apply: scores, predictor: predicted }).predictor.corrections > 90);
});

test('after reconciliation the prediction is the server state plus the unacknowledged inputs', () => {
  const p = new Predictor(spec);
  p.reconcile(0, entity({ Body: { x: 5000, y: 5000, vx: 0, vy: 0 } }));
  for (let seq = 1; seq <= 5; seq++) p.applyInput(seq, { x: 127, y: 0 });
  const server = { Body: { x: 5100, y: 5000, vx: 20, vy: 0 } };
  p.reconcile(2, entity(server));
  let expected = server;
  for (let i = 0; i < 3; i++) expected = step(expected, { x: 127, y: 0 });
  assert.deepEqual(p.state, expected);
  assert.deepEqual(p.pending.map((x) => x.seq), [3, 4, 5]);
  assert.equal(p.corrections, 1);
  p.reconcile(2, entity(server));
  assert.equal(p.corrections, 1, 'the same last_input_seq again is not counted twice');
});

test('an own entity without a predicted component is not predicted', () => {
  const p = new Predictor(spec);
  p.reconcile(0, { id: 1, components: { Score: { points: 1 } } });
  assert.equal(p.state, null);
});

test('the input history is bounded', () => {
  const p = new Predictor(spec);
  for (let seq = 1; seq <= 1000; seq++) p.applyInput(seq, { x: 0, y: 0 });
  assert.equal(p.pending.length, 256);
  assert.equal(p.pending[0].seq, 745);
});
