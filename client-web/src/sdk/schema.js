// The schema a lobby sends in Joined (PROTOCOL.md, "The schema"): its bincode layout, its
// checks (limits, codec references), its hash (FNV-1a 64 over its encoding), the entity
// field lists a presence set implies, and the input encoder. Decoders are built from it at
// run time; nothing here knows any game.

import { DecodeError, Writer } from './bincode.js';

export const MAX_COMPONENTS = 32;
export const MAX_FIELDS = 63;
export const MAX_INPUT_FIELDS = 16;
export const MAX_FLAGS = 31;

/**
 * A field codec as the Rust type serialises it to JSON.
 * @typedef {'Absolute' | 'Delta' | {Predicted: {velocity: number}} | {Enum: {variants: string[]}} | {Flags: {names: string[]}}} FieldCodec
 * @typedef {{name: string, codec: FieldCodec}} FieldSchema
 * @typedef {{name: string, fields: FieldSchema[]}} ComponentSchema
 * @typedef {{name: string, min: number, max: number}} InputField
 * @typedef {{game: string, components: ComponentSchema[], input: InputField[]}} Schema
 * @typedef {import('./bincode.js').Reader} Reader
 */

/**
 * One field of an entity's field list, with what applying it needs.
 * @typedef {{
 *   component: number, componentName: string, name: string,
 *   kind: 'Absolute' | 'Delta' | 'Predicted' | 'Enum' | 'Flags',
 *   velocity: string | null, limit: number,
 * }} FieldSlot
 * `velocity`: for Predicted, the name of the velocity field in the same component.
 * `limit`: for Enum and Flags, the first value out of range; otherwise 0.
 */

/** Thrown for a schema this client cannot use (beyond a limit, a bad codec reference). */
export class SchemaError extends Error {
  name = 'SchemaError';
}

const CODEC_KINDS = /** @type {const} */ (['Absolute', 'Delta', 'Predicted', 'Enum', 'Flags']);

/** @param {Reader} r @returns {string[]} */
const readStrings = (r) => Array.from({ length: r.len() }, () => r.string());

/** @param {Reader} r @returns {FieldCodec} */
function readCodec(r) {
  const i = r.variant();
  if (i === 0) return 'Absolute';
  if (i === 1) return 'Delta';
  if (i === 2) return { Predicted: { velocity: r.u8() } };
  if (i === 3) return { Enum: { variants: readStrings(r) } };
  if (i === 4) return { Flags: { names: readStrings(r) } };
  throw new DecodeError(`unknown FieldCodec variant ${i}`);
}

/** @param {Writer} w @param {string[]} list */
function writeStrings(w, list) {
  w.len(list.length);
  for (const s of list) w.string(s);
}

/** @param {Writer} w @param {FieldCodec} codec */
function writeCodec(w, codec) {
  if (codec === 'Absolute') w.variant(0);
  else if (codec === 'Delta') w.variant(1);
  else if ('Predicted' in codec) {
    w.variant(2);
    w.u8(codec.Predicted.velocity);
  } else if ('Enum' in codec) {
    w.variant(3);
    writeStrings(w, codec.Enum.variants);
  } else if ('Flags' in codec) {
    w.variant(4);
    writeStrings(w, codec.Flags.names);
  } else throw new RangeError(`unknown field codec ${JSON.stringify(codec)}`);
}

/**
 * Reads a Schema value.
 * @param {Reader} r
 * @returns {Schema}
 */
export function readSchema(r) {
  const game = r.string();
  const components = Array.from({ length: r.len() }, () => ({
    name: r.string(),
    fields: Array.from({ length: r.len() }, () => ({ name: r.string(), codec: readCodec(r) })),
  }));
  const input = Array.from({ length: r.len() }, () => ({ name: r.string(), min: r.i32(), max: r.i32() }));
  return { game, components, input };
}

