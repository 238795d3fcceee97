// The orb arena's module: its prediction step against every golden movement trajectory,
// its input mapping and its scoreboard.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import arena, { arenaStep } from '../../src/games/arena/index.js';
import { replayTrajectories } from '../helpers/trajectories.js';
import { ARENA_CONFIG, ARENA_SCHEMA, loadVectors } from '../helpers/wire.js';

const { map, cases } = loadVectors('trajectories.json');

// trajectories.json is the engine's movement step: each case as an arena trajectory.
replayTrajectories(
  'trajectories.json through the arena step',
  cases.map((c) => ({
    name: `${c.name} at ${c.tick_rate} Hz`,
    config: { map, movement: c.params, orb_radius: 160 },
    start: { Body: { x: c.start[0], y: c.start[1], vx: 0, vy: 0 } },
    inputs: c.inputs,
    states: c.states.map(([x, y, vx, vy]) => ({ Body: { x, y, vx, vy } })),
  })),
  arenaStep,
  ARENA_SCHEMA.input.map((f) => f.name),
);

const game = arena.start({ schema: ARENA_SCHEMA, config: ARENA_CONFIG, tickRate: 30 });

test('the stick is the input; buttons do nothing', () => {
  assert.deepEqual(game.input({ stick: { x: -127, y: 40 }, buttons: { action: true, alt: false } }), { x: -127, y: 40 });
});

test('the arena asks for the stick alone: no touch buttons, no aim stick', () => {
  assert.deepEqual(game.controls, {});
});

test('the arena predicts the whole Body and interpolates its position', () => {
  assert.deepEqual(game.predict?.components, { Body: ['x', 'y', 'vx', 'vy'] });
  assert.deepEqual(game.interpolate.components, { Body: ['x', 'y'] });
  const state = { Body: { x: 3200, y: 3200, vx: 0, vy: 0 }, Score: { points: 4 } };
  const next = game.predict.step(state, { x: 127, y: 0 });
  assert.deepEqual(next.Body, { x: 3253, y: 3200, vx: 53, vy: 0 });
  assert.deepEqual(state.Body, { x: 3200, y: 3200, vx: 0, vy: 0 }, 'the state given is not changed');
});

test('players score their points; orbs are not on the scoreboard', () => {
  const view = {
    entities: [
      { id: 1, components: { Body: { x: 0, y: 0, vx: 0, vy: 0 }, Score: { points: 3 } }, own: true, player: null },
      { id: 2, components: { Body: { x: 0, y: 0, vx: 0, vy: 0 }, Orb: {} }, own: false, player: null },
    ],
    own: null, players: new Map(), tickRate: 30,
  };
  assert.deepEqual(game.hud(view), { lines: [], scores: [{ entity: 1, score: 3 }] });
});
