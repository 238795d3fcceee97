// Codec against every golden vector (bytes <-> values, both directions) and malformed input.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { decodeClientMsg, decodeServerMsg, encodeClientMsg, encodeServerMsg } from '../src/codec.js';

const load = (name) => JSON.parse(readFileSync(new URL(`vectors/${name}`, import.meta.url), 'utf8'));
const messages = load('messages.json');
const snapshots = load('snapshots.json');
const fromHex = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

describe('client messages match the golden vectors', () => {
  for (const v of messages.client) {
    test(`${v.name} decodes`, () => assert.deepEqual(decodeClientMsg(fromHex(v.hex)), v.value));
    test(`${v.name} encodes`, () => assert.equal(toHex(encodeClientMsg(v.value)), v.hex));
  }
});

describe('server messages match the golden vectors', () => {
  const all = [...messages.server, ...snapshots.snapshots.map((s) => ({ ...s, name: `snapshot_${s.tick}_from_${s.baseline}` }))];
  for (const [i, v] of all.entries()) {
    const label = `${v.name}${v.value.code ? ` ${v.value.code}` : ''} #${i}`;
    test(`${label} decodes`, () => assert.deepEqual(decodeServerMsg(fromHex(v.hex)), v.value));
    test(`${label} encodes`, () => assert.equal(toHex(encodeServerMsg(v.value)), v.hex));
  }
});

describe('reconnection fields', () => {
  const token = Array.from({ length: 16 }, (_, i) => 240 + i);

  test('Hello without resume is one 0 byte longer than its name; with resume, 1 and 16 raw bytes', () => {
    const plain = encodeClientMsg({ type: 'Hello', protocol_version: 1, name: 'Ada', resume: null });
    assert.equal(toHex(plain), '000103416461' + '00');
    const resumed = encodeClientMsg({ type: 'Hello', protocol_version: 1, name: 'Ada', resume: token });
    assert.equal(toHex(resumed), '000103416461' + '01' + toHex(token));
    assert.deepEqual(decodeClientMsg(resumed), { type: 'Hello', protocol_version: 1, name: 'Ada', resume: token });
    assert.deepEqual(
      encodeClientMsg({ type: 'Hello', protocol_version: 1, name: 'Ada', resume: Uint8Array.from(token) }),
      resumed,
      'a Uint8Array token encodes the same',
    );
  });
  test('an absent resume field encodes as None', () => {
    assert.equal(toHex(encodeClientMsg({ type: 'Hello', protocol_version: 1, name: 'Ada' })), '00010341646100');
  });
  test('Option tags other than 0 and 1, and short tokens, are refused', () => {
    assert.throws(() => decodeClientMsg(fromHex('00010341646102')), /Option tag 2/);
    assert.throws(() => decodeClientMsg(fromHex('000103416461' + '01' + toHex(token.slice(0, 15)))), /unexpected end/);
    assert.throws(() => encodeClientMsg({ type: 'Hello', protocol_version: 1, name: 'Ada', resume: token.slice(1) }), /16 bytes/);
    assert.throws(() => encodeClientMsg({ type: 'Hello', protocol_version: 1, name: 'Ada', resume: [...token.slice(1), 256] }), RangeError);
  });
  test('the Welcome token is the last 16 bytes, with no length prefix', () => {
    const v = messages.server.find((m) => m.name === 'welcome');
    assert.equal(v.hex.slice(-32), toHex(v.value.reconnect_token));
    const msg = decodeServerMsg(fromHex(v.hex));
    assert.equal(msg.reconnect_token.length, 16);
  });
  test('PlayerInfo.connected is a strict bool', () => {
    const v = messages.server.find((m) => m.name === 'roster');
    assert.deepEqual(decodeServerMsg(fromHex(v.hex)).players.map((p) => p.connected), [true, false]);
    const bytes = fromHex(v.hex);
    bytes[bytes.length - 1] = 2; // the last player's connected flag
    assert.throws(() => decodeServerMsg(bytes), /bool/);
  });
  test('ResumeRefused is error code 16', () => {
    assert.deepEqual(decodeServerMsg(Uint8Array.of(7, 16, 0)), { type: 'Error', code: 'ResumeRefused', message: '' });
  });
});

