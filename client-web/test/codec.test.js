// The message codec: hand-made frames from PROTOCOL.md (version 3), every golden vector,
// the golden vectors' limits against this client's constants, and malformed input.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ERROR_CODES, MAX_CLIENT_FRAME, MAX_SERVER_FRAME, decodeClientMsg, decodeServerMsg, encodeClientMsg, encodeServerMsg } from '../src/sdk/codec.js';
import { MAX_LOBBY_NAME_CHARS, MAX_NAME_CHARS, MAX_PLAYERS, MIN_PLAYERS, PROTOCOL_VERSION } from '../src/sdk/limits.js';
import { ARENA_SCHEMA, fromHex, fromVector, joinedFor, loadVectors, toHex } from './helpers/wire.js';

const hex = (s) => s.replace(/\s+/g, '');
/** Checks a message against its frame, both ways. */
function both(msg, frame, decode = decodeClientMsg, encode = encodeClientMsg) {
  assert.equal(toHex(encode(msg)), hex(frame));
  assert.deepEqual(decode(fromHex(frame)), msg);
}

describe('client messages, by hand from PROTOCOL.md', () => {
  test('Hello carries version 3', () => both({ type: 'Hello', protocol_version: 3, name: 'Ada', resume: null }, '00 03 03416461 00'));
  test('CreateLobby names the game first', () =>
    both({ type: 'CreateLobby', game: 'arena', name: 'L', map: 'arena', max_players: 8, private: false }, '02 05617265 6e61 01 4c 05617265 6e61 08 00'));
  test('JoinLobby and QuickJoin carry an optional u64 schema hash', () => {
    both({ type: 'JoinLobby', target: { Code: 'KQ' }, schema: null }, '03 01 02 4b51 00');
    both({ type: 'JoinLobby', target: { Id: 300 }, schema: 2n ** 64n - 1n }, '03 00 fb2c01 01 fd ffffffffffffffff');
    both({ type: 'QuickJoin', game: '', schema: null }, '04 00 00');
    both({ type: 'QuickJoin', game: 'tag', schema: 300n }, '04 03746167 01 fb2c01');
  });
  test('Input: seq, client tick, ack, then the values as zigzag i32s', () =>
    both({ type: 'Input', seq: 1, client_tick: 0, ack: 250, values: [127, -127, 0] }, '06 01 00 fa 03 fbfe00 fbfd00 00'));
  test('a schema hash given as a plain number encodes the same', () =>
    assert.equal(toHex(encodeClientMsg({ type: 'QuickJoin', game: 'tag', schema: 300 })), '0403746167' + '01fb2c01'));
});

describe('server messages, by hand from PROTOCOL.md', () => {
  test('LobbyInfo names its game after its id and its host last', () =>
    both({ type: 'LobbyList', lobbies: [{ id: 1, game: 'tag', name: 'L', map: 'm', players: 2, max_players: 8, host: 'Bo' }] }, '01 01 01 03746167 014c 016d 02 08 02426f', decodeServerMsg, encodeServerMsg));
  test('Joined carries the schema, its u64 hash and the config text', () => {
    const joined = joinedFor(ARENA_SCHEMA, { a: 1 });
    const bytes = encodeServerMsg(joined);
    assert.deepEqual(decodeServerMsg(bytes), joined);
    // ... 'arena' schema ... then the hash (253 + 8 bytes LE) and '{"a":1}'.
    const tail = toHex(bytes).slice(-(2 * (1 + 8) + 2 * (1 + 7)));
    const le = joined.schema_hash.toString(16).padStart(16, '0').match(/../g).reverse().join('');
    assert.equal(tail, 'fd' + le + '07' + toHex(new TextEncoder().encode('{"a":1}')));
  });
  test('a Snapshot keeps its body as bytes (read against its baseline later)', () => {
    assert.deepEqual(decodeServerMsg(fromHex('05 07 6400 00 00 00')), { type: 'Snapshot', last_input_seq: 7, body: fromHex('6400000000') });
    assert.equal(toHex(encodeServerMsg({ type: 'Snapshot', last_input_seq: 7, body: fromHex('6400000000') })), '05076400000000');
  });
  test('the newer error codes: UnknownGame 17, SchemaMismatch 18, InvalidInput 19, ClusterUnavailable 20', () => {
    assert.deepEqual(ERROR_CODES.slice(16), ['ResumeRefused', 'UnknownGame', 'SchemaMismatch', 'InvalidInput', 'ClusterUnavailable']);
    assert.deepEqual(decodeServerMsg(Uint8Array.of(7, 19, 1, 0x78)), { type: 'Error', code: 'InvalidInput', message: 'x' });
    assert.deepEqual(decodeServerMsg(Uint8Array.of(7, 20, 0)), { type: 'Error', code: 'ClusterUnavailable', message: '' });
    assert.throws(() => decodeServerMsg(Uint8Array.of(7, 21, 0)), /variant/);
  });
  test('Redirect: a URL, then an optional 16-byte ticket; JoinLobby by Ticket is variant 2', () => {
    const ticket = Array.from({ length: 16 }, (_, i) => i);
    assert.deepEqual(decodeServerMsg(Uint8Array.of(8, 1, 0x77, 1, ...ticket)), { type: 'Redirect', url: 'w', ticket });
    assert.deepEqual(decodeServerMsg(Uint8Array.of(8, 0, 0)), { type: 'Redirect', url: '', ticket: null });
    assert.equal(toHex(encodeClientMsg({ type: 'JoinLobby', target: { Ticket: ticket }, schema: null })), '0302' + toHex(ticket) + '00');
  });
});

