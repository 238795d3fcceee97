// The connection with a fake WebSocket: Hello first, pings and RTT, byte counts, backoff
// that gives up (and trying again), and asking for the held seat back after a drop.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';

import { FakeSocket } from './fake_socket.js';
import { ARENA_CONFIG, ARENA_SCHEMA, joinedFor } from './helpers/wire.js';
import { BACKOFF_FIRST_MS, BACKOFF_GIVE_UP_MS, BACKOFF_MAX_MS, Connection } from '../src/sdk/net.js';
import { PROTOCOL_VERSION } from '../src/sdk/limits.js';

/** A reconnect token, distinct per `n`. */
const token = (n) => Array.from({ length: 16 }, (_, i) => (n * 16 + i) & 0xff);
const welcome = (clientId, n) => ({ type: 'Welcome', client_id: clientId, server_version: '0.1.0', tick_rate: 30, reconnect_token: token(n) });
const joined = joinedFor(ARENA_SCHEMA, ARENA_CONFIG, { entity: 5 });

let clock;
let received;
let statuses;
const connect = () =>
  new Connection({ url: 'ws://test/ws', onMessage: (m) => received.push(m), onStatus: (s) => statuses.push(s), WebSocketImpl: FakeSocket, now: () => clock });

beforeEach(() => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  FakeSocket.all = [];
  clock = 1000;
  received = [];
  statuses = [];
});
afterEach(() => mock.timers.reset());

test('says Hello on open, is ready after Welcome, pings each second and measures RTT', () => {
  const conn = connect();
  conn.open('Ada');
  const ws = FakeSocket.all[0];
  assert.equal(ws.binaryType, 'arraybuffer');
  assert.equal(conn.send({ type: 'ListLobbies' }), false, 'nothing before Welcome');
  ws.open();
  assert.deepEqual(ws.sent, [{ type: 'Hello', protocol_version: PROTOCOL_VERSION, name: 'Ada', resume: null }]);
  ws.receive(welcome(7, 1));
  assert.equal(conn.ready, true);
  assert.deepEqual(ws.sent[1], { type: 'Ping', client_time: 1000 });
  clock = 1042;
  ws.receive({ type: 'Pong', client_time: 1000, server_tick: 99, waited_us: 0 });
  assert.equal(conn.rttMs, 42);
  assert.equal(conn.serverTick, 99);
  mock.timers.tick(1000);
  assert.deepEqual(ws.sent.at(-1), { type: 'Ping', client_time: 1042 });
  assert.deepEqual(received.map((m) => m.type), ['Welcome', 'Pong']);
  assert.ok(conn.bytesUp > 0 && conn.bytesDown > 0);
});

test('RTT survives the u32 wrap of the client clock', () => {
  const conn = connect();
  conn.open('Ada');
  FakeSocket.all[0].open();
  clock = 2 ** 32 + 5;
  FakeSocket.all[0].receive({ type: 'Pong', client_time: 2 ** 32 - 5, server_tick: 0, waited_us: 0 });
  assert.equal(conn.rttMs, 10);
});

test('seated, a ping goes out with the next input, and the wait for the tick is not round trip', () => {
  const { conn, ws } = seated();
  const before = ws.sent.length;
  mock.timers.tick(1000);
  assert.equal(ws.sent.length, before, 'no ping on its own while seated');
  const input = { type: 'Input', seq: 1, client_tick: 1, ack: 0, values: [] };
  conn.send(input);
  assert.deepEqual(ws.sent.slice(before).map((m) => m.type), ['Input', 'Ping']);
  const ping = ws.sent.at(-1);
  clock = ping.client_time + 30;
  ws.receive({ type: 'Pong', client_time: ping.client_time, server_tick: 5, waited_us: 21_400 });
  assert.equal(conn.rttMs, 9, '30 ms old, 21 of them waiting for the lobby\'s tick');
});

test('reconnects with exponential backoff and says Hello again', () => {
  const conn = connect();
  conn.open('Ada');
  FakeSocket.all[0].open();
  FakeSocket.all[0].receive(welcome(7, 1));
  FakeSocket.all[0].drop();
  assert.equal(conn.ready, false);
  assert.deepEqual(statuses.at(-1), { state: 'lost', wasOpen: true, retryAt: clock + BACKOFF_FIRST_MS });
  const delays = [];
  for (let i = 0; i < 8; i++) {
    const before = FakeSocket.all.length;
    const retryAt = statuses.at(-1).retryAt;
    delays.push(retryAt - clock);
    mock.timers.tick(retryAt - clock);
    assert.equal(FakeSocket.all.length, before + 1, 'a new socket after the delay');
    FakeSocket.all.at(-1).drop();
  }
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 10000, 10000, 10000].map((d) => Math.min(d, BACKOFF_MAX_MS)));
  mock.timers.tick(BACKOFF_MAX_MS);
  const ws = FakeSocket.all.at(-1);
  ws.open();
  assert.deepEqual(ws.sent, [{ type: 'Hello', protocol_version: PROTOCOL_VERSION, name: 'Ada', resume: null }], 'no seat: nothing to resume');
});

