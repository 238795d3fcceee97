// Browser test: the shooter over a laggy connection. Ada's page reaches the server through
// a TCP proxy started here that holds every chunk 75 ms each way (a 150 ms round trip;
// Chrome's throttling does not touch WebSockets); Bo's page connects directly. Bo walks up
// and down across Ada's line of fire; Ada aims the mouse at Bo where her page draws him
// (interpolated, about 250 ms in the past) and holds the button. The hit registers: the
// server takes Bo's health and credits Ada's shot, the shots' claimed moments were honest
// (none clamped), and Ada's screen shows the shooter at the canvas's middle.

import assert from 'node:assert/strict';
import net from 'node:net';
import { describe } from 'node:test';

import { WAIT, browserSuite, createLobby, state, waitForScreen } from './harness.js';

const ONE_WAY_MS = 75;
/** Shot.outcome: ["miss", "hit", "kill"]. */
const MISS = 0;

/**
 * A proxy to `url` that delays every chunk `delayMs` in each direction, in order.
 * @param {string} url @param {number} delayMs
 * @returns {Promise<{url: string, close: () => Promise<void>}>}
 */
function delayingProxy(url, delayMs) {
  const target = new URL(url);
  /** @type {Set<net.Socket>} */
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    const pipe = (/** @type {net.Socket} */ from, /** @type {net.Socket} */ to) => {
      from.on('data', (chunk) => setTimeout(() => to.writable && to.write(chunk), delayMs));
      from.on('end', () => setTimeout(() => to.end(), delayMs));
    };
    pipe(client, upstream);
    pipe(upstream, client);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => {
          for (const s of sockets) s.destroy();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}

/** A counter's value in the server's /metrics. @param {string} url @param {string} name */
async function metric(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

describe('shooter', () => {
  // Ada's page is served through the proxy, from another origin than the server's own.
  const suite = browserSuite({ serverArgs: ['--allowed-origins', '*'] });
  const { browserTest } = suite;

  browserTest('at a 150 ms round trip, a shot at a moving player where the page drew him hits', async () => {
    const proxy = await delayingProxy(suite.server.url, ONE_WAY_MS);
    suite.cleanups.push(proxy.close);
    const clampedBefore = await metric(suite.server.url, 'tickwire_rewind_clamped_total');
    const ada = await suite.newPlayer('Ada', { url: proxy.url });
    await createLobby(ada, 'E2E lag', { game: 'shooter' });
    const { code, entity: adaId } = await state(ada);
    const bo = await suite.newPlayer('Bo');
    await bo.fill('#join-code', code);
    await bo.click('#join-form button[type=submit]');
    await waitForScreen(bo, 'game');
    const boId = (await state(bo)).entity;
    await ada.waitForFunction((id) => /** @type {any} */ (window).tickwire.state().drawn.some((/** @type {any} */ e) => e.id === id), boId, WAIT);
    const rtt = await ada.waitForFunction(() => /** @type {any} */ (window).tickwire.state().rttMs, null, WAIT);
    assert.ok(Number(await rtt.jsonValue()) >= 2 * ONE_WAY_MS, 'the proxy delays Ada');

    // Bo walks up and down, between 200 units above and below his spawn, until told to stop.
    const start = (await state(bo)).own.Body.y;
    let walking = true;
    const walk = (async () => {
      for (let down = true; walking; down = !down) {
        const key = down ? 'ArrowDown' : 'ArrowUp';
        await bo.keyboard.down(key);
        await bo
          .waitForFunction(([y, d]) => {
            const s = /** @type {any} */ (window).tickwire.state();
            return s.own === null || (d ? s.own.Body.y > y : s.own.Body.y < y);
          }, [down ? start + 200 * 16 : start - 200 * 16, down], { timeout: 5000, polling: 20 })
          .catch(() => null);
        await bo.keyboard.up(key);
      }
    })();

    // Ada aims at Bo as her page draws him and holds the button until a hit is credited.
    const canvas = await ada.locator('#stage canvas, canvas').first().boundingBox();
    assert.ok(canvas !== null);
    const middle = { x: canvas.x + canvas.width / 2, y: canvas.y + canvas.height / 2 };
    let pressed = false;
    /** @type {any} */
    let hit = null;
    for (let i = 0; i < 2000 && hit === null; i++) {
      const seen = await ada.evaluate(([me, him]) => {
        const s = /** @type {any} */ (window).tickwire.state();
        const own = s.drawn.find((/** @type {any} */ e) => e.id === me)?.components;
        const other = s.drawn.find((/** @type {any} */ e) => e.id === him)?.components;
        const shot = s.entities.find((/** @type {any} */ e) => e.id === me)?.components.Shot;
        return { own: own?.Body, other: other?.Body, moving: (other?.Body?.vy ?? 0) !== 0, shot };
      }, [adaId, boId]);
      if (seen.shot !== undefined && seen.shot.outcome !== MISS && seen.shot.target === boId) hit = seen;
      if (seen.own === undefined || seen.other === undefined) continue;
      const dx = seen.other.x - seen.own.x;
      const dy = seen.other.y - seen.own.y;
      const d = Math.hypot(dx, dy);
      await ada.mouse.move(middle.x + (dx / d) * 200, middle.y + (dy / d) * 200);
      if (!pressed) {
        await ada.mouse.down();
        pressed = true;
      }
    }
    await ada.mouse.up();
    walking = false;
    await walk;
    assert.ok(hit !== null, 'a shot at Bo as drawn was credited as a hit');
    await bo.waitForFunction((id) => {
      const s = /** @type {any} */ (window).tickwire.state();
      return (s.entities.find((/** @type {any} */ e) => e.id === id)?.components.Fighter.health ?? 100) < 100 || s.own?.Fighter?.health < 100;
    }, boId, WAIT);
    const boSees = await state(bo);
    const boFighter = boSees.entities.find((/** @type {any} */ e) => e.id === boId).components.Fighter;
    assert.ok(boFighter.hit_by === adaId, 'Bo was hit by Ada');
    assert.equal(await metric(suite.server.url, 'tickwire_rewind_clamped_total'), clampedBefore, "the page's claimed moments were all honest");
  });
});
