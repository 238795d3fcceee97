// Browser test: the net graph. A player opens it with its button (a click on a desktop, a
// tap on a phone): the canvas shows in the HUD, clear of the game, drawn sharp for the
// screen, and its figures move (bytes come down, the round trip is known). N closes it and
// then it draws nothing; the choice is remembered on the next visit. Screenshots of the open
// graph (3 s of history) go to test-results/ (netgraph-desktop.png, netgraph-phone.png).

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe } from 'node:test';

import { PHONE, WAIT, browserSuite, createLobby, state } from './harness.js';

const RESULTS = fileURLToPath(new URL('../test-results/', import.meta.url));
const LAPTOP = { viewport: { width: 1280, height: 800 } };

const suite = browserSuite();
const { browserTest } = suite;

/** @param {{x: number, y: number, width: number, height: number}} a @param {{x: number, y: number, width: number, height: number}} b */
const overlap = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** The bounding box of `selector`, which must be on screen. @param {import('playwright-core').Page} page @param {string} selector */
async function box(page, selector) {
  const b = await page.locator(selector).boundingBox();
  assert.ok(b !== null && b.width > 0 && b.height > 0, `${selector} is shown`);
  return b;
}

/**
 * Checks the open graph: drawn, in the HUD and clear of the game, sharp, figures moving.
 * @param {import('playwright-core').Page} page
 */
async function checkOpen(page) {
  await page.waitForFunction(() => /** @type {any} */ (window).tickwire.state().net.draws > 0, null, WAIT);
  const graph = await box(page, '#netgraph-canvas');
  const game = await box(page, '#view');
  const hud = await box(page, '#hud');
  assert.ok(!overlap(graph, game), `the graph ${JSON.stringify(graph)} covers none of the game ${JSON.stringify(game)}`);
  assert.ok(graph.x >= hud.x && graph.x + graph.width <= hud.x + hud.width + 0.5, 'the graph fits the width of the HUD');
  const sharp = await page.$eval('#netgraph-canvas', (c) => /** @type {HTMLCanvasElement} */ (c).width === Math.round(c.clientWidth * devicePixelRatio));
  assert.ok(sharp, 'one canvas pixel per screen pixel');

  const before = (await state(page)).net;
  await page.waitForFunction(
    (down) => {
      const net = /** @type {any} */ (window).tickwire.state().net;
      return net.rttMs !== null && net.bytesDown > down && net.bytesDownPerSecond > 0 && net.bytesUpPerSecond > 0 && net.delayMs > 0;
    },
    before.bytesDown,
    WAIT,
  );
  const net = (await state(page)).net;
  assert.equal(net.fullRequests, 0, 'no full snapshot asked for over loopback');
  assert.ok(Number.isInteger(net.snapshotsMissed), 'snapshots missed is counted');
  const label = await page.getAttribute('#netgraph-canvas', 'aria-label');
  assert.match(String(label), /Round trip \d+(\.\d)? ms/);
  assert.match(String(label), /Download \d+(\.\d)? k?B\/s/);
}

describe('the net graph', () => {
  browserTest('opens with its button, stays clear of the game, shows moving figures; N closes it and it rests', async () => {
    const ada = await suite.newPlayer('Ada', { device: LAPTOP });
    await createLobby(ada, 'Net graph');
    assert.equal((await state(ada)).net.shown, false, 'closed on a first visit');
    assert.ok(await ada.isHidden('#netgraph-canvas'));
    await ada.click('#netgraph-toggle');
    assert.equal((await state(ada)).net.shown, true);
    await checkOpen(ada);
    await ada.waitForFunction(() => /** @type {any} */ (window).tickwire.state().net.samples >= 12, null, WAIT);
    mkdirSync(RESULTS, { recursive: true });
    await ada.screenshot({ path: `${RESULTS}netgraph-desktop.png` });

    await ada.keyboard.press('KeyN');
    assert.equal((await state(ada)).net.shown, false);
    assert.ok(await ada.isHidden('#netgraph-canvas'));
    // Closed, it keeps sampling (so it opens with a history) but draws nothing.
    const { draws, bytesDown } = (await state(ada)).net;
    await ada.waitForFunction((down) => /** @type {any} */ (window).tickwire.state().net.bytesDown > down, bytesDown, WAIT);
    assert.equal((await state(ada)).net.draws, draws, 'no drawing while closed');

    await ada.keyboard.press('F3');
    assert.equal((await state(ada)).net.shown, true, 'F3 opens it too');
    await ada.reload();
    await ada.fill('#player-name', 'Ada');
    await createLobby(ada, 'Net graph again');
    assert.equal((await state(ada)).net.shown, true, 'remembered from the last visit');
    await ada.waitForFunction(() => /** @type {any} */ (window).tickwire.state().net.draws > 0, null, WAIT);
  });

  browserTest('on a phone a tap opens it, inside the HUD and clear of the game', async () => {
    const bo = await suite.newPlayer('Bo', { device: PHONE });
    await createLobby(bo, 'Net graph phone');
    await bo.tap('#netgraph-toggle');
    assert.equal((await state(bo)).net.shown, true);
    await checkOpen(bo);
    await bo.waitForFunction(() => /** @type {any} */ (window).tickwire.state().net.samples >= 12, null, WAIT);
    await bo.locator('#netgraph-panel').scrollIntoViewIfNeeded();
    mkdirSync(RESULTS, { recursive: true });
    await bo.screenshot({ path: `${RESULTS}netgraph-phone.png` });
    await bo.tap('#netgraph-toggle');
    assert.equal((await state(bo)).net.shown, false, 'a second tap closes it');
  });
});
