// Browser test: playing by touch on a phone held upright (390 x 844, touch emulation). A
// player creates an orb arena lobby, sees the touch controls and a hint in touch words,
// drags the floating stick and moves (as predicted and as the server has it, with zero
// corrections); a key press hands over to the keyboard. In tag, tapping Dash dashes. On a
// desktop no touch controls show and the hint names keys.

import assert from 'node:assert/strict';
import { describe } from 'node:test';

import { DESKTOP, PHONE, WAIT, browserSuite, createLobby, ownPos, state, waitStill } from './harness.js';

const suite = browserSuite();
const { browserTest } = suite;

/** @typedef {import('playwright-core').Page} Page */

/** The server's Body of the page's own entity, or null. */
const serverBody = (/** @type {any} */ s) => s.entities.find((/** @type {any} */ e) => e.id === s.entity)?.components.Body ?? null;

/**
 * One finger on the page's touch screen, by CDP (Playwright's touchscreen only taps).
 * @param {Page} page
 */
async function finger(page) {
  const cdp = await page.context().newCDPSession(page);
  const send = (/** @type {string} */ type, /** @type {{x: number, y: number}[]} */ points) =>
    cdp.send('Input.dispatchTouchEvent', { type: /** @type {any} */ (type), touchPoints: points.map((p) => ({ ...p, id: 1 })) });
  return {
    down: (/** @type {number} */ x, /** @type {number} */ y) => send('touchStart', [{ x, y }]),
    moveTo: (/** @type {number} */ x, /** @type {number} */ y) => send('touchMove', [{ x, y }]),
    up: () => send('touchEnd', []),
  };
}

/** @param {Page} page */
const hint = (page) => page.textContent('#game-hint');

/** @param {Page} page */
async function stageBox(page) {
  const box = await page.locator('#stage').boundingBox();
  assert.ok(box !== null, 'the canvas is on the page');
  return box;
}

describe('touch', () => {
  browserTest('on a phone the stick shows, a drag moves the player as predicted and as the server has it, zero corrections', async () => {
    const ada = await suite.newPlayer('Ada', { device: PHONE });
    await createLobby(ada, 'E2E touch');
    await ada.locator('#touch-controls .touch-stick.move').waitFor(WAIT);
    assert.equal(await hint(ada), 'Drag to move. Grab the orbs.');
    await waitStill(ada);
    const start = serverBody(await state(ada));

    // A thumb lands on the left half of the canvas (not on the resting stick: it floats)
    // and drags down past the deadzone; held until the server has the player 100 units on.
    const stage = await stageBox(ada);
    const [x, y] = [stage.x + 90, stage.y + stage.height / 2];
    const thumb = await finger(ada);
    await thumb.down(x, y);
    for (let dy = 10; dy <= 50; dy += 10) await thumb.moveTo(x, y + dy);
    await ada.waitForFunction(
      (from) => {
        const s = /** @type {any} */ (window).tickwire.state();
        const b = s.entities.find((/** @type {any} */ e) => e.id === s.entity)?.components.Body;
        return b !== undefined && Math.hypot(b.x - from.x, b.y - from.y) > 1600;
      },
      start,
      WAIT,
    );
    assert.equal(await ada.locator('.touch-stick.move.active').count(), 1, 'the stick is drawn where the thumb is');
    await thumb.up();

    await waitStill(ada);
    const s = await state(ada);
    const end = serverBody(s);
    assert.deepEqual(ownPos(s), [end.x, end.y], 'the prediction ends where the server has the player');
    assert.ok(Math.hypot(end.x - start.x, end.y - start.y) > 1600, `moved from ${start.x},${start.y} to ${end.x},${end.y}`);
    assert.equal(s.corrections, 0, 'no mispredictions');

    // A key press hands over to the keyboard: the controls go and the hint names keys.
    await ada.keyboard.press('KeyD');
    await ada.locator('#touch-controls').waitFor({ state: 'hidden', ...WAIT });
    assert.match(await hint(ada), /WASD/);
    await ada.touchscreen.tap(stage.x + 90, stage.y + 90);
    await ada.locator('#touch-controls').waitFor(WAIT);
    assert.match(await hint(ada), /^Drag to move/);
  });

  browserTest('in tag, tapping Dash dashes', async () => {
    const ada = await suite.newPlayer('Ada', { device: PHONE });
    await createLobby(ada, 'E2E touch tag', { game: 'tag' });
    const dash = ada.locator('#touch-controls .touch-button', { hasText: 'Dash' });
    await dash.waitFor(WAIT);
    assert.equal(await hint(ada), 'Drag to move, tap Dash. Red is it: touch someone to pass it on.');
    await ada.waitForFunction(() => /** @type {any} */ (window).tickwire.state().own?.Runner !== undefined, null, WAIT);
    assert.equal((await state(ada)).own.Runner.cooldown, 0, 'the dash is ready');

    const box = await dash.boundingBox();
    assert.ok(box !== null);
    await ada.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
    // The dash starts its cooldown in the prediction and on the server.
    await ada.waitForFunction(
      () => {
        const s = /** @type {any} */ (window).tickwire.state();
        const runner = s.entities.find((/** @type {any} */ e) => e.id === s.entity)?.components.Runner;
        return s.own?.Runner.cooldown > 0 && runner?.cooldown > 0;
      },
      null,
      WAIT,
    );
    assert.equal((await state(ada)).corrections, 0, 'no mispredictions');
  });

  browserTest('on a desktop no touch controls show and the hint names keys', async () => {
    const bo = await suite.newPlayer('Bo', { device: DESKTOP });
    await createLobby(bo, 'E2E desktop', { game: 'tag' });
    await bo.waitForFunction(() => document.getElementById('game-hint')?.textContent !== '', null, WAIT);
    assert.equal(await hint(bo), 'Move: WASD or arrow keys (or a gamepad). Dash: Space. Red is it: touch someone to pass it on.');
    assert.equal(await bo.locator('#touch-controls').isVisible(), false);
  });
});
