// Browser test of cluster mode: a real redis-server and two real nodes sharing it. Ada
// plays on node A; Bo opens node B's page and joins her lobby, by its code or from node B's
// lobby list (which shows the whole cluster). Node B redirects the join to node A and the
// page follows unseen: no message, no banner, the page's address unchanged, but its socket
// now on node A. Both then see each other move, with zero prediction corrections.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe } from 'node:test';

import { startCluster, metric } from './cluster.js';
import { DESKTOP, WAIT, browserSuite, createLobby, ownPos, state, waitForScreen, waitStill } from './harness.js';

const SHOTS = fileURLToPath(new URL('../test-results/', import.meta.url));
/** The map the lobbies play on; positions in the game state are in sixteenths of its units. */
const ARENA = JSON.parse(readFileSync(new URL('../../assets/maps/arena.json', import.meta.url), 'utf8'));
const SUBUNITS = 16;

const suite = browserSuite();
const { browserTest } = suite;

/** @type {import('./cluster.js').Cluster} */
let cluster;
before(async () => {
  cluster = await startCluster(2);
});
after(async () => {
  await cluster?.stop();
});

/** @typedef {import('playwright-core').Page} Page */

/** The Body of entity `id` as `page` draws it, if there. @param {Page} page @param {number} id */
const bodyOf = async (page, id) => (await state(page)).entities.find((/** @type {any} */ e) => e.id === id)?.components.Body;

/**
 * A player on `node`'s page whose WebSocket URLs, in the order opened, go to `sockets`.
 * @param {string} name @param {import('./cluster.js').Node} node @param {{sockets?: string[], query?: string}} [opts]
 */
const playerOn = (name, node, { sockets = [], query = '' } = {}) =>
  suite.newPlayer(name, {
    url: node.url,
    query,
    device: DESKTOP,
    setup: async (page) => {
      page.on('websocket', (ws) => sockets.push(ws.url()));
    },
  });

/**
 * `mover` holds D (A when it stands in the right half) until `watcher` sees its entity 100
 * units further that way, lets go, and `watcher` then sees it exactly where it stopped.
 * @param {Page} mover @param {Page} watcher
 */
async function movesAndIsSeen(mover, watcher) {
  const { entity } = await state(mover);
  await watcher.waitForFunction((id) => /** @type {any} */ (window).tickwire.state().entities.some((e) => e.id === id), entity, WAIT);
  const before = await bodyOf(watcher, entity);
  const dir = before.x < (ARENA.width * SUBUNITS) / 2 ? 1 : -1;
  const key = dir > 0 ? 'KeyD' : 'KeyA';
  await mover.keyboard.down(key);
  await watcher.waitForFunction(
    ([id, x, d]) => (/** @type {any} */ (window).tickwire.state().entities.find((/** @type {any} */ e) => e.id === id)?.components.Body.x - x) * d > 1600,
    [entity, before.x, dir],
    WAIT,
  );
  await mover.keyboard.up(key);
  await waitStill(mover);
  const stoppedAt = ownPos(await state(mover));
  await watcher.waitForFunction(
    ([id, pos]) => {
      const b = /** @type {any} */ (window).tickwire.state().entities.find((/** @type {any} */ e) => e.id === id)?.components.Body;
      return b !== undefined && b.x === pos[0] && b.y === pos[1];
    },
    /** @type {[number, number[]]} */ ([entity, stoppedAt]),
    WAIT,
  );
}

/**
 * Checks that Bo's page on node B was moved to node A unseen, then that both play together.
 * @param {Page} ada @param {Page} bo @param {string[]} boSockets @param {number} redirectsBefore
 */
async function redirectedAndPlaying(ada, bo, boSockets, redirectsBefore) {
  const [a, b] = cluster.nodes;
  await waitForScreen(bo, 'game');
  const [adaState, boState] = [await state(ada), await state(bo)];
  assert.equal(boState.code, adaState.code, 'Bo is in the lobby Ada opened');
  assert.equal(boState.lobby, adaState.lobby);
  assert.equal(boState.lobbyMessage, '', 'no message about the move');
  assert.equal(await bo.isHidden('#banner'), true, 'no banner about the move');
  assert.equal(new URL(bo.url()).origin, b.url, "the page's address is still node B's");
  assert.deepEqual(boSockets, [b.wsUrl, a.wsUrl], "Bo's socket went to node B, then to node A");
  assert.equal((await metric(b.url, 'tickwire_cluster_redirects_total')) ?? 0, redirectsBefore + 1, 'node B sent one redirect');

  await ada.waitForFunction(() => /** @type {any} */ (window).tickwire.state().roster.length === 2, null, WAIT);
  await bo.waitForFunction(() => /** @type {any} */ (window).tickwire.state().roster.length === 2, null, WAIT);
  await movesAndIsSeen(ada, bo);
  await movesAndIsSeen(bo, ada);
  assert.equal((await state(ada)).corrections, 0, "Ada's prediction needed no correction");
  assert.equal((await state(bo)).corrections, 0, "Bo's prediction, on the node he was sent to, needed no correction");
}

describe('a join redirected to another node', () => {
  browserTest('by code on node B into a private lobby on node A: followed unseen, and both see each other move', async () => {
    const [a, b] = cluster.nodes;
    const ada = await playerOn('Ada', a);
    await createLobby(ada, 'E2E cluster', { isPrivate: true });
    const { code } = await state(ada);

    const redirectsBefore = (await metric(b.url, 'tickwire_cluster_redirects_total')) ?? 0;
    /** @type {string[]} */
    const boSockets = [];
    const bo = await playerOn('Bo', b, { sockets: boSockets });
    await bo.fill('#join-code', code);
    await bo.click('#join-form button[type=submit]');
    await redirectedAndPlaying(ada, bo, boSockets, redirectsBefore);

    mkdirSync(SHOTS, { recursive: true });
    await bo.screenshot({ path: `${SHOTS}cluster-redirected-desktop.png` });
  });

  browserTest("node B's list shows a public lobby of node A; its Join button takes Bo there", async () => {
    const [a, b] = cluster.nodes;
    const ada = await playerOn('Ada', a);
    await createLobby(ada, 'E2E over there');

    const redirectsBefore = (await metric(b.url, 'tickwire_cluster_redirects_total')) ?? 0;
    /** @type {string[]} */
    const boSockets = [];
    const bo = await playerOn('Bo', b, { sockets: boSockets });
    const row = bo.locator('#lobby-rows tr', { hasText: 'E2E over there' });
    await row.getByRole('button', { name: 'Join' }).click(WAIT);
    await redirectedAndPlaying(ada, bo, boSockets, redirectsBefore);
  });

  browserTest('an invite link of node B to a lobby on node A joins in one click', async () => {
    const [a, b] = cluster.nodes;
    const ada = await playerOn('Ada', a);
    await createLobby(ada, 'E2E invited', { isPrivate: true });
    const { code } = await state(ada);

    const redirectsBefore = (await metric(b.url, 'tickwire_cluster_redirects_total')) ?? 0;
    /** @type {string[]} */
    const boSockets = [];
    const bo = await playerOn('Bo', b, { sockets: boSockets, query: `/?code=${code}` });
    await bo.click('#invite-join', WAIT);
    await redirectedAndPlaying(ada, bo, boSockets, redirectsBefore);
  });
});
