// The top-down drawing helpers' geometry: the map as big as the canvas allows (turned on an
// upright phone, clear of the touch controls where that costs little), sticks turned with
// it so that right on the screen is right on the screen, and labels kept on the canvas.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fitMap, labelSpot, screenToMap } from '../../src/games/topdown/view.js';

const ARENA = { width: 1600 * 16, height: 1000 * 16 };
const NONE = { top: 0, right: 0, bottom: 0, left: 0 };

/** Whether rect a lies inside rect b (CSS pixels, 0.5 px slack). */
const inside = (a, b) => a.x >= b.x - 0.5 && a.y >= b.y - 0.5 && a.x + a.width <= b.x + b.width + 0.5 && a.y + a.height <= b.y + b.height + 0.5;

test('on a desktop window the map is upright, centred and as large as fits', () => {
  const t = fitMap({ width: 860, height: 700, reserved: NONE }, ARENA);
  assert.equal(t.turned, false);
  assert.ok(Math.abs(t.rect.width - (860 - 24)) < 1e-6, `${t.rect.width}`);
  assert.ok(Math.abs(t.rect.y - (700 - t.rect.height) / 2) < 1e-6);
  assert.deepEqual(t.at(0, 0), { x: t.rect.x, y: t.rect.y });
});

test('on an upright phone a landscape map is turned, fills the width and keeps clear of the controls strip', () => {
  const surface = { width: 390, height: 700, reserved: { ...NONE, bottom: 152 } };
  const t = fitMap(surface, ARENA);
  assert.equal(t.turned, true);
  const uprightScale = (390 - 24) / ARENA.width;
  assert.ok(t.scale > 1.4 * uprightScale, `turned it is over 1.4 times as large: ${t.scale} vs ${uprightScale}`);
  assert.ok(inside(t.rect, { x: 0, y: 0, width: 390, height: 700 - 152 }), `clear of the strip: ${JSON.stringify(t.rect)}`);
  // The map's corners land on the rect's: (0, 0), its top left, is at the top right.
  assert.deepEqual(t.at(0, 0), { x: t.rect.x + t.rect.width, y: t.rect.y });
  const far = t.at(ARENA.width, ARENA.height);
  assert.ok(Math.abs(far.x - t.rect.x) < 1e-6 && Math.abs(far.y - (t.rect.y + t.rect.height)) < 1e-6);
});

test('on a phone on its side the map stays upright between the side bands', () => {
  const t = fitMap({ width: 844, height: 310, reserved: { ...NONE, left: 152, right: 152 } }, ARENA);
  assert.equal(t.turned, false);
  assert.ok(inside(t.rect, { x: 152, y: 0, width: 844 - 304, height: 310 }), JSON.stringify(t.rect));
});

test('where keeping clear would shrink the map a lot, it uses the whole canvas, off the controls as far as it can', () => {
  const t = fitMap({ width: 900, height: 600, reserved: { ...NONE, left: 300, right: 300 } }, ARENA);
  assert.ok(t.rect.width > 800, `${t.rect.width}`);
  assert.ok(Math.abs(t.rect.x - (900 - t.rect.width) / 2) < 1e-6, 'overlapping both bands alike');
});

test('a stick pushed any way on the screen moves the player that way on the screen, turned or not', () => {
  for (const surface of [{ width: 390, height: 700, reserved: NONE }, { width: 1100, height: 700, reserved: NONE }]) {
    const t = fitMap(surface, ARENA);
    for (const push of [{ x: 127, y: 0 }, { x: 0, y: -127 }, { x: -90, y: 90 }]) {
      const m = screenToMap(push, t);
      const from = t.at(8000, 8000);
      const to = t.at(8000 + m.x, 8000 + m.y);
      const [dx, dy] = [to.x - from.x, to.y - from.y];
      assert.ok(Math.abs(dx / t.scale - push.x) < 1e-6 && Math.abs(dy / t.scale - push.y) < 1e-6, `${t.turned ? 'turned' : 'upright'} ${JSON.stringify(push)} -> ${dx}, ${dy}`);
    }
  }
  assert.deepEqual(screenToMap({ x: 0, y: 0 }, fitMap({ width: 390, height: 700, reserved: NONE }, ARENA)), { x: 0, y: 0 });
  assert.ok(Object.is(screenToMap({ x: 0, y: 5 }, { turned: true }).y, 0), 'no negative zero');
});

test('labels stay on the canvas: pushed in from the sides, below the body at the top', () => {
  const surface = { width: 390, height: 700 };
  assert.deepEqual(labelSpot(surface, 200, 300, 8, 80), { x: 200, y: 286, below: false });
  assert.deepEqual(labelSpot(surface, 3, 300, 8, 80), { x: 42, y: 286, below: false });
  assert.deepEqual(labelSpot(surface, 388, 300, 8, 80), { x: 348, y: 286, below: false });
  const top = labelSpot(surface, 200, 12, 8, 80);
  assert.equal(top.below, true);
  assert.equal(top.y, 26);
});
