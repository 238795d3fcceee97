// Touch controls as pure logic: a drag on the floating stick as the stick the game reads
// (deadzone, full scale, clamping, the base dragged along), several touches at once kept
// apart by identifier, buttons held and short taps not lost, the aim stick when a game asks
// for one, and where the controls go on a phone held upright or on its side.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { STICK_RADIUS_PX, TouchPad, dragToStick, followThumb, layoutTouch } from '../src/sdk/touch.js';

const R = STICK_RADIUS_PX;
const O = { x: 100, y: 600 };
const at = (dx, dy) => ({ x: O.x + dx, y: O.y + dy });

test('a drag is the stick: nothing inside the deadzone, full deflection at the rim and past it, +y down', () => {
  assert.deepEqual(dragToStick(O, at(4, -3)), { x: 0, y: 0 });
  assert.deepEqual(dragToStick(O, at(R, 0)), { x: 127, y: 0 });
  assert.deepEqual(dragToStick(O, at(0, -R)), { x: 0, y: -127 });
  assert.deepEqual(dragToStick(O, at(-3 * R, 0)), { x: -127, y: 0 }, 'clamped past the rim');
  const half = dragToStick(O, at(R / 2, 0));
  assert.ok(half.x > 30 && half.x < 80, `half way: ${half.x}`);
  const diag = dragToStick(O, at(2 * R, 2 * R));
  assert.ok(diag.x === diag.y && Math.abs(diag.x - 90) <= 1, `diagonal: ${diag.x}`);
});

test('past its rim the base follows the thumb, so turning back reverses at once', () => {
  assert.deepEqual(followThumb(O, at(R / 2, 0)), O, 'inside the rim it stays');
  const moved = followThumb(O, at(3 * R, 0));
  assert.deepEqual(moved, at(2 * R, 0));
  const pad = new TouchPad(layoutTouch(390, 700, {}));
  pad.start(1, O.x, O.y);
  pad.move(1, O.x + 150, O.y);
  assert.equal(pad.sample().stick.x, 127);
  pad.move(1, O.x + 150 - R, O.y);
  assert.deepEqual(pad.sample().stick, { x: 0, y: 0 }, 'back to the base, which moved along');
  pad.move(1, O.x + 150 - 2 * R, O.y);
  assert.equal(pad.sample().stick.x, -127, 'one radius back from where it turned is full left');
});

test('touches are kept apart by identifier: a thumb steers while another holds Dash', () => {
  const layout = layoutTouch(390, 700, { buttons: [{ button: 'action', label: 'Dash' }] });
  const dash = layout.buttons[0];
  const pad = new TouchPad(layout);
  assert.equal(pad.start(7, 60, 600), 'move');
  pad.move(7, 60, 600 - R);
  assert.equal(pad.start(3, dash.x + 5, dash.y - 5), 'action');
  assert.deepEqual(pad.sample(), { stick: { x: 0, y: -127 }, aim: null, buttons: { action: true, alt: false } });
  pad.move(3, dash.x - 80, dash.y);
  assert.deepEqual(pad.sample().stick, { x: 0, y: -127 }, 'sliding off Dash does not steer');
  assert.equal(pad.start(9, 150, 500), null, 'a second thumb on the stick side does not steer');
  pad.move(9, 300, 500);
  assert.deepEqual(pad.sample().stick, { x: 0, y: -127 });
  pad.end(7);
  assert.deepEqual(pad.sample(), { stick: { x: 0, y: 0 }, aim: null, buttons: { action: true, alt: false } }, 'Dash is still held');
  pad.end(3);
  pad.end(42);
  assert.deepEqual(pad.sample().buttons, { action: false, alt: false });
  pad.end(9);
  assert.equal(pad.start(11, 150, 500), 'move', 'with the stick free again a new thumb takes it');
});

test('a resize lays the controls out anew without letting go of the thumbs on them', () => {
  const controls = { buttons: [{ button: 'action', label: 'Dash' }] };
  const pad = new TouchPad(layoutTouch(390, 700, controls));
  const dash = pad.layout.buttons[0];
  pad.start(1, 60, 500);
  pad.move(1, 60 + R, 500);
  pad.start(2, dash.x, dash.y);
  pad.layout = layoutTouch(390, 640, controls);
  assert.deepEqual(pad.sample(), { stick: { x: 127, y: 0 }, aim: null, buttons: { action: true, alt: false } });
});

test('a tap shorter than a tick still presses the button, once', () => {
  const layout = layoutTouch(844, 330, { buttons: [{ button: 'action', label: 'Dash' }, { button: 'alt', label: 'Hide' }] });
  const pad = new TouchPad(layout);
  const [dash, hide] = layout.buttons;
  pad.start(1, hide.x, hide.y);
  pad.end(1);
  assert.deepEqual(pad.sample().buttons, { action: false, alt: true });
  assert.deepEqual(pad.sample().buttons, { action: false, alt: false });
  pad.start(2, dash.x, dash.y + dash.r + 10);
  assert.equal(pad.sample().buttons.action, true, 'just outside the circle still counts');
});

