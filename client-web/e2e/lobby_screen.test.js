// Browser test of the lobby screen's details: a message clears once its cause is fixed; a
// Join refused as full turns its row's button to Full at once; two lobbies of one name show
// their hosts, and an empty one that it is closing; an invite link joins in one click with a
// remembered name; a server that stops answering is said so, and once retrying stops there
// is a Try again, both for the lobby list and for the game screen's reconnect (whose banner
// never covers the lobby's title). Clocks are Playwright's fake ones where waits are long.

import assert from 'node:assert/strict';
import { describe } from 'node:test';

import { PHONE, WAIT, browserSuite, createLobby, startServer, state, stopServer, waitForScreen } from './harness.js';

const suite = browserSuite();
const { browserTest, cleanups } = suite;

/** @typedef {import('playwright-core').Page} Page */

/** The row of the lobby named `name` (and showing `text`, if given) on `page`. */
const row = (/** @type {Page} */ page, /** @type {string} */ name, text = '') => page.locator('#lobby-rows tr', { hasText: name }).filter({ hasText: text });

/** Stops `page`'s clock a moment ahead (its time flows on meanwhile): no timer fires after. */
const pauseClock = async (/** @type {Page} */ page) => page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1000);

/**
 * Jumps `page`'s clock ahead in steps until `selector` shows (the page's retries, each
 * after its backoff, fail against a stopped server in between).
 * @param {Page} page @param {string} selector
 */
async function fastForwardUntil(page, selector) {
  const deadline = Date.now() + WAIT.timeout;
  while (!(await page.isVisible(selector))) {
    assert.ok(Date.now() < deadline, `${selector} did not show`);
    await page.clock.fastForward(4000);
  }
}

describe('lobby screen messages and rows', () => {
  browserTest('"pick a name first" clears as soon as a valid name is typed', async () => {
    const cy = await suite.newPlayer('');
    await cy.click('#quick-join');
    await cy.waitForSelector('#lobby-message:has-text("Pick a name first")', WAIT);
    await cy.fill('#player-name', '   ');
    assert.equal(await cy.isVisible('#lobby-message'), true, 'blanks are no name');
    await cy.fill('#player-name', 'Cy');
    assert.equal(await cy.isHidden('#lobby-message'), true, 'gone on typing, before any click');
    assert.equal((await state(cy)).screen, 'lobby');
  });

  browserTest('a Join refused as full turns its row\'s button to Full at once; typing a code clears the refusal', async () => {
    const ada = await suite.newPlayer('Ada');
    await createLobby(ada, 'E2E pair', { max: '2' });
    // Cy's list is the one from before Bo took the last seat: frozen, and the clock stopped.
    /** @type {string | null} */
    let frozen = null;
    const cy = await suite.newPlayer('Cy', {
      setup: async (p) => {
        await p.clock.install();
        await p.route('**/api/lobbies', async (route) => {
          if (frozen === null) return route.continue();
          return route.fulfill({ contentType: 'application/json', body: frozen });
        });
      },
    });
    await row(cy, 'E2E pair').getByRole('button', { name: 'Join' }).waitFor(WAIT);
    frozen = await (await fetch(`${suite.server.url}/api/lobbies`)).text();
    await pauseClock(cy);
    const bo = await suite.newPlayer('Bo');
    await row(bo, 'E2E pair').getByRole('button', { name: 'Join' }).click(WAIT);
    await waitForScreen(bo, 'game');

    await row(cy, 'E2E pair', '1 / 2').getByRole('button', { name: 'Join' }).click(WAIT);
    await cy.waitForSelector('#lobby-message:has-text("That lobby is full.")', WAIT);
    const button = row(cy, 'E2E pair').getByRole('button');
    assert.equal(await button.textContent(), 'Full', 'Full with the refusal, not at the next list');
    assert.equal(await button.isDisabled(), true);
    assert.match((await row(cy, 'E2E pair').textContent()) ?? '', /1 \/ 2/, 'the list itself is still the old one');

    await cy.fill('#join-code', 'SOMEWHERE');
    assert.equal(await cy.isHidden('#lobby-message'), true, 'choosing another lobby clears the refusal');
  });

  browserTest('two lobbies of one name show their hosts; an empty lobby shows it is closing and can still be joined', async () => {
    const ada = await suite.newPlayer('Ada');
    await createLobby(ada, 'E2E twin');
    const bo = await suite.newPlayer('Bo');
    await createLobby(bo, 'E2E twin', { game: 'tag' });
    const dee = await suite.newPlayer('Dee');
    await createLobby(dee, 'E2E abandoned');
    await dee.click('#leave');
    await waitForScreen(dee, 'lobby');

    const cy = await suite.newPlayer('Cy');
    await row(cy, 'E2E twin', 'host Ada').filter({ hasText: 'Orb arena' }).waitFor(WAIT);
    await row(cy, 'E2E twin', 'host Bo').filter({ hasText: 'Tag' }).waitFor(WAIT);
    assert.equal(await row(cy, 'E2E twin').count(), 2);
    const empty = row(cy, 'E2E abandoned', 'closing soon');
    await empty.waitFor(WAIT);
    assert.match((await empty.textContent()) ?? '', /0 \/ 8/);
    await empty.getByRole('button', { name: 'Join' }).click(WAIT);
    await waitForScreen(cy, 'game');
    assert.equal((await state(cy)).lobby, 'E2E abandoned');
  });
});

