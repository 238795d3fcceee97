// Browser test: the real server binary and Debian's Chromium. Two players pick names, one
// creates an orb arena lobby and the other joins it by code; one moves with the keyboard
// and the other sees it move, with no prediction corrections (at 30, 10 and 60 Hz). The
// lobby list (with each lobby's game), the games offered, quick join and leaving work;
// refusals show in words. A dropped connection resumes the same seat (or, once the seat is
// given up, rejoins by code); a lost server shows in words. Two players play tag: the one
// who is it runs onto the other, and "it" passes on.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe } from 'node:test';

import { browserSuite, createLobby, inputsDropped, ownPos, startServer, state, stopServer, waitForScreen, waitStill, WAIT } from './harness.js';

/** The map the server plays by default; positions in the game state are in sixteenths of its units. */
const ARENA = JSON.parse(readFileSync(new URL('../../assets/maps/arena.json', import.meta.url), 'utf8'));
const SUBUNITS = 16;

const suite = browserSuite();
const { browserTest, cleanups } = suite;
/** @param {string} name @param {string} [url] @param {(page: import('playwright-core').Page) => Promise<void>} [setup] */
const newPlayer = (name, url = suite.server.url, setup = undefined) => suite.newPlayer(name, { url, setup });

/** The Body of entity `id` in a state, if it is there. */
const bodyOf = (/** @type {any} */ s, /** @type {number} */ id) => s.entities.find((/** @type {any} */ e) => e.id === id)?.components.Body;

/**
 * Ada creates a private lobby, Bo joins it by code; Ada holds D until Bo sees her move
 * 100 units right, then lets go. Checks that her prediction needed no correction and that
 * where she stopped is where the server, and so Bo, has her.
 * @param {string} url
 */
async function playTogether(url) {
  const ada = await newPlayer('Ada', url);
  await createLobby(ada, 'E2E private', { isPrivate: true });
  const { code, entity: adaEntity, game } = await state(ada);
  assert.equal(game, 'arena');
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

  const seenBefore = bodyOf(await state(bo), adaEntity);
  await ada.keyboard.down('KeyD');
  await bo.waitForFunction(
    ([id, x]) => /** @type {any} */ (window).tickwire.state().entities.find((/** @type {any} */ e) => e.id === id)?.components.Body.x > x + 1600,
    [adaEntity, seenBefore.x],
    WAIT,
  );
  await ada.keyboard.up('KeyD');
  // Once Ada has stopped, the server's state of her entity is exactly her prediction...
  await waitStill(ada);
  const stoppedAt = ownPos(await state(ada));
  // ...and that is where Bo sees her.
  await bo.waitForFunction(
    ([id, pos]) => {
      const b = /** @type {any} */ (window).tickwire.state().entities.find((/** @type {any} */ e) => e.id === id)?.components.Body;
      return b !== undefined && b.x === pos[0] && b.y === pos[1];
    },
    /** @type {[number, number[]]} */ ([adaEntity, stoppedAt]),
    WAIT,
  );
  assert.ok(stoppedAt[0] > seenBefore.x + 1600, `Ada stopped at ${stoppedAt}, started at ${seenBefore.x}`);
  const lost = `no mispredictions without loss (the server dropped ${await inputsDropped(url)} inputs)`;
  assert.equal((await state(ada)).corrections, 0, lost);
  assert.equal((await state(bo)).corrections, 0, lost);
}

describe('two players in one lobby', () => {
  browserTest('a private lobby joined by code: one moves, the other sees it, zero corrections', () => playTogether(suite.server.url));

  for (const rate of [10, 60]) {
    browserTest(`the same at ${rate} Hz`, async () => {
      const other = await startServer('127.0.0.1:0', ['--tick-rate', String(rate)]);
      cleanups.push(() => stopServer(other.proc));
      await playTogether(other.url);
    });
  }
});

