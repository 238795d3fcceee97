// A Tickwire cluster on this machine for the browser tests: one `redis-server` on a free
// loopback port (no persistence, in a temporary folder of its own; no Docker, no service
// manager) and nodes that are the real server binary started by the harness, each on a port
// picked ahead so that every node can name every other node's page origin in
// `--allowed-origins` (a page served by one node opens its socket to another) and its own
// address in `--public-url` (where other nodes send browsers).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startServer, stopServer } from './harness.js';

/** A free loopback port (bound and let go). @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether a Redis answers PING on `port`. @param {number} port @returns {Promise<boolean>} */
function ping(port) {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (/** @type {boolean} */ ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (chunk) => {
      reply += chunk;
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/**
 * @typedef {{proc: import('node:child_process').ChildProcess, url: string, dir: string}} RedisServer
 * @typedef {import('./harness.js').Server & {wsUrl: string}} Node
 * @typedef {{redis: RedisServer, nodes: Node[], stop: () => Promise<void>}} Cluster
 */

/**
 * Starts `redis-server` on a free loopback port and resolves once it answers PING.
 * @returns {Promise<RedisServer>}
 */
export async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-redis-'));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  /** @type {Error | null} */
  let failed = null;
  proc.on('error', (e) => (failed = new Error(`cannot run redis-server: ${e.message} (install Debian's redis-server; tests/run-all.sh does)`)));
  proc.on('exit', (code) => (failed ??= new Error(`redis-server exited with ${code}`)));
  const deadline = Date.now() + 10000;
  for (;;) {
    if (failed !== null) break;
    if (await ping(port)) return { proc, url: `redis://127.0.0.1:${port}/`, dir };
    if (Date.now() > deadline) {
      failed = new Error(`redis-server did not answer on port ${port} in 10 s`);
      break;
    }
    // Waiting for a process to listen: there is nothing to await but another try.
    await new Promise((r) => setTimeout(r, 50));
  }
  await stopServer(proc);
  rmSync(dir, { recursive: true, force: true });
  throw failed;
}

/**
 * Redis and `count` nodes sharing it, each also given `args`. `stop` ends them all.
 * @param {number} count @param {string[]} [args]
 * @returns {Promise<Cluster>}
 */
export async function startCluster(count, args = []) {
  const redis = await startRedis();
  /** @type {Node[]} */
  const nodes = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => stopServer(n.proc)));
    await stopServer(redis.proc);
    rmSync(redis.dir, { recursive: true, force: true });
  };
  try {
    const ports = [];
    for (let i = 0; i < count; i++) ports.push(await freePort());
    const origins = ports.map((p) => `http://127.0.0.1:${p}`).join(',');
    for (const port of ports) {
      const url = `http://127.0.0.1:${port}`;
      const node = await startServer(`127.0.0.1:${port}`, ['--redis', redis.url, '--public-url', url, '--allowed-origins', origins, ...args]);
      nodes.push({ ...node, wsUrl: `ws://127.0.0.1:${port}/ws` });
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { redis, nodes, stop };
}

/**
 * The value of the unlabelled counter or gauge `name` in a node's `/metrics`.
 * @param {string} url the node's base URL @param {string} name
 */
export async function metric(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m === null ? null : Number(m[1]);
}
