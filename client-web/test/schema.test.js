// The schema: its bincode layout and hash against the golden vectors, the checks that
// refuse a schema this client cannot use, field lists and the input encoder.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Reader, Writer } from '../src/sdk/bincode.js';
import { CompiledSchema, SchemaError, fnv1a64, readSchema, schemaHash, schemaHashProblem, writeSchema } from '../src/sdk/schema.js';
import { checkedSchema } from '../src/sdk/session.js';
import { ARENA_CONFIG, ARENA_SCHEMA, TAG_SCHEMA, fromHex, joinedFor, loadVectors, toHex } from './helpers/wire.js';

describe('schema_hashes in messages.json', () => {
  for (const { hash, schema_hex } of loadVectors('messages.json').schema_hashes) {
    test(`${hash}: read, written back byte for byte, hashed alike`, () => {
      const r = new Reader(fromHex(schema_hex));
      const schema = readSchema(r);
      r.finish();
      const w = new Writer();
      writeSchema(w, schema);
      assert.equal(toHex(w.finish()), schema_hex);
      assert.equal(schemaHash(schema), BigInt(hash));
      assert.doesNotThrow(() => new CompiledSchema(schema));
    });
  }
});

test('FNV-1a 64 is the standard one', () => {
  assert.equal(fnv1a64(new Uint8Array()), 0xcbf29ce484222325n);
  assert.equal(fnv1a64(new TextEncoder().encode('a')), 0xaf63dc4c8601ec8cn);
  assert.equal(fnv1a64(new TextEncoder().encode('foobar')), 0x85944171f73967e8n);
});

test('any change to a name, a codec or the order changes the hash', () => {
  const h = schemaHash(ARENA_SCHEMA);
  const changed = structuredClone(ARENA_SCHEMA);
  changed.components[1].fields[0].name = 'point';
  assert.notEqual(schemaHash(changed), h);
  const codec = structuredClone(ARENA_SCHEMA);
  codec.components[1].fields[0].codec = 'Delta';
  assert.notEqual(schemaHash(codec), h);
  const order = structuredClone(ARENA_SCHEMA);
  order.components.reverse();
  assert.notEqual(schemaHash(order), h);
});

test('a Joined whose schema does not match its hash is refused with words', () => {
  const joined = joinedFor(ARENA_SCHEMA, ARENA_CONFIG);
  assert.equal(checkedSchema(joined).schema, joined.schema);
  assert.equal(schemaHashProblem(joined.schema, joined.schema_hash), null);
  const wrong = { ...joined, schema_hash: joined.schema_hash ^ 1n };
  assert.throws(() => checkedSchema(wrong), (e) => e instanceof SchemaError && /does not match its fingerprint/.test(e.message));
});

test('schemas beyond the limits, or predicted from a missing or predicted field, are refused', () => {
  const fields = (n) => Array.from({ length: n }, (_, i) => ({ name: `f${i}`, codec: 'Absolute' }));
  const of = (components, input = []) => ({ game: 'g', components, input });
  assert.throws(() => new CompiledSchema(of([{ name: 'A', fields: fields(64) }])), /more than 63/);
  assert.doesNotThrow(() => new CompiledSchema(of([{ name: 'A', fields: fields(63) }])));
  assert.throws(() => new CompiledSchema(of(Array.from({ length: 33 }, (_, i) => ({ name: `C${i}`, fields: [] })))), /more than 32/);
  assert.throws(() => new CompiledSchema(of([], Array.from({ length: 17 }, (_, i) => ({ name: `i${i}`, min: 0, max: 1 })))), /more than 16/);
  assert.throws(() => new CompiledSchema(of([{ name: 'A', fields: [{ name: 'p', codec: { Predicted: { velocity: 1 } } }] }])), /predicted from/);
  assert.throws(() => new CompiledSchema(of([{ name: 'A', fields: [{ name: 'p', codec: { Predicted: { velocity: 0 } } }] }])), /predicted from/);
  assert.throws(() => new CompiledSchema(of([{ name: 'A', fields: [{ name: 'f', codec: { Flags: { names: fields(32).map((f) => f.name) } } }] }])), /flags/);
});

test('field lists follow the presence: component order, then field order', () => {
  const s = new CompiledSchema(TAG_SCHEMA);
  const names = (p) => s.fieldList(p).map((f) => `${f.componentName}.${f.name}`);
  assert.deepEqual(names(0b011), ['Body.x', 'Body.y', 'Body.vx', 'Body.vy', 'Runner.it', 'Runner.dash', 'Runner.cooldown', 'Runner.score']);
  assert.deepEqual(names(0b100), ['Round.ticks_left', 'Round.rate']);
  assert.deepEqual(names(0), []);
  assert.equal(s.presenceOf(['Round', 'Body']), 0b101);
});

test('inputs are encoded in schema order, whole and in range; unknown names are a mistake', () => {
  const s = new CompiledSchema(TAG_SCHEMA);
  assert.deepEqual(s.encodeInput({ dash: 1, y: -127, x: 12 }), { values: [12, -127, 1], input: { x: 12, y: -127, dash: 1 } });
  assert.deepEqual(s.encodeInput({ x: -128, y: 300.7 }).values, [-127, 127, 0]);
  assert.deepEqual(s.encodeInput({ x: NaN, dash: 5 }).values, [0, 0, 1]);
  assert.throws(() => s.encodeInput({ jump: 1 }), /no field jump/);
});