describe('invite links', () => {
  browserTest('with a remembered name, an invite link joins in one click (on a phone)', async () => {
    const ada = await suite.newPlayer('Ada');
    await createLobby(ada, 'E2E invite', { isPrivate: true });
    const { code } = await state(ada);

    // Bo typed his name on an earlier visit; now he opens the link.
    const bo = await suite.newPlayer('Bo', { device: PHONE });
    await bo.goto(`${suite.server.url}/?code=${code}`);
    assert.equal(await bo.inputValue('#player-name'), 'Bo', 'the name is remembered');
    const join = bo.locator('#invite-join');
    assert.equal(await join.textContent(), `Join ${code}`);
    assert.equal(await bo.evaluate(() => document.activeElement?.id), 'invite-join', 'the one button to press has the focus');
    await join.tap();
    await waitForScreen(bo, 'game');
    assert.equal((await state(bo)).code, code);

    // Used up: back on the lobby screen it is not offered again.
    await bo.click('#leave');
    await waitForScreen(bo, 'lobby');
    assert.equal(await join.isHidden(), true);
    assert.equal(new URL(bo.url()).searchParams.get('code'), null);
  });

  browserTest('without a name, an invite link asks for one: typing it, then one click', async () => {
    const ada = await suite.newPlayer('Ada');
    await createLobby(ada, 'E2E invite', { isPrivate: true });
    const { code } = await state(ada);
    const cy = await suite.newPlayer('', { query: `/?code=${code}` });
    await cy.waitForSelector('#invite:has-text("type your name")', WAIT);
    await cy.fill('#player-name', 'Cy');
    await cy.waitForSelector('#invite:not(:has-text("type your name"))', WAIT);
    await cy.click('#invite-join');
    await waitForScreen(cy, 'game');
    assert.equal((await state(cy)).code, code);
  });
});

describe('while the server is down', () => {
  browserTest('the list says the server is not answering, hides its rows, and offers Try again once it stops asking', async () => {
    const own = await startServer();
    cleanups.push(() => stopServer(own.proc));
    const ada = await suite.newPlayer('Ada', { url: own.url });
    await createLobby(ada, 'E2E listed');
    const cy = await suite.newPlayer('Cy', { url: own.url, setup: (p) => p.clock.install() });
    await row(cy, 'E2E listed').waitFor(WAIT);

    await stopServer(own.proc);
    await fastForwardUntil(cy, '#lobby-list-text:has-text("Trying again in")');
    assert.match((await cy.textContent('#lobby-list-text')) ?? '', /The server is not answering/);
    assert.equal(await cy.isHidden('#lobby-table'), true, 'no Join buttons for a server that is down');
    assert.equal(await cy.isHidden('#lobby-retry'), true, 'still trying by itself');

    await fastForwardUntil(cy, '#lobby-retry');
    assert.doesNotMatch((await cy.textContent('#lobby-list-text')) ?? '', /Trying again/, 'it stopped asking');
    const up = await startServer(new URL(own.url).host);
    cleanups.push(() => stopServer(up.proc));
    await cy.click('#lobby-retry');
    await cy.waitForSelector('#lobby-list-text:has-text("No public lobbies yet")', WAIT);
    assert.equal(await cy.isHidden('#lobby-retry'), true);
  });

  browserTest('in a game, reconnecting stops after a while with Try again; the banner takes its own room above the lobby title', async () => {
    const own = await startServer();
    cleanups.push(() => stopServer(own.proc));
    const ada = await suite.newPlayer('Ada', { url: own.url, setup: (p) => p.clock.install() });
    await createLobby(ada, 'E2E lost server');
    await stopServer(own.proc);
    await ada.waitForSelector('#banner:has-text("Reconnecting in")', WAIT);
    const [banner, title] = await Promise.all([ada.locator('#banner').boundingBox(), ada.locator('#lobby-title').boundingBox()]);
    assert.ok(banner !== null && title !== null);
    assert.ok(banner.y + banner.height <= title.y, `the banner (to ${banner.y + banner.height}) is above the title (from ${title.y})`);
    assert.equal(await ada.isHidden('#banner-retry'), true, 'still trying by itself');

    await fastForwardUntil(ada, '#banner-retry');
    assert.match((await ada.textContent('#banner')) ?? '', /Could not reconnect/);
    const up = await startServer(new URL(own.url).host);
    cleanups.push(() => stopServer(up.proc));
    await ada.click('#banner-retry');
    // The restarted server has no such lobby: back to the lobby screen, saying so.
    await waitForScreen(ada, 'lobby');
    await ada.waitForSelector('#lobby-message:has-text("Could not get back into the lobby")', WAIT);
    assert.equal(await ada.isHidden('#banner'), true);
  });
});
