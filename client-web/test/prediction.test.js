// Prediction and reconciliation against a simulated server with latency, loss and interference.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { step } from '../src/movement.js';
import { Predictor } from '../src/prediction.js';

const { map, cases } = JSON.parse(readFileSync(new URL('vectors/trajectories.json', import.meta.url), 'utf8'));
const arena = { width: map.width, height: map.height, walls: map.walls };
const params = cases.find((c) => c.tick_rate === 30).params;
const sticks = cases.find((c) => c.name === 'scripted_random_30hz').inputs.map(([x, y]) => ({ x, y }));

/**
 * Runs `ticks` ticks of a client and a server exchanging inputs and snapshots over a link of
 * `latency` ticks each way. `server.apply(seq, input, body)` may drop or alter inputs.
 */
function run({ ticks, latency = 3, apply = (_seq, input, body) => step(body, input, params, arena), spawnAt = 0, stick = (tick) => sticks[tick % sticks.length] }) {
  const predictor = new Predictor(params, arena);
  const toServer = [];
  const toClient = [];
  let body = { pos: [12800, 9600], vel: [0, 0] };
  let lastSeq = 0;
  for (let tick = 1; tick <= ticks; tick++) {
    const seq = tick;
    const input = stick(tick);
    predictor.applyInput(seq, input);
    toServer.push({ at: tick + latency, seq, input });
    while (toServer.length && toServer[0].at <= tick) {
      const m = toServer.shift();
      const next = apply(m.seq, m.input, body);
      if (next !== null) {
        body = next;
        lastSeq = m.seq;
      }
    }
    toClient.push({ at: tick + latency, lastSeq, own: tick >= spawnAt ? body : undefined });
    while (toClient.length && toClient[0].at <= tick) {
      const s = toClient.shift();
      predictor.reconcile(s.lastSeq, s.own);
    }
  }
  return { predictor, serverBody: body, lastSeq };
}

test('no loss and no interference: zero corrections, and prediction runs ahead of the server exactly', () => {
  const { predictor } = run({ ticks: 600 });
  assert.equal(predictor.corrections, 0);
  assert.ok(predictor.pending.length > 0 && predictor.pending.length <= 7);
  // Replaying the pending inputs from the server state gives the predicted state.
  const { predictor: p2 } = run({ ticks: 600, latency: 0 });
  assert.equal(p2.corrections, 0);
});

test('prediction starts once the own entity appears in a snapshot', () => {
  const { predictor } = run({ ticks: 200, spawnAt: 50 });
  assert.equal(predictor.corrections, 0);
  assert.notEqual(predictor.body, null);
  const before = new Predictor(params, arena);
  before.applyInput(1, { x: 127, y: 0 });
  assert.equal(before.body, null);
});

test('an input the server drops is corrected once', () => {
  const drop20 = (seq, input, body) => (seq === 20 ? null : step(body, input, params, arena));
  const { predictor, serverBody, lastSeq } = run({ ticks: 60, apply: drop20, stick: () => ({ x: 127, y: 0 }) });
  assert.equal(predictor.corrections, 1);
  // Back in step: the prediction is the server state plus the inputs the server has yet to apply.
  assert.equal(predictor.body.pos[0] - serverBody.pos[0], params.max_speed * (60 - lastSeq));
});

test('a server that moves the player differently is corrected on every disagreement', () => {
  const push = (seq, input, body) => {
    const b = step(body, input, params, arena);
    return seq % 50 === 0 ? { pos: [b.pos[0] + 7, b.pos[1]], vel: b.vel } : b;
  };
  const { predictor } = run({ ticks: 510, apply: push });
  assert.equal(predictor.corrections, 10);
});

test('after reconciliation the prediction is the server state plus the unacknowledged inputs', () => {
  const p = new Predictor(params, arena);
  p.reconcile(0, { pos: [5000, 5000], vel: [0, 0] });
  for (let seq = 1; seq <= 5; seq++) p.applyInput(seq, { x: 127, y: 0 });
  const server = { pos: [5100, 5000], vel: [20, 0] };
  p.reconcile(2, server);
  let expected = server;
  for (let i = 0; i < 3; i++) expected = step(expected, { x: 127, y: 0 }, params, arena);
  assert.deepEqual(p.body, expected);
  assert.deepEqual(p.pending.map((x) => x.seq), [3, 4, 5]);
  assert.equal(p.corrections, 1);
  // The same last_input_seq again is not counted twice.
  p.reconcile(2, server);
  assert.equal(p.corrections, 1);
});

test('the input history is bounded', () => {
  const p = new Predictor(params, arena);
  for (let seq = 1; seq <= 1000; seq++) p.applyInput(seq, { x: 0, y: 0 });
  assert.equal(p.pending.length, 256);
  assert.equal(p.pending[0].seq, 745);
});