describe('lobby screen', () => {
  browserTest('the create form offers the server\'s games, each with its maps and its default map', async () => {
    const ada = await newPlayer('Ada');
    const games = await (await fetch(`${suite.server.url}/api/games`)).json();
    assert.deepEqual(games.map((/** @type {any} */ g) => g.name).sort(), ['arena', 'shooter', 'tag']);
    await ada.waitForFunction((n) => document.querySelectorAll('#lobby-game option').length === n, games.length, WAIT);
    for (const g of games) {
      await ada.selectOption('#lobby-game', g.name);
      const maps = await ada.$$eval('#lobby-map option', (os) => os.map((o) => /** @type {HTMLOptionElement} */ (o).value));
      assert.deepEqual(maps, g.maps, `${g.name}'s maps`);
      assert.equal(await ada.inputValue('#lobby-map'), g.default_map);
      assert.equal(await ada.textContent('#game-description'), g.description);
    }
  });

  browserTest('public lobbies are listed with their game and joinable; refusals are shown in words; leaving frees the seat', async () => {
    const ada = await newPlayer('Ada');
    await createLobby(ada, 'E2E duo', { max: '2' });
    const { code } = await state(ada);

    const bo = await newPlayer('Bo');
    const row = bo.locator('#lobby-rows tr', { hasText: 'E2E duo' });
    await row.filter({ hasText: 'Orb arena' }).waitFor(WAIT);
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

  browserTest('quick join puts two players in the same lobby of the chosen game', async () => {
    const ada = await newPlayer('Ada');
    await ada.selectOption('#lobby-game', 'tag', WAIT);
    await ada.click('#quick-join');
    await waitForScreen(ada, 'game');
    const bo = await newPlayer('Bo');
    await bo.selectOption('#lobby-game', 'tag', WAIT);
    await bo.click('#quick-join');
    await waitForScreen(bo, 'game');
    assert.equal((await state(bo)).code, (await state(ada)).code);
    assert.equal((await state(bo)).game, 'tag');
  });
});

/**
 * A player whose WebSockets are proxied so the test can cut them and keep reconnections
 * from reaching the server (they are closed at once) until it lets them through again.
 * @param {string} name @param {string} url
 */
async function flakyPlayer(name, url = suite.server.url) {
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

/**
 * Waits until the page has seen a newer server tick than now: the steering loops step by
 * the game's ticks rather than by sleeping.
 * @param {import('playwright-core').Page} page
 */
const nextTick = async (page) => {
  const tick = (await state(page)).tick;
  await page.waitForFunction((t) => /** @type {any} */ (window).tickwire.state().tick > t, tick, WAIT);
};

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
      const at = ownPos(s);
      if (own === undefined || at === null) {
        await nextTick(page);
        continue;
      }
      if (own.components.Score.points > 0) break;
      const dist = (/** @type {any} */ e) => Math.hypot(e.components.Body.x - at[0], e.components.Body.y - at[1]);
      const isOrb = (/** @type {any} */ e) => 'Orb' in e.components;
      const orbs = s.entities.filter((/** @type {any} */ e) => isOrb(e) && !givenUp.has(e.id)).sort((/** @type {any} */ a, /** @type {any} */ b) => dist(a) - dist(b));
      if (orbs.length === 0) givenUp.clear();
      const orb = orbs[0] ?? s.entities.find(isOrb);
      const d = dist(orb);
      if (orb.id !== target.id || d < target.best - 16) target = { id: orb.id, since: Date.now(), best: d };
      else if (Date.now() - target.since > 1500) givenUp.add(orb.id);
      const [dx, dy] = [orb.components.Body.x - at[0], orb.components.Body.y - at[1]];
      await hold([...(dx > 128 ? ['KeyD'] : dx < -128 ? ['KeyA'] : []), ...(dy > 128 ? ['KeyS'] : dy < -128 ? ['KeyW'] : [])]);
      await nextTick(page);
    }
  } finally {
    await hold([]);
  }
  await waitStill(page);
}

/**
 * Ada (flaky link) creates a public lobby and Bo joins it by code.
 * @param {string} lobbyName @param {string} url
 */
