// Browser test: the real server binary and Debian's Chromium. Two players pick names, one
// creates a lobby and the other joins it by code; one moves with the keyboard and the other
// sees it move, with no prediction corrections (at 30, 10 and 60 Hz). The lobby list, quick
// join and leaving work; refusals, a dropped connection and a lost server show in words.
// Server binary: $TICKWIRE_BIN, default ../target/debug/tickwire. Screenshots of failures
// go to client-web/test-results/.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { chromium } from 'playwright-core';

const BIN = process.env.TICKWIRE_BIN ?? fileURLToPath(new URL('../../target/debug/tickwire', import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const RESULTS = fileURLToPath(new URL('../test-results/', import.meta.url));
const WAIT = { timeout: 30000, polling: 50 };

/**
 * Starts the server on `addr` and resolves with it and its base URL once it listens.
 * @param {string} addr
 */
function startServer(addr = '127.0.0.1:0', extraArgs = /** @type {string[]} */ ([])) {
  const proc = spawn(BIN, ['--addr', addr, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${output}`)), 30000);
    const onData = (/** @type {Buffer} */ chunk) => {
      output += chunk;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1] });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('error', (e) => reject(new Error(`cannot run ${BIN}: ${e.message} (build it with cargo build -p tickwire-server, or set TICKWIRE_BIN)`)));
    proc.on('exit', (code) => reject(new Error(`server exited with ${code} before listening:\n${output}`)));
  });
}

/** @param {import('node:child_process').ChildProcess} proc */
function stopServer(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', resolve);
    proc.kill('SIGKILL');
  });
}

/** @type {{proc: import('node:child_process').ChildProcess, url: string}} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('playwright-core').Page[]} */
const pages = [];
/** @type {string[]} */
const pageErrors = [];
/** What to undo after the current test, once failure screenshots are taken. */
/** @type {(() => Promise<unknown>)[]} */
const cleanups = [];

before(async () => {
  server = await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  if (server) await stopServer(server.proc);
});

/**
 * A fresh player (own browser context, so own localStorage) on the lobby screen.
 * @param {string} name @param {string} url
 * @param {(page: import('playwright-core').Page) => Promise<void>} [setup] runs before the page loads
 */
async function newPlayer(name, url = server.url, setup = async () => {}) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
  pages.push(page);
  await setup(page);
  await page.goto(url);
  await page.fill('#player-name', name);
  return page;
}

/** @param {import('playwright-core').Page} page */
const state = (page) => page.evaluate(() => /** @type {any} */ (window).tickwire.state());

/**
 * Runs a test body; on failure saves a screenshot of every open page first.
 * @param {string} name @param {() => Promise<void>} body
 */
function browserTest(name, body) {
  test(name, async () => {
    pageErrors.length = 0;
    try {
      await body();
      assert.deepEqual(pageErrors, [], 'no uncaught errors in the pages');
    } catch (e) {
      mkdirSync(RESULTS, { recursive: true });
      const slug = name.replace(/\W+/g, '-');
      await Promise.all(pages.map((p, i) => (p.isClosed() ? null : p.screenshot({ path: `${RESULTS}${slug}-${i}.png` }).catch(() => null))));
      throw e;
    } finally {
      await Promise.all(pages.splice(0).map((p) => p.context().close()));
      await Promise.all(cleanups.splice(0).map((undo) => undo()));
    }
  });
}

/** @param {import('playwright-core').Page} page @param {string} screen */
const waitForScreen = (page, screen) => page.waitForFunction((s) => /** @type {any} */ (window).tickwire.state().screen === s, screen, WAIT);

/**
 * Ada creates a private lobby, Bo joins it by code; Ada holds D until Bo sees her move
 * 100 units right, then lets go. Checks that her prediction needed no correction and that
 * where she stopped is where the server, and so Bo, has her.
 * @param {string} url
 */
async function playTogether(url) {
  const ada = await newPlayer('Ada', url);
  await ada.fill('#lobby-name', 'E2E private');
  await ada.check('#lobby-private');
  await ada.click('#create-form button[type=submit]');
  await waitForScreen(ada, 'game');
  const { code, entity: adaEntity } = await state(ada);
  assert.match(code, /\S+/);
  assert.equal(await ada.textContent('#lobby-code'), code, 'the join code is shown to invite others');

  const bo = await newPlayer('Bo', url);
  await bo.fill('#join-code', code);
  await bo.click('#join-form button[type=submit]');
  await waitForScreen(bo, 'game');
  await bo.waitForFunction((id) => /** @type {any} */ (window).tickwire.state().entities.some((e) => e.id === id), adaEntity, WAIT);
  await ada.waitForFunction(() => /** @type {any} */ (window).tickwire.state().roster.length === 2, null, WAIT);
  const names = await ada.evaluate(() => /** @type {any} */ (window).tickwire.state().roster.map((p) => p.name).sort());
  assert.deepEqual(names, ['Ada', 'Bo']);

  const seenBefore = (await state(bo)).entities.find((e) => e.id === adaEntity).pos;
  await ada.keyboard.down('KeyD');
  await bo.waitForFunction(
    ([id, x]) => /** @type {any} */ (window).tickwire.state().entities.find((e) => e.id === id)?.pos[0] > x + 1600,
    [adaEntity, seenBefore[0]],
    WAIT,
  );
  await ada.keyboard.up('KeyD');
  // Once Ada has stopped, the server's state of her entity is exactly her prediction...
  await ada.waitForFunction(
    () => {
      const s = /** @type {any} */ (window).tickwire.state();
      const own = s.entities.find((e) => e.id === s.entity);
      return own?.vel.join() === '0,0' && own.pos.join() === s.ownPos?.join();
    },
    null,
    WAIT,
  );
  const stoppedAt = (await state(ada)).ownPos;
  // ...and that is where Bo sees her.
  await bo.waitForFunction(
    ([id, pos]) => /** @type {any} */ (window).tickwire.state().entities.find((e) => e.id === id)?.pos.join() === pos.join(),
    [adaEntity, stoppedAt],
    WAIT,
  );
  assert.ok(stoppedAt[0] > seenBefore[0] + 1600, `Ada stopped at ${stoppedAt}, started at ${seenBefore}`);
  assert.equal((await state(ada)).corrections, 0, 'no mispredictions without loss');
  assert.equal((await state(bo)).corrections, 0);
}

describe('two players in one lobby', () => {
  browserTest('a private lobby joined by code: one moves, the other sees it, zero corrections', () => playTogether(server.url));

  for (const rate of [10, 60]) {
    browserTest(`the same at ${rate} Hz`, async () => {
      const other = await startServer('127.0.0.1:0', ['--tick-rate', String(rate)]);
      cleanups.push(() => stopServer(other.proc));
      await playTogether(other.url);
    });
  }
});

describe('lobby screen', () => {
  browserTest('public lobbies are listed and joinable; refusals are shown in words; leaving frees the seat', async () => {
    const ada = await newPlayer('Ada');
    await ada.fill('#lobby-name', 'E2E duo');
    await ada.fill('#lobby-max', '2');
    await ada.click('#create-form button[type=submit]');
    await waitForScreen(ada, 'game');
    const { code } = await state(ada);

    const bo = await newPlayer('Bo');
    const row = bo.locator('#lobby-rows tr', { hasText: 'E2E duo' });
    await row.getByRole('button', { name: 'Join' }).click(WAIT);
    await waitForScreen(bo, 'game');

    const cy = await newPlayer('');
    await cy.click('#quick-join');
    await cy.waitForSelector('#lobby-message:has-text("Pick a name first")', WAIT);
    await cy.fill('#player-name', 'Cy');
    await cy.locator('#lobby-rows tr', { hasText: 'E2E duo' }).getByRole('button', { name: 'Full' }).waitFor(WAIT);
    await cy.fill('#join-code', code);
    await cy.click('#join-form button[type=submit]');
    await cy.waitForSelector('#lobby-message:has-text("That lobby is full.")', WAIT);
    await cy.fill('#join-code', 'NO-SUCH-CODE');
    await cy.click('#join-form button[type=submit]');
    await cy.waitForSelector('#lobby-message:has-text("There is no lobby with that code")', WAIT);
    assert.equal((await state(cy)).screen, 'lobby');

    await bo.click('#leave');
    await waitForScreen(bo, 'lobby');
    await ada.waitForFunction(() => /** @type {any} */ (window).tickwire.state().roster.length === 1, null, WAIT);
    await cy.fill('#join-code', code);
    await cy.click('#join-form button[type=submit]');
    await waitForScreen(cy, 'game');
  });

  browserTest('quick join puts two players in the same lobby', async () => {
    const ada = await newPlayer('Ada');
    await ada.click('#quick-join');
    await waitForScreen(ada, 'game');
    const bo = await newPlayer('Bo');
    await bo.click('#quick-join');
    await waitForScreen(bo, 'game');
    assert.equal((await state(bo)).code, (await state(ada)).code);
  });
});

describe('losing the connection', () => {
  browserTest('a dropped connection says so, reconnects and rejoins the same lobby by its code', async () => {
    /** Ada's WebSockets, proxied so the test can cut them: [page side, server side]. */
    /** @type {[import('playwright-core').WebSocketRoute, import('playwright-core').WebSocketRoute][]} */
    const sockets = [];
    const ada = await newPlayer('Ada', server.url, (page) =>
      page.routeWebSocket(/\/ws$/, (ws) => {
        sockets.push([ws, ws.connectToServer()]);
      }),
    );
    await ada.fill('#lobby-name', 'E2E flaky link');
    await ada.click('#create-form button[type=submit]');
    await waitForScreen(ada, 'game');
    const before = await state(ada);
    const bo = await newPlayer('Bo');
    await bo.fill('#join-code', before.code);
    await bo.click('#join-form button[type=submit]');
    await waitForScreen(bo, 'game');

    await Promise.all(sockets[0].map((side) => side.close({ code: 4000, reason: 'test drops the link' })));
    await ada.waitForSelector('#banner:has-text("Connection lost")', WAIT);
    // Back in a lobby under a new connection: a new client id and a new entity.
    await ada.waitForFunction(
      (old) => {
        const s = /** @type {any} */ (window).tickwire.state();
        return s.screen === 'game' && s.entity !== old.entity && s.clientId !== old.clientId;
      },
      before,
      WAIT,
    );
    const after = await state(ada);
    assert.equal(sockets.length, 2, 'one reconnect');
    assert.equal(after.code, before.code, 'back in the same lobby');
    assert.equal(await ada.isHidden('#banner'), true);
    // Bo sees Ada's new entity, and the roster has both again.
    await bo.waitForFunction((id) => /** @type {any} */ (window).tickwire.state().entities.some((e) => e.id === id), after.entity, WAIT);
    await bo.waitForFunction(() => /** @type {any} */ (window).tickwire.state().roster.length === 2, null, WAIT);
  });
});

describe('losing the server', () => {
  browserTest('a banner says the connection is lost, the client reconnects and says why it cannot rejoin', async () => {
    const ada = await newPlayer('Ada');
    await ada.fill('#lobby-name', 'E2E doomed');
    await ada.click('#create-form button[type=submit]');
    await waitForScreen(ada, 'game');
    const addr = new URL(server.url).host;
    await stopServer(server.proc);
    await ada.waitForSelector('#banner:has-text("Connection lost")', WAIT);
    assert.equal((await state(ada)).connected, false);
    server = await startServer(addr);
    // The new server has no such lobby: the client reconnects, tries to rejoin by code and says so.
    await waitForScreen(ada, 'lobby');
    await ada.waitForSelector('#lobby-message:has-text("Could not get back into the lobby")', WAIT);
    assert.equal(await ada.isHidden('#banner'), true);
    assert.equal((await state(ada)).connected, true);
  });
});
