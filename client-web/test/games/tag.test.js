// The tag game's module: its prediction step (dash, cooldown, faster movement) against
// Rust's golden trajectories, its input mapping and its HUD.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import tag, { IT, dashStatus, secondsLeft } from '../../src/games/tag/index.js';
import { tagStep } from '../../src/games/tag/step.js';
import { step } from '../../src/sdk/movement.js';
import { replayTrajectories } from '../helpers/trajectories.js';
import { TAG_CONFIG, TAG_SCHEMA, loadVectors } from '../helpers/wire.js';

const inputNames = TAG_SCHEMA.input.map((f) => f.name);
const start = { Body: { x: 8000, y: 8000, vx: 0, vy: 0 }, Runner: { it: 0, dash: 0, cooldown: 0, score: 5 } };
const run = (inputs, state = start) => inputs.reduce((s, [x, y, dash]) => tagStep(s, { x, y, dash }, TAG_CONFIG), state);

replayTrajectories('games/tag_trajectories.json', loadVectors('games/tag_trajectories.json').cases, (config) => (s, input) => tagStep(s, input, config), inputNames);

test('a dash starts when asked for and ready, lasts its ticks and then cools down', () => {
  const dashed = run([[127, 0, 1]]);
  assert.deepEqual(dashed.Runner, { it: 0, dash: TAG_CONFIG.dash.ticks - 1, cooldown: TAG_CONFIG.dash.cooldown - 1, score: 5 });
  const after = run(Array.from({ length: 10 }, () => [127, 0, 1]));
  assert.equal(after.Runner.dash, 0, 'held down, it does not start again while cooling down');
  assert.equal(after.Runner.cooldown, TAG_CONFIG.dash.cooldown - 10);
  const ready = run(Array.from({ length: TAG_CONFIG.dash.cooldown }, () => [0, 0, 0]), dashed);
  assert.equal(ready.Runner.cooldown, 0);
  assert.equal(run([[0, 0, 1]], ready).Runner.dash, TAG_CONFIG.dash.ticks - 1, 'ready again');
});

test('while dashing the runner accelerates and tops out at speed_percent of normal', () => {
  const { max_speed, accel } = TAG_CONFIG.movement;
  const pct = TAG_CONFIG.dash.speed_percent;
  assert.equal(run([[127, 0, 1]]).Body.vx, Math.trunc((accel * pct) / 100));
  assert.equal(run([[127, 0, 0]]).Body.vx, accel);
  const dashing = run(Array.from({ length: 6 }, () => [127, 0, 1]));
  assert.ok(dashing.Body.vx > max_speed && dashing.Body.vx <= Math.trunc((max_speed * pct) / 100), `vx ${dashing.Body.vx}`);
  // Without a dash it is exactly the engine's movement step.
  const plain = run([[50, -90, 0]]);
  assert.deepEqual(plain.Body, step(start.Body, { x: 50, y: -90 }, TAG_CONFIG.movement, TAG_CONFIG.map));
  assert.deepEqual(start.Runner, { it: 0, dash: 0, cooldown: 0, score: 5 }, 'the state given is not changed');
});

const game = tag.start({ schema: TAG_SCHEMA, config: TAG_CONFIG, tickRate: 30 });

test('the stick and the action button are the input', () => {
  assert.deepEqual(game.input({ stick: { x: 3, y: -127 }, buttons: { action: true, alt: false } }), { x: 3, y: -127, dash: 1 });
  assert.deepEqual(game.input({ stick: { x: 0, y: 0 }, buttons: { action: false, alt: true } }), { x: 0, y: 0, dash: 0 });
});

test('tag asks for one touch button, Dash, on the action button', () => {
  assert.deepEqual(game.controls, { buttons: [{ button: 'action', label: 'Dash' }] });
});

test('tag predicts the Body and the dash, not who is it or the score', () => {
  assert.deepEqual(game.predict?.components, { Body: ['x', 'y', 'vx', 'vy'], Runner: ['dash', 'cooldown'] });
});

test('the HUD: the round clock, who is it, the own dash, and a score with an "it" note', () => {
  const runner = (id, it, score, own, extra = {}) => ({ id, own, player: null, components: { Body: { x: 0, y: 0, vx: 0, vy: 0 }, Runner: { it, dash: 0, cooldown: 0, score, ...extra } } });
  const me = runner(1, IT, 2, true, { cooldown: 45 });
  const view = {
    entities: [me, runner(2, 0, 9, false), { id: 3, own: false, player: null, components: { Round: { ticks_left: 1799, rate: -1 } } }],
    own: me, players: new Map(), tickRate: 30,
  };
  assert.equal(secondsLeft(view), 60);
  assert.equal(dashStatus(view), 'Dash: ready in 1.5 s');
  assert.deepEqual(game.hud(view), {
    lines: ['Round: 60 s left', 'You are it! Touch someone.', 'Dash: ready in 1.5 s'],
    scores: [{ entity: 1, score: 2, note: 'it' }, { entity: 2, score: 9, note: undefined }],
  });
  me.components.Runner.cooldown = 0;
  assert.equal(dashStatus(view), 'Dash: ready');
});