async function adaAndBo(lobbyName, url = suite.server.url) {
  const { page: ada, link } = await flakyPlayer('Ada', url);
  await createLobby(ada, lobbyName);
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
    const ownBefore = before.entities.find((/** @type {any} */ e) => e.id === before.entity).components;
    assert.ok(ownBefore.Score.points > 0);

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
        return s.screen === 'game' && s.resumed && s.tick > 0 && s.own !== null;
      },
      null,
      WAIT,
    );
    const after = await state(ada);
    const ownAfter = after.entities.find((/** @type {any} */ e) => e.id === after.entity).components;
    assert.equal(after.clientId, before.clientId, 'the same client');
    assert.equal(after.entity, before.entity, 'the same entity');
    assert.equal(after.code, before.code, 'the same lobby');
    assert.equal(ownAfter.Score.points, ownBefore.Score.points, 'the same score');
    assert.deepEqual([ownAfter.Body.x, ownAfter.Body.y], [ownBefore.Body.x, ownBefore.Body.y], 'where she was');
    assert.equal(after.corrections, before.corrections, 'the reconnect cost no correction');
    assert.equal(await ada.isHidden('#banner'), true);
    assert.ok(link.sockets.length >= 2);
    await bo.waitForFunction((id) => /** @type {any} */ (window).tickwire.state().roster.some((/** @type {any} */ p) => p.client_id === id && p.connected), before.clientId, WAIT);
    assert.equal((await state(bo)).roster.length, 2);

    // She plays on: her inputs count again (seqs went on) and Bo sees her move 50 units.
    // The orb may have left her against a wall or the arena's edge, so she heads for the
    // centre diagonally: a wall stops one axis and she slides along it on the other.
    const keys = towardCentre([ownBefore.Body.x, ownBefore.Body.y]);
    for (const k of keys) await ada.keyboard.down(k);
    await bo.waitForFunction(
      ([id, x, y, far]) => {
        const b = /** @type {any} */ (window).tickwire.state().entities.find((/** @type {any} */ e) => e.id === id)?.components.Body;
        return b !== undefined && Math.hypot(b.x - x, b.y - y) > far;
      },
      /** @type {[number, number, number, number]} */ ([before.entity, ownBefore.Body.x, ownBefore.Body.y, 50 * SUBUNITS]),
      WAIT,
    );
    for (const k of keys) await ada.keyboard.up(k);
    await waitStill(ada);
    assert.equal((await state(ada)).corrections, before.corrections, 'no mispredictions after the resume either');
  });

  browserTest('closing the page leaves the lobby at once: no seat is held for it', async () => {
    // Not through the proxy, which may drop the last frame before a close.
    const ada = await newPlayer('Ada');
    await createLobby(ada, 'E2E closed tab');
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
    // A server of this test's own, so the file's shared server is never restarted.
    let doomed = await startServer();
    cleanups.push(() => stopServer(doomed.proc));
    const ada = await newPlayer('Ada', doomed.url);
    await createLobby(ada, 'E2E doomed');
    await stopServer(doomed.proc);
    await ada.waitForSelector('#banner:has-text("Connection lost")', WAIT);
    assert.equal((await state(ada)).connected, false);
    doomed = await startServer(new URL(doomed.url).host);
    // The new server has no such lobby: the client reconnects, tries to rejoin by code and says so.
    await waitForScreen(ada, 'lobby');
    await ada.waitForSelector('#lobby-message:has-text("Could not get back into the lobby")', WAIT);
    assert.equal(await ada.isHidden('#banner'), true);
    assert.equal((await state(ada)).connected, true);
  });
});

/**
 * Holds the keys that steer `page`'s player from `from` toward `to` (subunits), going
 * round by `detour` ('KeyW' or 'KeyS') as well while a wall is in the way.
 * @param {import('playwright-core').Page} page @param {Set<string>} held
 * @param {number[]} from @param {number[]} to @param {string | null} detour
 */
async function steer(page, held, from, to, detour) {
  const [dx, dy] = [to[0] - from[0], to[1] - from[1]];
  const keys = [...(dx > 64 ? ['KeyD'] : dx < -64 ? ['KeyA'] : []), ...(detour !== null ? [detour] : dy > 64 ? ['KeyS'] : dy < -64 ? ['KeyW'] : [])];
  for (const k of [...held]) if (!keys.includes(k)) await page.keyboard.up(k), held.delete(k);
  for (const k of keys) if (!held.has(k)) await page.keyboard.down(k), held.add(k);
}

