// The connection with a fake WebSocket: Hello first, pings and RTT, byte counts, backoff.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';

import { decodeClientMsg, encodeServerMsg } from '../src/codec.js';
import { BACKOFF_FIRST_MS, BACKOFF_MAX_MS, Connection } from '../src/net.js';

class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.all.push(this);
  }
  send(bytes) {
    this.sent.push(decodeClientMsg(bytes));
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen();
  }
  receive(msg) {
    const bytes = encodeServerMsg(msg);
    this.onmessage({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
  }
  drop() {
    this.readyState = 3;
    this.onclose();
  }
}

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
  assert.deepEqual(ws.sent, [{ type: 'Hello', protocol_version: 1, name: 'Ada' }]);
  ws.receive({ type: 'Welcome', client_id: 7, server_version: '0.1.0', tick_rate: 30 });
  assert.equal(conn.ready, true);
  assert.deepEqual(ws.sent[1], { type: 'Ping', client_time: 1000 });
  clock = 1042;
  ws.receive({ type: 'Pong', client_time: 1000, server_tick: 99 });
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
  FakeSocket.all[0].receive({ type: 'Pong', client_time: 2 ** 32 - 5, server_tick: 0 });
  assert.equal(conn.rttMs, 10);
});

test('reconnects with exponential backoff and says Hello again', () => {
  const conn = connect();
  conn.open('Ada');
  FakeSocket.all[0].open();
  FakeSocket.all[0].receive({ type: 'Welcome', client_id: 7, server_version: '0.1.0', tick_rate: 30 });
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
  assert.deepEqual(ws.sent, [{ type: 'Hello', protocol_version: 1, name: 'Ada' }]);
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
