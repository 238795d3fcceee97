// Keyboard and gamepad mapping to the stick and buttons, touch samples laid over them,
// which device is in use, the hint in that device's words, and the fixed-step tick clock.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { controlsHint, playHint } from '../src/sdk/controls.js';
import { axesToStick, combineSamples, keysToButtons, keysToStick, kindInUse } from '../src/sdk/device.js';
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

const still = { x: 0, y: 0 };
const up = { action: false, alt: false };

test('touch over keys and gamepad: its stick where deflected, its aim when it has one, either buttons', () => {
  const keys = { stick: { x: 127, y: 0 }, aim: null, buttons: { action: true, alt: false } };
  assert.deepEqual(combineSamples(keys, { stick: still, aim: null, buttons: up }), keys, 'an idle touch pad changes nothing');
  assert.deepEqual(
    combineSamples(keys, { stick: { x: 0, y: -90 }, aim: still, buttons: { action: false, alt: true } }),
    { stick: { x: 0, y: -90 }, aim: still, buttons: { action: true, alt: true } },
  );
  const pad = { stick: still, aim: { x: -127, y: 0 }, buttons: up };
  assert.deepEqual(combineSamples(pad, { stick: still, aim: still, buttons: up }).aim, { x: -127, y: 0 }, "a gamepad's right stick aims while the touch one rests");
  assert.deepEqual(combineSamples(pad, { stick: still, aim: { x: 5, y: 127 }, buttons: up }).aim, { x: 5, y: 127 });
  const mouse = { x: 300, y: 200, down: true };
  assert.deepEqual(combineSamples({ ...keys, pointer: mouse }, { stick: still, aim: null, buttons: up }).pointer, mouse, 'the mouse goes through an idle touch pad');
});

test('the device in use is the one used last; keys until another is used', () => {
  const touch = (usedAtMs) => ({ kind: 'touch', usedAtMs, sample: () => ({ stick: still, aim: null, buttons: up }) });
  assert.equal(kindInUse('keyboard', -Infinity, [touch(-Infinity)]), 'keyboard');
  assert.equal(kindInUse('keyboard', -Infinity, [touch(0)]), 'touch', 'a touch screen is in use before any touch');
  assert.equal(kindInUse('keyboard', 500, [touch(400)]), 'keyboard');
  assert.equal(kindInUse('gamepad', 500, [touch(900)]), 'touch');
});

test('the hint says the game\'s actions in the words of the device in use', () => {
  const tag = { buttons: [{ button: 'action', label: 'Dash' }] };
  assert.equal(controlsHint(tag, 'touch'), 'Drag to move, tap Dash.');
  assert.equal(controlsHint(tag, 'keyboard'), 'Move: WASD or arrow keys (or a gamepad). Dash: Space.');
  assert.equal(controlsHint(tag, 'gamepad'), 'Move: left stick. Dash: A or RT.');
  assert.equal(controlsHint({}, 'touch'), 'Drag to move.');
  const shooter = { move: 'run', aim: 'aim', buttons: [{ button: 'action', label: 'Fire' }, { button: 'alt', label: 'Reload' }] };
  assert.equal(controlsHint(shooter, 'touch'), 'Drag on the left to run, on the right to aim, tap Fire and Reload.');
  assert.equal(controlsHint(shooter, 'gamepad'), 'Run: left stick. Aim: right stick. Fire: A or RT. Reload: B.');
  assert.match(controlsHint(shooter, 'keyboard'), /Aim: the mouse\./);
  assert.equal(playHint({}, 'Grab the orbs.', 'touch'), 'Drag to move. Grab the orbs.');
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
