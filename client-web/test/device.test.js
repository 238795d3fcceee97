// Keyboard and gamepad mapping to the stick and buttons, and the fixed-step tick clock.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { axesToStick, keysToButtons, keysToStick } from '../src/sdk/device.js';
import { FixedStep } from '../src/sdk/fixedstep.js';

test('keys map to full deflection; opposite keys cancel; WASD and arrows agree', () => {
  assert.deepEqual(keysToStick([]), { x: 0, y: 0 });
  assert.deepEqual(keysToStick(['KeyD']), { x: 127, y: 0 });
  assert.deepEqual(keysToStick(['ArrowUp', 'ArrowLeft']), { x: -127, y: -127 });
  assert.deepEqual(keysToStick(['KeyS', 'ArrowDown']), { x: 0, y: 127 });
  assert.deepEqual(keysToStick(['KeyA', 'KeyD', 'KeyW']), { x: 0, y: -127 });
  assert.deepEqual(keysToStick(['Space']), { x: 0, y: 0 });
});

test('Space is the action button and Shift the alt one; steering keys press none', () => {
  assert.deepEqual(keysToButtons(['Space', 'KeyD']), { action: true, alt: false });
  assert.deepEqual(keysToButtons(['ShiftRight']), { action: false, alt: true });
  assert.deepEqual(keysToButtons(['KeyW', 'ArrowLeft']), { action: false, alt: false });
});

test('the gamepad stick has a radial deadzone and reaches full scale', () => {
  assert.deepEqual(axesToStick(0.1, -0.1), { x: 0, y: 0 });
  assert.deepEqual(axesToStick(1, 0), { x: 127, y: 0 });
  assert.deepEqual(axesToStick(0, -1), { x: 0, y: -127 });
  const half = axesToStick(0.6, 0);
  assert.ok(half.x > 50 && half.x < 80, `${half.x}`);
  const diag = axesToStick(1, 1);
  assert.ok(Math.abs(diag.x - 90) <= 1 && diag.x === diag.y, `${diag.x}`);
  assert.deepEqual(axesToStick(-1.5, 0), { x: -127, y: 0 });
});

test('fixed steps: one tick per step of elapsed time, whatever the frame rate', () => {
  const steps = new FixedStep(1000 / 30);
  let ticks = steps.advance(0);
  for (let t = 7; t <= 10000; t += 7) ticks += steps.advance(t);
  assert.ok(Math.abs(ticks - 301) <= 1, `${ticks} ticks in 10 s`);
  assert.ok(steps.alpha(10000) >= 0 && steps.alpha(10000) <= 1);
});

test('a long stall runs a few ticks, not a burst', () => {
  const steps = new FixedStep(1000 / 60, 4);
  steps.advance(0);
  assert.equal(steps.advance(5000), 4);
  assert.ok(steps.untilNextMs() > 0);
});
