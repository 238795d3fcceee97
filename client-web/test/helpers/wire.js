// Test helpers for the wire: hex, golden vector files, the built-in games' schemas as the
// server sends them, Joined messages with their true hash, and snapshot frames built from
// bodies.

import { readFileSync } from 'node:fs';

import { Writer } from '../../src/sdk/bincode.js';
import { CompiledSchema, schemaHash } from '../../src/sdk/schema.js';
import { writeSnapshotBody } from '../../src/sdk/snapshot_body.js';

export const fromHex = (hex) => Uint8Array.from(hex.replace(/\s+/g, '').match(/../g) ?? [], (b) => parseInt(b, 16));
export const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** A vector file; u64 numbers too large for a double (schema hashes) are kept exact as strings. */
export function loadVectors(name) {
  const text = readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8');
  return JSON.parse(text.replace(/("schema"\s*:\s*)(\d{16,})/g, '$1"$2"'));
}

/**
 * A vector's value in the codec's shape: u64 fields (schema hashes, field masks) as BigInts.
 * @param {any} v
 */
export function fromVector(v, key = '') {
  if (Array.isArray(v)) return v.map((x) => fromVector(x, ''));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromVector(x, k)]));
  if ((key === 'schema_hash' || key === 'schema' || key === 'fields') && (typeof v === 'number' || typeof v === 'string')) return BigInt(v);
  return v;
}

const body = (velocityX, velocityY) => ({
  name: 'Body',
  fields: [
    { name: 'x', codec: { Predicted: { velocity: velocityX } } },
    { name: 'y', codec: { Predicted: { velocity: velocityY } } },
    { name: 'vx', codec: 'Delta' },
    { name: 'vy', codec: 'Delta' },
  ],
});
const stick = [{ name: 'x', min: -127, max: 127 }, { name: 'y', min: -127, max: 127 }];

export const ARENA_SCHEMA = {
  game: 'arena',
  components: [body(2, 3), { name: 'Score', fields: [{ name: 'points', codec: 'Absolute' }] }, { name: 'Orb', fields: [] }],
  input: stick,
};

export const TAG_SCHEMA = {
  game: 'tag',
  components: [
    body(2, 3),
    {
      name: 'Runner',
      fields: [
        { name: 'it', codec: { Enum: { variants: ['runner', 'it'] } } },
        { name: 'dash', codec: 'Absolute' },
        { name: 'cooldown', codec: 'Absolute' },
        { name: 'score', codec: 'Absolute' },
      ],
    },
    { name: 'Round', fields: [{ name: 'ticks_left', codec: { Predicted: { velocity: 1 } } }, { name: 'rate', codec: 'Absolute' }] },
  ],
  input: [...stick, { name: 'dash', min: 0, max: 1 }],
};

export const ARENA_MAP = {
  name: 'arena', width: 25600, height: 16000,
  walls: [{ min: [5760, 3200], max: [6400, 7040] }, { min: [10240, 7680], max: [15360, 8320] }],
};
export const ARENA_CONFIG = { map: ARENA_MAP, orb_radius: 160, movement: { max_speed: 160, accel: 53, half_size: 256 } };
export const TAG_CONFIG = { map: ARENA_MAP, movement: { max_speed: 160, accel: 53, half_size: 256 }, dash: { ticks: 6, cooldown: 60, speed_percent: 200 }, tag_reach: 64 };

/** A Joined for `schema` with its true hash. */
export function joinedFor(schema, config, { entity = 1, code = 'KQ7XZM', lobbyId = 3 } = {}) {
  return {
    type: 'Joined',
    lobby: { id: lobbyId, game: schema.game, name: 'L', map: 'arena', players: 1, max_players: 8, host: 'Ada' },
    code, private: false, entity, tick: 10,
    schema, schema_hash: schemaHash(schema), config: JSON.stringify(config),
  };
}

/**
 * The bytes of a snapshot body; `baseline` is the world it builds on (for the presence of
 * updated entities that keep theirs).
 */
export function bodyBytes(schema, body, baseline = null) {
  const compiled = schema instanceof CompiledSchema ? schema : new CompiledSchema(schema);
  const w = new Writer();
  writeSnapshotBody(w, body, compiled, (id) => {
    const e = baseline?.entities.find((x) => x.id === id);
    return e === undefined ? undefined : compiled.presenceOf(Object.keys(e.components));
  });
  return w.finish();
}