describe('malformed frames are refused', () => {
  const welcome = fromHex(messages.server.find((v) => v.name === 'welcome').hex);
  const snapshot = snapshots.snapshots.find((s) => s.tick === 103);

  test('trailing bytes', () => {
    assert.throws(() => decodeServerMsg(Uint8Array.of(...welcome, 0)), /trailing/);
    assert.throws(() => decodeClientMsg(Uint8Array.of(0x01, 0x00)), /trailing/);
  });
  test('every truncation of every vector', () => {
    for (const v of [...messages.server, ...snapshots.snapshots]) {
      const bytes = fromHex(v.hex);
      for (let n = 0; n < bytes.length; n++) assert.throws(() => decodeServerMsg(bytes.subarray(0, n)));
    }
  });
  test('unknown message, error code and lobby target variants', () => {
    assert.throws(() => decodeServerMsg(Uint8Array.of(8)), /variant/);
    assert.throws(() => decodeClientMsg(Uint8Array.of(9)), /variant/);
    assert.throws(() => decodeServerMsg(Uint8Array.of(7, 17, 0)), /variant/);
    assert.throws(() => decodeClientMsg(Uint8Array.of(3, 2, 0)), /variant/);
  });
  test('bad bool and invalid UTF-8', () => {
    assert.throws(() => decodeClientMsg(fromHex('0200056172656e611002')), /bool/);
    assert.throws(() => decodeClientMsg(fromHex('000102c328')), /UTF-8/);
  });
  test('varint markers too wide for the type', () => {
    assert.throws(() => decodeClientMsg(fromHex('00fc0100000000')), /marker/); // u16 with a u32 marker
    assert.throws(() => decodeClientMsg(fromHex('07fd0100000000000000')), /marker/); // u32 with a u64 marker
    assert.throws(() => decodeClientMsg(fromHex('07fe')), /marker/);
  });
  test('longer-than-shortest varints still decode', () => {
    assert.deepEqual(decodeClientMsg(fromHex('07fb0500')), { type: 'Ping', client_time: 5 });
  });
  test('a huge length fails at once instead of allocating', () => {
    assert.throws(() => decodeServerMsg(fromHex('01fdffffffffffff0f00')), /length|2\^53/);
    assert.throws(() => decodeServerMsg(fromHex('01fc00000001')), /length/);
  });
  test('bad change masks', () => {
    const body = (mask) => ({ ...snapshot.value, body: { ...snapshot.value.body, updates: [{ id: 1, mask, pos_residual: [0, 0], vel_delta: [0, 0], score: 0 }] } });
    // Build a valid frame with mask 1, then corrupt the mask byte.
    const ok = encodeServerMsg(body(1));
    const at = ok.length - 2; // mask byte precedes the one-byte residual
    for (const bad of [0, 32, 0x80]) {
      const frame = Uint8Array.from(ok);
      frame[at] = bad;
      assert.throws(() => decodeServerMsg(frame), /mask/);
    }
    assert.throws(() => encodeServerMsg(body(0)), /mask/);
  });
  test('non-ascending ids (gap 0) and ids past u32', () => {
    // Snapshot seq 0, tick 5, full, no spawns, two despawns with gaps 2 then 0, no updates.
    assert.throws(() => decodeServerMsg(fromHex('0500050000020200' + '00')), /ascend/);
    assert.throws(() => decodeServerMsg(fromHex('05000500000201fcffffffff00')), /ascend/);
    assert.throws(() => encodeServerMsg({ ...snapshot.value, body: { ...snapshot.value.body, updates: [], despawns: [3, 3] } }), /ascend/);
  });
  test('baseline before tick 0 and unknown entity kind', () => {
    assert.throws(() => decodeServerMsg(fromHex('0500050600000000')), /baseline/);
    assert.throws(() => decodeServerMsg(fromHex('050005000101020000000000000000')), /kind/);
  });
  test('oversized client frames are neither sent nor accepted', () => {
    assert.throws(() => encodeClientMsg({ type: 'Hello', protocol_version: 1, name: 'x'.repeat(600) }), /over 512/);
    assert.throws(() => decodeClientMsg(new Uint8Array(513)), /exceeds/);
  });
  test('out-of-range values are not encoded', () => {
    assert.throws(() => encodeClientMsg({ type: 'Ping', client_time: 2 ** 32 }), RangeError);
    assert.throws(() => encodeClientMsg({ type: 'Input', seq: 1, client_tick: 0, movement: { x: 128, y: 0 }, buttons: 0, ack: 0 }), RangeError);
    assert.throws(() => encodeClientMsg({ type: 'Nope' }), RangeError);
  });
});
