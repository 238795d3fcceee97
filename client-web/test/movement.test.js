// The movement port against every golden trajectory, state by state.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { isqrt, step, targetVelocity } from '../src/movement.js';

const vectors = JSON.parse(readFileSync(new URL('vectors/trajectories.json', import.meta.url), 'utf8'));
const arena = { width: vectors.map.width, height: vectors.map.height, walls: vectors.map.walls };

describe('trajectories.json', () => {
  for (const c of vectors.cases) {
    test(`${c.name} at ${c.tick_rate} Hz matches all ${c.states.length} states`, () => {
      let body = { pos: c.start, vel: [0, 0] };
      c.inputs.forEach(([x, y], i) => {
        body = step(body, { x, y }, c.params, arena);
        assert.deepEqual([...body.pos, ...body.vel], c.states[i], `state ${i} after input [${x}, ${y}]`);
      });
    });
  }
});

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
  const body = { pos: [5000, 5000], vel: [0, 0] };
  step(body, { x: 127, y: 0 }, vectors.cases[0].params, arena);
  assert.deepEqual(body, { pos: [5000, 5000], vel: [0, 0] });
});
