// Getting back into the lobby after a drop: what to send once welcomed and whether a Joined
// continues the stay, alone and driven through a Connection over a fake WebSocket the way
// main.js wires them.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';

import { Connection } from '../src/sdk/net.js';
import { continuesStay, requestAfterWelcome } from '../src/sdk/resume.js';
import { FakeSocket } from './fake_socket.js';
import { ARENA_CONFIG, ARENA_SCHEMA, joinedFor } from './helpers/wire.js';

const joined = joinedFor(ARENA_SCHEMA, ARENA_CONFIG, { entity: 5 });
const token = (n) => Array.from({ length: 16 }, (_, i) => (n * 16 + i) & 0xff);
const welcome = (clientId, n) => ({ type: 'Welcome', client_id: clientId, server_version: '0.1.0', tick_rate: 30, reconnect_token: token(n) });
const listLobbies = { type: 'ListLobbies' };

describe('requestAfterWelcome', () => {
  test('a resumed connection sends nothing: Joined for the seat follows', () => {
    assert.equal(requestAfterWelcome({ resumed: true, rejoinCode: 'KQ7XZM', pending: null }), null);
    assert.equal(requestAfterWelcome({ resumed: true, rejoinCode: 'KQ7XZM', pending: listLobbies }), null);
  });
  test('not resumed while a lobby was being played: join it again by its code', () => {
    assert.deepEqual(requestAfterWelcome({ resumed: false, rejoinCode: 'KQ7XZM', pending: null }), { type: 'JoinLobby', target: { Code: 'KQ7XZM' }, schema: null });
  });
  test('a seat ticket from a Redirect is presented first, unless the seat was resumed', () => {
    const ticket = token(3);
    assert.deepEqual(requestAfterWelcome({ resumed: false, rejoinCode: 'KQ7XZM', pending: listLobbies, ticket }), { type: 'JoinLobby', target: { Ticket: ticket }, schema: null });
    assert.equal(requestAfterWelcome({ resumed: true, rejoinCode: null, pending: null, ticket }), null);
  });
  test('otherwise the request made before connecting, if any', () => {
    assert.equal(requestAfterWelcome({ resumed: false, rejoinCode: null, pending: listLobbies }), listLobbies);
    assert.equal(requestAfterWelcome({ resumed: false, rejoinCode: null, pending: null }), null);
  });
});

describe('continuesStay', () => {
  test('the same lobby and entity on a resumed connection', () => {
    assert.equal(continuesStay(joined, { ...joined, tick: 400 }, true), true);
  });
  test('not without a resume, a stay, or with another entity or lobby', () => {
    assert.equal(continuesStay(joined, joined, false), false);
    assert.equal(continuesStay(null, joined, true), false);
    assert.equal(continuesStay(joined, { ...joined, entity: 6 }, true), false);
    assert.equal(continuesStay(joined, { ...joined, code: 'OTHER1' }, true), false);
    assert.equal(continuesStay(joined, { ...joined, lobby: { ...joined.lobby, id: 4 } }, true), false);
  });
});

describe('through a connection, as the page wires it', () => {
  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    FakeSocket.all = [];
  });
  afterEach(() => mock.timers.reset());

  /** The page's choices, reduced to what these decide: stays started and continued. */
  function page() {
    const app = { rejoinCode: null, pending: null, stay: null, stays: 0, continued: 0 };
    const conn = new Connection({
      url: 'ws://test/ws',
      WebSocketImpl: /** @type {any} */ (FakeSocket),
      now: () => 0,
      onStatus: () => {},
      onMessage: (msg) => {
        if (msg.type === 'Welcome') {
          const req = requestAfterWelcome({ resumed: conn.resumed, rejoinCode: app.rejoinCode, pending: app.pending });
          if (req !== null) conn.send(req);
          app.pending = null;
        } else if (msg.type === 'Joined') {
          if (continuesStay(app.stay, msg, conn.resumed)) app.continued++;
          else app.stays++;
          app.stay = msg;
          app.rejoinCode = msg.code;
        }
      },
    });
    return { app, conn };
  }

  /** Connects, creates a lobby and joins it as client 7, entity 5, token 1. */
  function playing() {
    const p = page();
    p.app.pending = { type: 'CreateLobby', game: 'arena', name: 'L', map: 'arena', max_players: 8, private: false };
    p.conn.open('Ada');
    const ws = FakeSocket.all[0];
    ws.open();
    ws.receive(welcome(7, 1));
    assert.deepEqual(ws.sent.map((m) => m.type), ['Hello', 'Ping', 'CreateLobby']);
    ws.receive(joined);
    ws.drop();
    mock.timers.tick(500);
    FakeSocket.all[1].open();
    return { ...p, ws: FakeSocket.all[1] };
  }

  test('resumed: no join is sent and the stay goes on', () => {
    const { app, ws } = playing();
    assert.deepEqual(ws.sent[0].resume, token(1));
    ws.receive(welcome(7, 2));
    assert.deepEqual(ws.sent.map((m) => m.type), ['Hello', 'Ping'], 'no JoinLobby: the server gives the seat back');
    ws.receive({ ...joined, tick: 300 });
    assert.deepEqual({ stays: app.stays, continued: app.continued }, { stays: 1, continued: 1 });
  });

  test('refused: the lobby is joined again by code, and that is a new stay', () => {
    const { app, ws } = playing();
    ws.receive({ type: 'Error', code: 'ResumeRefused', message: 'unknown token' });
    ws.receive(welcome(9, 2));
    assert.deepEqual(ws.sent.at(-1), { type: 'JoinLobby', target: { Code: 'KQ7XZM' }, schema: null });
    ws.receive({ ...joined, entity: 8 });
    assert.deepEqual({ stays: app.stays, continued: app.continued }, { stays: 2, continued: 0 });
  });

  test('refused, and the new server gives the same entity id in a same-coded lobby: still a new stay', () => {
    const { app, ws } = playing();
    ws.receive({ type: 'Error', code: 'ResumeRefused', message: 'unknown token' });
    ws.receive(welcome(1, 2));
    ws.receive(joined);
    assert.deepEqual({ stays: app.stays, continued: app.continued }, { stays: 2, continued: 0 });
  });
});