/** @param {Writer} w @param {Schema} schema */
export function writeSchema(w, schema) {
  w.string(schema.game);
  w.len(schema.components.length);
  for (const c of schema.components) {
    w.string(c.name);
    w.len(c.fields.length);
    for (const f of c.fields) {
      w.string(f.name);
      writeCodec(w, f.codec);
    }
  }
  w.len(schema.input.length);
  for (const f of schema.input) {
    w.string(f.name);
    w.i32(f.min);
    w.i32(f.max);
  }
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const U64 = (1n << 64n) - 1n;

/**
 * The 64-bit FNV-1a hash of some bytes.
 * @param {Uint8Array} bytes
 */
export function fnv1a64(bytes) {
  let h = FNV_OFFSET;
  for (const b of bytes) h = ((h ^ BigInt(b)) * FNV_PRIME) & U64;
  return h;
}

/**
 * FNV-1a 64 of the schema's bincode encoding (PROTOCOL.md, `schema_hash`).
 * @param {Schema} schema
 */
export function schemaHash(schema) {
  const w = new Writer();
  writeSchema(w, schema);
  return fnv1a64(w.finish());
}

/** @param {FieldCodec} codec */
const kindOf = (codec) => (typeof codec === 'string' ? codec : /** @type {FieldSlot['kind']} */ (Object.keys(codec)[0]));

/** A schema checked and prepared for decoding snapshots and encoding inputs. */
export class CompiledSchema {
  /** @param {Schema} schema */
  constructor(schema) {
    this.schema = schema;
    if (schema.components.length > MAX_COMPONENTS) throw new SchemaError(`${schema.components.length} components, more than ${MAX_COMPONENTS}`);
    if (schema.input.length > MAX_INPUT_FIELDS) throw new SchemaError(`${schema.input.length} input fields, more than ${MAX_INPUT_FIELDS}`);
    const total = schema.components.reduce((n, c) => n + c.fields.length, 0);
    if (total > MAX_FIELDS) throw new SchemaError(`${total} fields in all, more than ${MAX_FIELDS}`);
    /** Each component's fields as slots, in field order. */
    /** @type {FieldSlot[][]} */
    this.slots = schema.components.map((c, component) =>
      c.fields.map((f) => {
        const kind = kindOf(f.codec);
        if (!CODEC_KINDS.includes(kind)) throw new SchemaError(`unknown codec of ${c.name}.${f.name}`);
        let velocity = null;
        let limit = 0;
        if (typeof f.codec === 'object' && 'Predicted' in f.codec) {
          const v = c.fields[f.codec.Predicted.velocity];
          if (v === undefined || kindOf(v.codec) === 'Predicted') throw new SchemaError(`${c.name}.${f.name} is predicted from a field that is missing or predicted itself`);
          velocity = v.name;
        } else if (typeof f.codec === 'object' && 'Enum' in f.codec) {
          limit = f.codec.Enum.variants.length;
        } else if (typeof f.codec === 'object' && 'Flags' in f.codec) {
          if (f.codec.Flags.names.length > MAX_FLAGS) throw new SchemaError(`${c.name}.${f.name} has more than ${MAX_FLAGS} flags`);
          limit = 2 ** f.codec.Flags.names.length;
        }
        return { component, componentName: c.name, name: f.name, kind, velocity, limit };
      }),
    );
    for (const f of schema.input) if (!(f.min <= f.max)) throw new SchemaError(`input ${f.name} has min above max`);
    /** @type {Map<number, FieldSlot[]>} */
    this.lists = new Map();
    /** Component ids by name. */
    this.ids = new Map(schema.components.map((c, i) => [c.name, i]));
  }

  /** Number of components: presence bits at or above it are malformed. */
  get componentCount() {
    return this.schema.components.length;
  }

  /**
   * The field list of an entity with `presence`: its present components' fields, in
   * component order then field order.
   * @param {number} presence
   */
  fieldList(presence) {
    let list = this.lists.get(presence);
    if (list === undefined) {
      list = this.slots.filter((_, c) => (presence & (1 << c)) !== 0).flat();
      this.lists.set(presence, list);
    }
    return list;
  }

  /**
   * The presence bits of components named `names`.
   * @param {string[]} names
   */
  presenceOf(names) {
    let p = 0;
    for (const name of names) {
      const c = this.ids.get(name);
      if (c === undefined) throw new SchemaError(`no component ${name}`);
      p |= 1 << c;
    }
    return p >>> 0;
  }

  /**
   * The input's values in schema order from a game's named values: whole numbers clamped
   * into each field's range, 0 for a field not given. A name the schema lacks is the game's
   * mistake and throws.
   * @param {Record<string, number>} named
   * @returns {{values: number[], input: Record<string, number>}} the wire values, and the named values as sent
   */
  encodeInput(named) {
    for (const key of Object.keys(named)) if (!this.schema.input.some((f) => f.name === key)) throw new RangeError(`the input has no field ${key}`);
    /** @type {Record<string, number>} */
    const input = {};
    const values = this.schema.input.map((f) => {
      const v = Math.min(f.max, Math.max(f.min, Math.trunc(named[f.name] ?? 0) || 0));
      input[f.name] = v;
      return v;
    });
    return { values, input };
  }
}

/**
 * Whether the schema's hash is the one the server sent, as the words to show if not.
 * @param {Schema} schema @param {bigint} hash
 * @returns {string | null}
 */
export function schemaHashProblem(schema, hash) {
  const own = schemaHash(schema);
  return own === hash ? null : `the lobby's game description does not match its fingerprint (hash ${own}, the server said ${hash})`;
}
