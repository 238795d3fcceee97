// Browser test: the server dashboard at /dashboard, on the real server binary (started with
// an admin token) and Debian's Chromium. While a player plays in an orb arena lobby, the
// operator's page lists the lobby with its game and its figures move (bytes out per second
// above zero, the lobby's tick count growing). It is read-only until the admin token is
// entered; a wrong token is refused in words; with the right one the lobby's Close button
// sends the player back to the lobby screen, told why.

import assert from 'node:assert/strict';
import { describe } from 'node:test';

import { browserSuite, createLobby, DESKTOP, PHONE, state, waitForScreen, WAIT } from './harness.js';

const TOKEN = 'e2e-admin-token-0123456789';
const suite = browserSuite({ serverArgs: ['--admin-token', TOKEN] });
const { browserTest, cleanups } = suite;

/** @typedef {import('playwright-core').Page} Page */

/**
 * The operator's page on `device`, in a context of its own (closed after the test); fails
 * the test on an uncaught error in it.
 * @param {import('playwright-core').BrowserContextOptions} device
 * @returns {Promise<{page: Page, errors: string[]}>}
 */
async function openDashboard(device) {
  const context = await suite.browser.newContext(device);
  cleanups.push(() => context.close());
  const page = await context.newPage();
  /** @type {string[]} */
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${suite.server.url}/dashboard`);
  return { page, errors };
}

/** The row of the lobby named `name`. @param {Page} page @param {string} name */
const lobbyRow = (page, name) => page.locator('tr.lobby', { has: page.locator('.lobby-name', { hasText: name }) });

/** A cell's raw figure. @param {import('playwright-core').Locator} row @param {string} field */
const figure = async (row, field) => Number(await row.locator(`[data-field="${field}"]`).getAttribute('data-value'));

describe('server dashboard', () => {
  browserTest('shows a lobby being played, live', async () => {
    const ada = await suite.newPlayer('Ada');
    await createLobby(ada, 'E2E dashboard');
    await ada.keyboard.down('KeyD');
    const { page, errors } = await openDashboard(DESKTOP);

    const row = lobbyRow(page, 'E2E dashboard');
    await row.waitFor(WAIT);
    assert.equal(await row.locator('[data-field="game"]').textContent(), 'arena');
    assert.equal(await row.locator('[data-field="players"]').textContent(), '1 / 8');
    await page.waitForFunction(() => Number(document.querySelector('[data-figure="bytes_out"]')?.getAttribute('data-value')) > 0, null, WAIT);
    const tick = await figure(row, 'tick');
    await page.waitForFunction(
      ([name, before]) => {
        const rows = [...document.querySelectorAll('tr.lobby')];
        const row = rows.find((r) => r.querySelector('.lobby-name')?.textContent === name);
        return Number(row?.querySelector('[data-field="tick"]')?.getAttribute('data-value')) > before;
      },
      /** @type {const} */ (['E2E dashboard', tick]),
      WAIT,
    );
    assert.ok((await figure(row, 'out')) > 0, "the lobby's bytes out per second");
    assert.equal(await page.textContent('#live-text'), 'Live');
    assert.equal(await row.locator('button', { hasText: 'Close' }).isVisible(), false, 'read-only without the token');
    assert.equal(await page.locator('.player').count(), 0, 'no player names without the token');
    await ada.keyboard.up('KeyD');
    assert.deepEqual(errors, []);
  });

  browserTest('with the admin token, closes a lobby and its player is told', async () => {
    const bo = await suite.newPlayer('Bo');
    await createLobby(bo, 'E2E to close');
    const { page, errors } = await openDashboard(PHONE);
    const row = lobbyRow(page, 'E2E to close');
    await row.waitFor(WAIT);

    await page.fill('#token', 'not-the-admin-token-at-all');
    await page.click('#token-form button[type=submit]');
    await page.waitForFunction(() => document.getElementById('dash-message')?.textContent?.includes('refused that token'), null, WAIT);
    assert.equal(await page.isVisible('#token-form'), true, 'asked for the token again');

    await page.fill('#token', TOKEN);
    await page.click('#token-form button[type=submit]');
    await page.locator('.player', { hasText: 'Bo' }).waitFor(WAIT);
    await page.fill('#reason', 'maintenance');
    await row.locator('button', { hasText: 'Close' }).click();
    await page.waitForFunction(() => document.getElementById('dash-message')?.textContent?.startsWith('Closed'), null, WAIT);
    await row.waitFor({ state: 'detached', ...WAIT });

    await waitForScreen(bo, 'lobby');
    assert.match((await state(bo)).lobbyMessage, /closed/i);
    assert.deepEqual(errors, []);
  });
});