describe('reconnection fields', () => {
  const token = Array.from({ length: 16 }, (_, i) => 240 + i);
  test('Hello with resume: 1 then 16 raw bytes; a Uint8Array token encodes the same', () => {
    const resumed = encodeClientMsg({ type: 'Hello', protocol_version: 3, name: 'Ada', resume: token });
    assert.equal(toHex(resumed), '000303416461' + '01' + toHex(token));
    assert.deepEqual(decodeClientMsg(resumed), { type: 'Hello', protocol_version: 3, name: 'Ada', resume: token });
    assert.deepEqual(encodeClientMsg({ type: 'Hello', protocol_version: 3, name: 'Ada', resume: Uint8Array.from(token) }), resumed);
    assert.equal(toHex(encodeClientMsg({ type: 'Hello', protocol_version: 3, name: 'Ada' })), '00030341646100', 'absent is None');
  });
  test('Option tags other than 0 and 1, and short tokens, are refused', () => {
    assert.throws(() => decodeClientMsg(fromHex('00030341646102')), /Option tag 2/);
    assert.throws(() => decodeClientMsg(fromHex('000303416461' + '01' + toHex(token.slice(0, 15)))), /unexpected end/);
    assert.throws(() => encodeClientMsg({ type: 'Hello', protocol_version: 3, name: 'Ada', resume: token.slice(1) }), /16 bytes/);
  });
  test('Welcome: the token is the last 16 bytes; PlayerInfo.connected is a strict bool', () => {
    const welcome = { type: 'Welcome', client_id: 7, server_version: '0.2.0', tick_rate: 30, reconnect_token: token };
    assert.equal(toHex(encodeServerMsg(welcome)).slice(-32), toHex(token));
    const roster = encodeServerMsg({ type: 'Roster', host: 1, players: [{ client_id: 1, entity: 2, name: 'A', connected: true }] });
    roster[roster.length - 1] = 2;
    assert.throws(() => decodeServerMsg(roster), /bool/);
  });
});

