// Browser test: the real server binary and Debian's Chromium. Two players pick names, one
// creates a lobby and the other joins it by code; one moves with the keyboard and the other
// sees it move, with no prediction corrections (at 30, 10 and 60 Hz). The lobby list, quick
// join and leaving work; refusals show in words. A dropped connection resumes the same seat
// (or, once the seat is given up, rejoins by code); a lost server shows in words.
// Server binary: $TICKWIRE_BIN, default ../target/debug/tickwire. Screenshots of failures
// go to client-web/test-results/.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { chromium } from 'playwright-core';

const BIN = process.env.TICKWIRE_BIN ?? fileURLToPath(new URL('../../target/debug/tickwire', import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const RESULTS = fileURLToPath(new URL('../test-results/', import.meta.url));
const WAIT = { timeout: 30000, polling: 50 };
/** The map the server plays by default; positions in the game state are in sixteenths of its units. */
const ARENA = JSON.parse(readFileSync(new URL('../../assets/maps/arena.json', import.meta.url), 'utf8'));
const SUBUNITS = 16;

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
  const lost = `no mispredictions without loss (the server dropped ${await inputsDropped(url)} inputs)`;
  assert.equal((await state(ada)).corrections, 0, lost);
  assert.equal((await state(bo)).corrections, 0, lost);
}

/** Inputs the server at `url` has dropped so far, from its metrics. @param {string} url */
async function inputsDropped(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return /^tickwire_inputs_dropped_total (\S+)$/m.exec(text)?.[1] ?? 'an unknown number of';
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

/**
 * A player whose WebSockets are proxied so the test can cut them and keep reconnections
 * from reaching the server (they are closed at once) until it lets them through again.
 * @param {string} name @param {string} url
 */
async function flakyPlayer(name, url = server.url) {
  /** Sockets that reached the server: [page side, server side]. */
  /** @type {[import('playwright-core').WebSocketRoute, import('playwright-core').WebSocketRoute][]} */
  const sockets = [];
  const link = {
    sockets,
    up: true,
    /** Cuts every socket and keeps new ones from reaching the server until `restore`. */
    async cut() {
      link.up = false;
      await Promise.all(sockets.flat().map((side) => side.close({ code: 4000, reason: 'test drops the link' })));
    },
    restore() {
      link.up = true;
    },
  };
  const page = await newPlayer(name, url, (p) =>
    p.routeWebSocket(/\/ws$/, (ws) => {
      if (!link.up) {
        ws.close({ code: 4000, reason: 'test keeps the link down' });
        return;
      }
      sockets.push([ws, ws.connectToServer()]);
    }),
  );
  return { page, link };
}

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Steers the page's player to the nearest orb with the keyboard until it has scored, then
 * lets go and waits until it stands still. Orbs it makes no headway towards (a wall in the
 * way) are given up for others.
 * @param {import('playwright-core').Page} page
 */
async function scoreAnOrb(page) {
  /** @type {Set<string>} */
  const held = new Set();
  const hold = async (/** @type {string[]} */ keys) => {
    for (const k of [...held]) if (!keys.includes(k)) await page.keyboard.up(k), held.delete(k);
    for (const k of keys) if (!held.has(k)) await page.keyboard.down(k), held.add(k);
  };
  /** @type {Set<number>} */
  const givenUp = new Set();
  let target = { id: -1, since: 0, best: Infinity };
  const deadline = Date.now() + 30000;
  try {
    for (;;) {
      assert.ok(Date.now() < deadline, 'collected no orb in 30 s');
      const s = await state(page);
      const own = s.entities.find((/** @type {any} */ e) => e.id === s.entity);
      if (own === undefined || s.ownPos === null) {
        await sleep(30);
        continue;
      }
      if (own.score > 0) break;
      const dist = (/** @type {any} */ e) => Math.hypot(e.pos[0] - s.ownPos[0], e.pos[1] - s.ownPos[1]);
      const orbs = s.entities.filter((/** @type {any} */ e) => e.kind === 'Orb' && !givenUp.has(e.id)).sort((/** @type {any} */ a, /** @type {any} */ b) => dist(a) - dist(b));
      if (orbs.length === 0) givenUp.clear();
      const orb = orbs[0] ?? s.entities.find((/** @type {any} */ e) => e.kind === 'Orb');
      const d = dist(orb);
      if (orb.id !== target.id || d < target.best - 16) target = { id: orb.id, since: Date.now(), best: d };
      else if (Date.now() - target.since > 1500) givenUp.add(orb.id);
      const [dx, dy] = [orb.pos[0] - s.ownPos[0], orb.pos[1] - s.ownPos[1]];
      await hold([...(dx > 128 ? ['KeyD'] : dx < -128 ? ['KeyA'] : []), ...(dy > 128 ? ['KeyS'] : dy < -128 ? ['KeyW'] : [])]);
      await sleep(30);
    }
  } finally {
    await hold([]);
  }
  await waitStill(page);
}

/**
 * Waits until the page's player stands still where it predicts itself.
 * @param {import('playwright-core').Page} page
 */
const waitStill = (page) =>
  page.waitForFunction(
    () => {
      const s = /** @type {any} */ (window).tickwire.state();
      const own = s.entities.find((/** @type {any} */ e) => e.id === s.entity);
      return own?.vel.join() === '0,0' && own.pos.join() === s.ownPos?.join();
    },
    null,
    WAIT,
  );

/**
 * Ada (flaky link) creates a public lobby and Bo joins it by code.
 * @param {string} lobbyName @param {string} url
 */
async function adaAndBo(lobbyName, url = server.url) {
  const { page: ada, link } = await flakyPlayer('Ada', url);
  await ada.fill('#lobby-name', lobbyName);
  await ada.click('#create-form button[type=submit]');
  await waitForScreen(ada, 'game');
  const bo = await newPlayer('Bo', url);
  await bo.fill('#join-code', (await state(ada)).code);
  await bo.click('#join-form button[type=submit]');
  await waitForScreen(bo, 'game');
  await ada.waitForFunction(() => /** @type {any} */ (window).tickwire.state().roster.length === 2, null, WAIT);
  return { ada, bo, link };
}

/** The keys that walk a player at `pos` (in subunits) toward the middle of the arena. */
function towardCentre(/** @type {number[]} */ pos) {
  const [cx, cy] = [(ARENA.width * SUBUNITS) / 2, (ARENA.height * SUBUNITS) / 2];
  return [pos[0] < cx ? 'KeyD' : 'KeyA', pos[1] < cy ? 'KeyS' : 'KeyW'];
}

/** The roster entry of client `id` as `page` sees it, if any. */
const rosterEntry = (/** @type {import('playwright-core').Page} */ page, /** @type {number} */ id) =>
  page.evaluate((cid) => /** @type {any} */ (window).tickwire.state().roster.find((/** @type {any} */ p) => p.client_id === cid) ?? null, id);

describe('losing the connection', () => {
  browserTest('a dropped connection says so, and resumes the same seat: same client, entity and score; the other player sees it reconnecting meanwhile', async () => {
    const { ada, bo, link } = await adaAndBo('E2E flaky link');
    await scoreAnOrb(ada);
    const before = await state(ada);
    const ownBefore = before.entities.find((/** @type {any} */ e) => e.id === before.entity);
    assert.ok(ownBefore.score > 0);

    await link.cut();
    await ada.waitForSelector('#banner:has-text("Connection lost")', WAIT);
    // While Ada cannot get back, Bo sees her seat held: on the roster, marked reconnecting.
    await bo.waitForFunction((id) => /** @type {any} */ (window).tickwire.state().roster.some((/** @type {any} */ p) => p.client_id === id && !p.connected), before.clientId, WAIT);
    await bo.waitForSelector('#score-rows tr.away:has-text("Ada"):has-text("reconnecting")', WAIT);
    assert.equal((await state(bo)).roster.length, 2, 'her seat is held, not given up');
    await ada.waitForSelector('#score-rows tr.own.away', WAIT);

    link.restore();
    await ada.waitForFunction(
      () => {
        const s = /** @type {any} */ (window).tickwire.state();
        return s.screen === 'game' && s.resumed && s.tick > 0 && s.ownPos !== null;
      },
      null,
      WAIT,
    );
    const after = await state(ada);
    const ownAfter = after.entities.find((/** @type {any} */ e) => e.id === after.entity);
    assert.equal(after.clientId, before.clientId, 'the same client');
    assert.equal(after.entity, before.entity, 'the same entity');
    assert.equal(after.code, before.code, 'the same lobby');
    assert.equal(ownAfter.score, ownBefore.score, 'the same score');
    assert.deepEqual(ownAfter.pos, ownBefore.pos, 'where she was');
    assert.equal(after.corrections, before.corrections, 'the reconnect cost no correction');
    assert.equal(await ada.isHidden('#banner'), true);
    assert.ok(link.sockets.length >= 2);
    await bo.waitForFunction((id) => /** @type {any} */ (window).tickwire.state().roster.some((/** @type {any} */ p) => p.client_id === id && p.connected), before.clientId, WAIT);
    assert.equal((await state(bo)).roster.length, 2);

    // She plays on: her inputs count again (seqs went on) and Bo sees her move 50 units.
    // The orb may have left her against a wall or the arena's edge, so she heads for the
    // centre diagonally: a wall stops one axis and she slides along it on the other.
    const keys = towardCentre(ownBefore.pos);
    for (const k of keys) await ada.keyboard.down(k);
    await bo.waitForFunction(
      ([id, x, y, far]) => {
        const e = /** @type {any} */ (window).tickwire.state().entities.find((/** @type {any} */ e) => e.id === id);
        return e !== undefined && Math.hypot(e.pos[0] - x, e.pos[1] - y) > far;
      },
      /** @type {[number, number, number, number]} */ ([before.entity, ownBefore.pos[0], ownBefore.pos[1], 50 * SUBUNITS]),
      WAIT,
    );
    for (const k of keys) await ada.keyboard.up(k);
    await waitStill(ada);
    assert.equal((await state(ada)).corrections, before.corrections, 'no mispredictions after the resume either');
  });

  browserTest('closing the page leaves the lobby at once: no seat is held for it', async () => {
    // Not through the proxy, which may drop the last frame before a close.
    const ada = await newPlayer('Ada');
    await ada.fill('#lobby-name', 'E2E closed tab');
    await ada.click('#create-form button[type=submit]');
    await waitForScreen(ada, 'game');
    const { clientId, code } = await state(ada);
    const bo = await newPlayer('Bo');
    await bo.fill('#join-code', code);
    await bo.click('#join-form button[type=submit]');
    await bo.waitForFunction(() => /** @type {any} */ (window).tickwire.state().roster.length === 2, null, WAIT);
    await ada.close();
    // Well within the 15 s a dropped connection's seat is held.
    await bo.waitForFunction(() => /** @type {any} */ (window).tickwire.state().roster.length === 1, null, { ...WAIT, timeout: 5000 });
    assert.equal(await rosterEntry(bo, clientId), null);
  });

  browserTest('a seat not held any more: the resume is refused, and the client rejoins the lobby by its code as a new player', async () => {
    const other = await startServer('127.0.0.1:0', ['--reconnect-grace', '0.5']);
    cleanups.push(() => stopServer(other.proc));
    const { ada, bo, link } = await adaAndBo('E2E short grace', other.url);
    const before = await state(ada);

    await link.cut();
    await ada.waitForSelector('#banner:has-text("Connection lost")', WAIT);
    // The grace runs out: Bo sees Ada leave.
    await bo.waitForFunction(() => /** @type {any} */ (window).tickwire.state().roster.length === 1, null, WAIT);
    assert.equal(await rosterEntry(bo, before.clientId), null);

    link.restore();
    await ada.waitForFunction(
      (old) => {
        const s = /** @type {any} */ (window).tickwire.state();
        return s.screen === 'game' && s.connected && s.entity !== old.entity && s.clientId !== old.clientId;
      },
      before,
      WAIT,
    );
    const after = await state(ada);
    assert.equal(after.resumed, false);
    assert.equal(after.code, before.code, 'back in the same lobby');
    await ada.waitForSelector('#game-message:has-text("rejoined the lobby as a new player")', WAIT);
    assert.equal(await ada.isHidden('#banner'), true);
    await bo.waitForFunction((id) => /** @type {any} */ (window).tickwire.state().entities.some((/** @type {any} */ e) => e.id === id), after.entity, WAIT);
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