/** Runner.it of entity `id` in a state (1: it), or undefined. */
const itOf = (/** @type {any} */ s, /** @type {number} */ id) => s.entities.find((/** @type {any} */ e) => e.id === id)?.components.Runner?.it;

describe('tag', () => {
  browserTest('the first player is it, runs onto the other, and "it" passes on; the clock runs and nobody is mispredicted', async () => {
    const ada = await newPlayer('Ada');
    await createLobby(ada, 'E2E tag', { game: 'tag' });
    const { code, entity: adaEntity, game } = await state(ada);
    assert.equal(game, 'tag');
    const bo = await newPlayer('Bo');
    await bo.fill('#join-code', code);
    await bo.click('#join-form button[type=submit]');
    await waitForScreen(bo, 'game');
    const boEntity = (await state(bo)).entity;
    await bo.waitForFunction(([a, b]) => {
      const s = /** @type {any} */ (window).tickwire.state();
      const it = (/** @type {number} */ id) => s.entities.find((/** @type {any} */ e) => e.id === id)?.components.Runner?.it;
      return it(a) === 1 && it(b) === 0;
    }, [adaEntity, boEntity], WAIT);
    await ada.waitForSelector('#hud-lines:has-text("You are it!")', WAIT);
    await bo.waitForSelector('#score-rows tr:has-text("Ada") .score-note:has-text("it")', WAIT);
    await bo.waitForSelector('#hud-lines:has-text("Round:")', WAIT);
    assert.doesNotMatch(await bo.textContent('#hud-lines') ?? '', /You are it/);

    // Ada (it) chases Bo, and Bo walks toward her too, until Bo is it.
    const heldA = new Set();
    const heldB = new Set();
    const deadline = Date.now() + 30000;
    // When they get no closer for a second (a wall between them), both go round it upwards
    // for a while, then head for each other again.
    let best = { d: Infinity, at: Date.now() };
    let detourUntil = 0;
    try {
      for (;;) {
        assert.ok(Date.now() < deadline, 'Ada did not catch Bo in 30 s');
        const [a, b] = [await state(ada), await state(bo)];
        if (itOf(b, boEntity) === 1) break;
        const [pa, pb] = [ownPos(a), ownPos(b)];
        if (pa !== null && pb !== null) {
          const d = Math.hypot(pa[0] - pb[0], pa[1] - pb[1]);
          if (d < best.d - 32) best = { d, at: Date.now() };
          else if (Date.now() - best.at > 1000 && Date.now() > detourUntil) {
            detourUntil = Date.now() + 800;
            best = { d: Infinity, at: detourUntil };
          }
          const detour = Date.now() < detourUntil ? 'KeyW' : null;
          await steer(ada, heldA, pa, pb, detour);
          await steer(bo, heldB, pb, pa, detour);
        }
        await nextTick(ada);
      }
    } finally {
      for (const k of heldA) await ada.keyboard.up(k);
      for (const k of heldB) await bo.keyboard.up(k);
    }
    await bo.waitForSelector('#hud-lines:has-text("You are it!")', WAIT);
    await ada.waitForFunction(([a, b]) => {
      const s = /** @type {any} */ (window).tickwire.state();
      const it = (/** @type {number} */ id) => s.entities.find((/** @type {any} */ e) => e.id === id)?.components.Runner?.it;
      return it(a) === 0 && it(b) === 1;
    }, [adaEntity, boEntity], WAIT);
    await ada.waitForSelector('#score-rows tr:has-text("Bo") .score-note:has-text("it")', WAIT);
    assert.doesNotMatch(await ada.textContent('#hud-lines') ?? '', /You are it/);
    await waitStill(ada);
    await waitStill(bo);
    const lost = `no mispredictions without loss (the server dropped ${await inputsDropped(suite.server.url)} inputs)`;
    assert.equal((await state(ada)).corrections, 0, lost);
    assert.equal((await state(bo)).corrections, 0, lost);
  });
});