test('close() stops reconnecting; an undecodable frame closes the socket', () => {
  const conn = connect();
  conn.open('Ada');
  const ws = FakeSocket.all[0];
  ws.open();
  const error = mock.method(console, 'error', () => {});
  ws.onmessage({ data: new Uint8Array([42]).buffer });
  assert.equal(ws.readyState, 3);
  assert.equal(error.mock.callCount(), 1);
  error.mock.restore();
  conn.close();
  ws.onclose();
  mock.timers.tick(60000);
  assert.equal(FakeSocket.all.length, 1);
  assert.equal(statuses.at(-1).state, 'closed');
});

/** Opens a connection, welcomed as client 7 with token 1 and seated by Joined. */
function seated() {
  const conn = connect();
  conn.open('Ada');
  const ws = FakeSocket.all[0];
  ws.open();
  ws.receive(welcome(7, 1));
  ws.receive(joined);
  return { conn, ws };
}

/** Drops the current socket and opens the next one after the backoff; returns it. */
function dropAndReopen() {
  FakeSocket.all.at(-1).drop();
  mock.timers.tick(statuses.at(-1).retryAt - clock);
  const ws = FakeSocket.all.at(-1);
  ws.open();
  return ws;
}

test('a drop while seated: the next Hello resumes with the latest token; a resumed Welcome leaves the seat held', () => {
  const { conn } = seated();
  assert.equal(conn.resumed, false, 'the first connection resumed nothing');
  assert.deepEqual(conn.token, token(1));
  const ws = dropAndReopen();
  assert.deepEqual(ws.sent, [{ type: 'Hello', protocol_version: PROTOCOL_VERSION, name: 'Ada', resume: token(1) }]);
  ws.receive(welcome(7, 2));
  assert.equal(conn.resumed, true);
  assert.equal(conn.ready, true);
  assert.deepEqual(conn.token, token(2), 'every Welcome brings the token for next time');
  ws.receive(joined);
  // Dropped again: the new token, never the used one.
  const ws3 = dropAndReopen();
  assert.deepEqual(ws3.sent[0].resume, token(2));
});

test('a socket that drops before its Welcome tries the same token again', () => {
  seated();
  const ws = dropAndReopen();
  assert.deepEqual(ws.sent[0].resume, token(1));
  const ws3 = dropAndReopen();
  assert.deepEqual(ws3.sent[0].resume, token(1));
});

test('ResumeRefused before Welcome: not fatal, the Welcome is not a resume, and the seat is forgotten', () => {
  const { conn } = seated();
  const ws = dropAndReopen();
  ws.receive({ type: 'Error', code: 'ResumeRefused', message: 'unknown token' });
  assert.equal(ws.readyState, 1, 'the connection stays open');
  ws.receive(welcome(9, 2));
  assert.equal(conn.resumed, false);
  assert.equal(conn.ready, true);
  assert.deepEqual(received.slice(-2).map((m) => m.type), ['Error', 'Welcome'], 'the app sees both');
  // Not seated: a drop now asks for nothing back...
  assert.equal(dropAndReopen().sent[0].resume, null);
  // ...until the lobby is joined again, with the token of the latest Welcome.
  const ws4 = FakeSocket.all.at(-1);
  ws4.receive(welcome(9, 3));
  ws4.receive({ ...joined, entity: 6 });
  assert.deepEqual(dropAndReopen().sent[0].resume, token(3));
});

test('a Welcome without resume is never a resume, even when the server gives the same id', () => {
  const conn = connect();
  conn.open('Ada');
  FakeSocket.all[0].open();
  FakeSocket.all[0].receive(welcome(7, 1));
  const ws = dropAndReopen(); // never joined: nothing to resume
  assert.equal(ws.sent[0].resume, null);
  ws.receive(welcome(7, 2));
  assert.equal(conn.resumed, false);
});

