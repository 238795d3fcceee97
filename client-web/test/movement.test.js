// The engine's movement step port: exact integer square root, truncating division, and
// not mutating its argument. (The golden trajectories are replayed in games/arena.test.js,
// through the arena's prediction step.)

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isqrt, step, targetVelocity } from '../src/sdk/movement.js';
import { loadVectors } from './helpers/wire.js';

const { map, cases } = loadVectors('trajectories.json');

test('isqrt is the exact floor over the whole stick range', () => {
  for (let n = 0; n <= 2 * 128 * 128; n++) {
    const r = isqrt(n);
    assert.ok(r * r <= n && (r + 1) * (r + 1) > n, `isqrt(${n}) = ${r}`);
  }
  assert.equal(isqrt(-5), 0);
});

test('target velocity truncates toward zero and caps diagonals', () => {
  assert.deepEqual(targetVelocity({ x: -1, y: 1 }, 160), [-1, 1]);
  assert.deepEqual(targetVelocity({ x: -128, y: 0 }, 160), [-160, 0]);
  const [x, y] = targetVelocity({ x: 127, y: 127 }, 160);
  assert.ok(x * x + y * y <= 160 * 160 && x > 100);
});

test('step does not mutate its argument', () => {
  const body = { x: 5000, y: 5000, vx: 0, vy: 0 };
  const next = step(body, { x: 127, y: 0 }, cases[0].params, map);
  assert.deepEqual(body, { x: 5000, y: 5000, vx: 0, vy: 0 });
  assert.ok(next.x > 5000);
});