test('an aim stick only for a game that asks: the right half aims, the left moves', () => {
  const plain = new TouchPad(layoutTouch(390, 700, {}));
  plain.start(1, 330, 600);
  plain.move(1, 330 + R, 600);
  assert.deepEqual(plain.sample(), { stick: { x: 127, y: 0 }, aim: null, buttons: { action: false, alt: false } }, 'without aim the whole canvas steers');

  const pad = new TouchPad(layoutTouch(390, 700, { aim: 'aim', buttons: [{ button: 'action', label: 'Fire' }] }));
  assert.deepEqual(pad.sample().aim, { x: 0, y: 0 }, 'asked for, it is there before any touch');
  assert.equal(pad.start(1, 330, 600), 'aim');
  assert.equal(pad.start(2, 60, 600), 'move');
  pad.move(1, 330, 600 - R);
  pad.move(2, 60 - R, 600);
  assert.deepEqual(pad.sample(), { stick: { x: -127, y: 0 }, aim: { x: 0, y: -127 }, buttons: { action: false, alt: false } });
  pad.clear();
  assert.deepEqual(pad.sample(), { stick: { x: 0, y: 0 }, aim: { x: 0, y: 0 }, buttons: { action: false, alt: false } });
});

/** Circles {x, y, r} of every control at rest. */
const circles = (layout) => [
  { ...layout.move, r: layout.radius },
  ...(layout.aim === null ? [] : [{ ...layout.aim, r: layout.radius }]),
  ...layout.buttons,
];

const DASH = { button: 'action', label: 'Dash' };
const HIDE = { button: 'alt', label: 'Hide' };
for (const [what, width, height, side] of [['an upright phone', 390, 700, 'bottom'], ['a phone on its side', 844, 310, 'sides'], ['a tablet', 1024, 700, 'sides']]) {
  for (const controls of [{}, { buttons: [DASH] }, { buttons: [DASH, HIDE] }, { aim: 'aim', buttons: [DASH] }, { aim: 'aim', buttons: [DASH, HIDE] }]) {
    test(`on ${what} the controls (${JSON.stringify(controls)}) sit apart, on the canvas, in the ${side} they reserve`, () => {
      const layout = layoutTouch(width, height, controls);
      const all = circles(layout);
      assert.equal(all.length, 1 + (controls.aim ? 1 : 0) + (controls.buttons?.length ?? 0));
      const { reserved } = layout;
      for (const c of all) {
        assert.ok(c.x - c.r >= 0 && c.x + c.r <= width && c.y - c.r >= 0 && c.y + c.r <= height, `on the canvas: ${JSON.stringify(c)}`);
        if (side === 'bottom') {
          assert.ok(c.y - c.r >= height - reserved.bottom, `in the bottom strip: ${JSON.stringify(c)}`);
        } else {
          assert.ok(c.x + c.r <= reserved.left || c.x - c.r >= width - reserved.right, `in a side band: ${JSON.stringify(c)}`);
        }
      }
      for (const [i, a] of all.entries()) for (const b of all.slice(i + 1)) assert.ok(Math.hypot(a.x - b.x, a.y - b.y) >= a.r + b.r, `${JSON.stringify(a)} and ${JSON.stringify(b)} overlap`);
      assert.equal(side === 'bottom' ? reserved.left + reserved.right : reserved.bottom, 0);
    });
  }
}

test('a lost touchend does not leave a thumb holding the stick', () => {
  const pad = new TouchPad(layoutTouch(390, 700, {}));
  pad.start(1, 60, 600);
  pad.move(1, 60 + 2 * R, 600);
  assert.equal(pad.sample().stick.x, 127);
  // The next touch event lists only touch 4: touch 1's end was never delivered.
  pad.keepOnly([4]);
  assert.deepEqual(pad.sample().stick, { x: 0, y: 0 }, 'the stick lets go');
  assert.equal(pad.start(4, 80, 600), 'move', 'and a new thumb takes it');
});

test('when the thumb on the stick lifts, a second thumb already down takes it over', () => {
  const pad = new TouchPad(layoutTouch(390, 700, {}));
  pad.start(1, 60, 600);
  assert.equal(pad.start(2, 150, 500), null, 'the stick is held');
  pad.move(2, 150, 500 - R);
  pad.end(1);
  assert.deepEqual(pad.sample().stick, { x: 0, y: 0 }, 'the second thumb starts from where it is');
  pad.move(2, 150, 500 - 2 * R);
  assert.equal(pad.sample().stick.y, -127, 'and steers');
  pad.clear();
  assert.deepEqual(pad.sample().stick, { x: 0, y: 0 });
});