describe('malformed frames are refused', () => {
  test('trailing bytes, unknown variants, bad bools and UTF-8', () => {
    assert.throws(() => decodeClientMsg(Uint8Array.of(0x01, 0x00)), /trailing/);
    assert.throws(() => decodeServerMsg(Uint8Array.of(9)), /variant/);
    assert.throws(() => decodeClientMsg(Uint8Array.of(9)), /variant/);
    assert.throws(() => decodeClientMsg(fromHex('030300')), /variant/);
    assert.throws(() => decodeClientMsg(fromHex('0205617265 6e61 014c 05617265 6e61 08 02'.replace(/ /g, ''))), /bool/);
    assert.throws(() => decodeClientMsg(fromHex('000202c328')), /UTF-8/);
  });
  test('varint markers too wide for the type; longer-than-shortest still decodes', () => {
    assert.throws(() => decodeClientMsg(fromHex('00fc0200000000')), /marker/);
    assert.throws(() => decodeClientMsg(fromHex('07fd0100000000000000')), /marker/);
    assert.throws(() => decodeClientMsg(fromHex('07fe')), /marker/);
    assert.deepEqual(decodeClientMsg(fromHex('07fb0500')), { type: 'Ping', client_time: 5 });
  });
  test('a huge length fails at once instead of allocating', () => {
    assert.throws(() => decodeServerMsg(fromHex('01fdffffffffffff0f00')), /length|2\^53/);
    assert.throws(() => decodeServerMsg(fromHex('01fc00000001')), /length/);
  });
  test('every truncation of a Joined', () => {
    const bytes = encodeServerMsg(joinedFor(ARENA_SCHEMA, {}));
    for (let n = 0; n < bytes.length; n++) assert.throws(() => decodeServerMsg(bytes.subarray(0, n)));
  });
  test('oversized or out-of-range client messages are neither sent nor accepted', () => {
    assert.throws(() => encodeClientMsg({ type: 'Hello', protocol_version: 3, name: 'x'.repeat(600) }), /over 512/);
    assert.throws(() => decodeClientMsg(new Uint8Array(513)), /exceeds/);
    assert.throws(() => encodeClientMsg({ type: 'Ping', client_time: 2 ** 32 }), RangeError);
    assert.throws(() => encodeClientMsg({ type: 'Input', seq: 1, client_tick: 0, ack: 0, values: [2 ** 31] }), RangeError);
    assert.throws(() => encodeClientMsg({ type: 'QuickJoin', game: '', schema: -1n }), RangeError);
    assert.throws(() => encodeClientMsg({ type: 'Nope' }), RangeError);
  });
});

describe('golden vectors (messages.json)', () => {
  const messages = loadVectors('messages.json');
  // Never skipped: a client whose version or limits drift from the server's fails here.
  test('the protocol version and frame limits are the server\'s', () => {
    assert.equal(PROTOCOL_VERSION, messages.limits.protocol_version, 'PROTOCOL_VERSION in src/sdk/limits.js');
    assert.equal(MAX_CLIENT_FRAME, messages.limits.max_client_frame, 'MAX_CLIENT_FRAME in src/sdk/codec.js');
    assert.equal(MAX_SERVER_FRAME, messages.limits.max_server_frame, 'MAX_SERVER_FRAME in src/sdk/codec.js');
  });
  test('the name and lobby size limits are the server\'s', () => {
    const { max_name_chars, max_lobby_name_chars, min_players, max_players } = messages.limits;
    assert.deepEqual([MAX_NAME_CHARS, MAX_LOBBY_NAME_CHARS, MIN_PLAYERS, MAX_PLAYERS], [max_name_chars, max_lobby_name_chars, min_players, max_players]);
  });
  test('the error codes are the server\'s', () => {
    assert.deepEqual(messages.error_codes.map((/** @type {any} */ c) => [c.index, c.code]), ERROR_CODES.map((c, i) => [i, c]));
  });
  for (const v of messages.client) {
    test(`${v.name} decodes`, () => assert.deepEqual(decodeClientMsg(fromHex(v.hex)), fromVector(v.value)));
    test(`${v.name} encodes`, () => assert.equal(toHex(encodeClientMsg(fromVector(v.value))), v.hex));
  }
  for (const [i, v] of messages.server.entries()) {
    const label = `${v.name}${v.value.code ? ` ${v.value.code}` : ''} #${i}`;
    test(`${label} decodes`, () => assert.deepEqual(decodeServerMsg(fromHex(v.hex)), fromVector(v.value)));
    test(`${label} encodes`, () => assert.equal(toHex(encodeServerMsg(fromVector(v.value))), v.hex));
    test(`${label}: every truncation is refused`, () => {
      const bytes = fromHex(v.hex);
      for (let n = 0; n < bytes.length; n++) assert.throws(() => decodeServerMsg(bytes.subarray(0, n)));
    });
  }
});