test('Left, forgetSeat() and a new name each give up the seat', () => {
  {
    const { ws } = seated();
    ws.receive({ type: 'Left' });
    assert.equal(dropAndReopen().sent[0].resume, null, 'after Left');
  }
  {
    FakeSocket.all = [];
    const { conn } = seated();
    FakeSocket.all[0].drop();
    conn.forgetSeat(); // the player left the lobby while disconnected
    mock.timers.tick(statuses.at(-1).retryAt - clock);
    FakeSocket.all.at(-1).open();
    assert.equal(FakeSocket.all.at(-1).sent[0].resume, null, 'after forgetSeat');
  }
  {
    FakeSocket.all = [];
    const { conn } = seated();
    conn.open('Bo');
    FakeSocket.all.at(-1).open();
    assert.deepEqual(FakeSocket.all.at(-1).sent[0], { type: 'Hello', protocol_version: PROTOCOL_VERSION, name: 'Bo', resume: null }, 'after open()');
  }
});

test('reconnecting gives up once it has failed for BACKOFF_GIVE_UP_MS; retry() tries again at once and still asks for the seat', () => {
  const { conn } = seated();
  FakeSocket.all[0].drop();
  const lostAt = clock;
  // The server stays away: every try fails, each after the backoff.
  while (statuses.at(-1).state === 'lost') {
    const wait = statuses.at(-1).retryAt - clock;
    clock += wait;
    mock.timers.tick(wait);
    FakeSocket.all.at(-1).drop();
  }
  assert.deepEqual(statuses.at(-1), { state: 'stopped', wasOpen: false });
  assert.ok(clock - lostAt >= BACKOFF_GIVE_UP_MS && clock - lostAt < BACKOFF_GIVE_UP_MS + 2 * BACKOFF_MAX_MS, `gave up ${clock - lostAt} ms after the drop`);
  assert.equal(conn.wanted, false);
  const tries = FakeSocket.all.length;
  mock.timers.tick(10 * 60000);
  assert.equal(FakeSocket.all.length, tries, 'no more tries once stopped');

  conn.retry();
  assert.equal(FakeSocket.all.length, tries + 1, 'a new socket at once');
  const ws = FakeSocket.all.at(-1);
  ws.open();
  assert.deepEqual(ws.sent[0].resume, token(1), 'the held seat is asked for');
  // A failed retry backs off from the start again.
  ws.drop();
  assert.deepEqual(statuses.at(-1), { state: 'lost', wasOpen: true, retryAt: clock + BACKOFF_FIRST_MS });
});

test('a Redirect moves the socket to the other node at once, keeps the ticket, and is not shown to the page', () => {
  const conn = connect();
  conn.open('Ada');
  const ws = FakeSocket.all[0];
  ws.open();
  ws.receive(welcome(7, 1));
  const ticket = token(9);
  ws.receive({ type: 'Redirect', url: 'wss://node-2.example/ws', ticket });
  assert.equal(ws.readyState, 3, 'the first socket is closed');
  const next = FakeSocket.all[1];
  assert.equal(next.url, 'wss://node-2.example/ws');
  next.open();
  assert.deepEqual(next.sent, [{ type: 'Hello', protocol_version: PROTOCOL_VERSION, name: 'Ada', resume: null }]);
  assert.deepEqual(conn.takeTicket(), ticket);
  assert.equal(conn.takeTicket(), null, 'a ticket is taken once');
  assert.ok(!received.some((m) => m.type === 'Redirect'));
});

test('a Redirect while resuming asks the other node for the seat; a page URL or a loop is refused', () => {
  const conn = connect();
  conn.open('Ada');
  FakeSocket.all[0].open();
  FakeSocket.all[0].receive(welcome(7, 1));
  FakeSocket.all[0].receive(joined);
  FakeSocket.all[0].drop();
  mock.timers.tick(BACKOFF_FIRST_MS);
  const back = FakeSocket.all[1];
  back.open();
  back.receive({ type: 'Redirect', url: 'ws://node-3.example/ws', ticket: null });
  const there = FakeSocket.all[2];
  there.open();
  assert.deepEqual(there.sent[0].resume, token(1), 'the same token, on the node holding the seat');
  there.receive({ type: 'Redirect', url: 'javascript:alert(1)', ticket: null });
  assert.equal(FakeSocket.all.length, 3, 'not a WebSocket URL: not followed');
  for (let i = 0; i < 3; i++) FakeSocket.all.at(-1).receive({ type: 'Redirect', url: `ws://n${i}.example/ws`, ticket: null });
  assert.equal(FakeSocket.all.length, 5, 'at most MAX_REDIRECTS in a row');
  assert.equal(conn.url, 'ws://n1.example/ws');
});
