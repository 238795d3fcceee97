// What every browser test file shares: starting the real server binary, one headless
// Chromium per file, players in their own browser contexts (desktop, or a touch phone),
// failure screenshots, and reading the page's `window.tickwire.state()`.
// Server binary: $TICKWIRE_BIN, default ../target/debug/tickwire; Chromium: $CHROMIUM,
// default /usr/bin/chromium. Screenshots of failures go to client-web/test-results/.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

const BIN = process.env.TICKWIRE_BIN ?? fileURLToPath(new URL('../../target/debug/tickwire', import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const RESULTS = fileURLToPath(new URL('../test-results/', import.meta.url));
export const WAIT = { timeout: 30000, polling: 50 };
/** A desktop window. */
export const DESKTOP = { viewport: { width: 1100, height: 700 } };
/** A phone held upright, driven by touch. */
export const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 3 };

/** @typedef {{proc: import('node:child_process').ChildProcess, url: string}} Server */
/** @typedef {import('playwright-core').Page} Page */

/**
 * Starts the server on `addr` and resolves with it and its base URL once it listens.
 * @param {string} addr @param {string[]} extraArgs
 * @returns {Promise<Server>}
 */
export function startServer(addr = '127.0.0.1:0', extraArgs = []) {
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
export function stopServer(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', resolve);
    proc.kill('SIGKILL');
  });
}

/**
 * Sets up a test file: a server (started with `serverArgs`) and a browser for all its
 * tests, and per test the players' pages and what to undo after it.
 * @param {{serverArgs?: string[]}} [opts]
 */
export function browserSuite({ serverArgs = [] } = {}) {
  /** @type {Page[]} */
  const pages = [];
  /** @type {string[]} */
  const pageErrors = [];
  const suite = {
    /** The file's server (a test may replace it). @type {Server} */
    server: /** @type {any} */ (null),
    /** @type {import('playwright-core').Browser} */
    browser: /** @type {any} */ (null),
    /** What to undo after the current test, once failure screenshots are taken. */
    /** @type {(() => Promise<unknown>)[]} */
    cleanups: [],

    /**
     * A fresh player (own browser context, so own localStorage) on the lobby screen.
     * @param {string} name typed into the name field
     * @param {{url?: string, setup?: (page: Page) => Promise<void>, device?: import('playwright-core').BrowserContextOptions, query?: string}} [opts]
     *   setup runs before the page loads; device is DESKTOP unless given; query is appended to the URL
     */
    async newPlayer(name, { url = suite.server.url, setup = async () => {}, device = DESKTOP, query = '' } = {}) {
      const context = await suite.browser.newContext(device);
      const page = await context.newPage();
      page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
      pages.push(page);
      await setup(page);
      await page.goto(url + query);
      await page.fill('#player-name', name);
      return page;
    },

    /**
     * A test whose pages are closed after it; on failure a screenshot of every open page is
     * saved first. Uncaught errors in the pages fail it.
     * @param {string} name @param {() => Promise<void>} body
     */
    browserTest(name, body) {
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
          await Promise.all(suite.cleanups.splice(0).map((undo) => undo()));
        }
      });
    },
  };
  before(async () => {
    suite.server = await startServer('127.0.0.1:0', serverArgs);
    suite.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
    });
  });
  after(async () => {
    await suite.browser?.close();
    if (suite.server) await stopServer(suite.server.proc);
  });
  return suite;
}

/** The page's `window.tickwire.state()`. @param {Page} page */
export const state = (page) => page.evaluate(() => /** @type {any} */ (window).tickwire.state());

/** @param {Page} page @param {string} screen */
export const waitForScreen = (page, screen) => page.waitForFunction((s) => /** @type {any} */ (window).tickwire.state().screen === s, screen, WAIT);

/** The own predicted position [x, y], or null. */
export const ownPos = (/** @type {any} */ s) => (s.own?.Body ? [s.own.Body.x, s.own.Body.y] : null);

/**
 * Creates a lobby of `game` from the lobby screen.
 * @param {Page} page @param {string} name @param {{game?: string, max?: string, isPrivate?: boolean}} [opts]
 */
export async function createLobby(page, name, { game = 'arena', max, isPrivate = false } = {}) {
  await page.selectOption('#lobby-game', game, WAIT);
  await page.fill('#lobby-name', name);
  if (max !== undefined) await page.fill('#lobby-max', max);
  if (isPrivate) await page.check('#lobby-private');
  await page.click('#create-form button[type=submit]');
  await waitForScreen(page, 'game');
}

/**
 * Waits until the page's player stands still where it predicts itself.
 * @param {Page} page
 */
export const waitStill = (page) =>
  page.waitForFunction(
    () => {
      const s = /** @type {any} */ (window).tickwire.state();
      const body = s.entities.find((/** @type {any} */ e) => e.id === s.entity)?.components.Body;
      const own = s.own?.Body;
      return body !== undefined && own !== undefined && body.vx === 0 && body.vy === 0 && body.x === own.x && body.y === own.y;
    },
    null,
    WAIT,
  );

/** Inputs the server at `url` has dropped so far, from its metrics. @param {string} url */
export async function inputsDropped(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return /^tickwire_inputs_dropped_total (\S+)$/m.exec(text)?.[1] ?? 'an unknown number of';
}
