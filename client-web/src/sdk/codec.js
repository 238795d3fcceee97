// The wire messages (PROTOCOL.md, ClientMsg and ServerMsg): encode and decode both
// directions, as plain objects shaped like the "value" objects of the golden vectors,
// e.g. {type: "Welcome", client_id, server_version, tick_rate, reconnect_token}. Field order
// is the wire format and mirrors protocol/src/messages.rs. Fixed-size byte arrays (the
// reconnect token) are arrays of numbers; an absent Option is null; u64 values are BigInts.
// A Snapshot's body stays bytes here (`body: Uint8Array`): reading it needs the schema and
// the baseline it names (snapshot_body.js, snapshots.js).

import { DecodeError, Reader, Writer } from './bincode.js';
import { readSchema, writeSchema } from './schema.js';

/** Largest frame a client may send. */
export const MAX_CLIENT_FRAME = 512;
/** Largest frame a server sends. */
export const MAX_SERVER_FRAME = 4 << 20;

/**
 * A field type: how one value is read and written.
 * @typedef {{read(r: Reader): any, write(w: Writer, v: any): void}} Type
 */

/** @type {Record<string, Type>} */
const prim = {
  u8: { read: (r) => r.u8(), write: (w, v) => w.u8(v) },
  bool: { read: (r) => r.bool(), write: (w, v) => w.bool(v) },
  u16: { read: (r) => r.u16(), write: (w, v) => w.u16(v) },
  u32: { read: (r) => r.u32(), write: (w, v) => w.u32(v) },
  i32: { read: (r) => r.i32(), write: (w, v) => w.i32(v) },
  u64: { read: (r) => r.u64(), write: (w, v) => w.u64(typeof v === 'number' ? BigInt(v) : v) },
  string: { read: (r) => r.string(), write: (w, v) => w.string(v) },
};

/**
 * A struct: its fields in order.
 * @param {[string, Type][]} fields
 * @returns {Type}
 */
function struct(fields) {
  return {
    read(r) {
      /** @type {Record<string, any>} */
      const out = {};
      for (const [name, type] of fields) out[name] = type.read(r);
      return out;
    },
    write(w, v) {
      for (const [name, type] of fields) type.write(w, v[name]);
    },
  };
}

/**
 * @param {Type} item
 * @returns {Type}
 */
function vec(item) {
  return {
    read(r) {
      const n = r.len();
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = item.read(r);
      return out;
    },
    write(w, v) {
      w.len(v.length);
      for (const x of v) item.write(w, x);
    },
  };
}

/**
 * A C-like enum carried as its variant name.
 * @param {string[]} names
 * @returns {Type}
 */
function unitEnum(names) {
  return {
    read(r) {
      const i = r.variant();
      if (i >= names.length) throw new DecodeError(`unknown variant ${i}`);
      return names[i];
    },
    write(w, v) {
      const i = names.indexOf(v);
      if (i < 0) throw new RangeError(`unknown variant ${v}`);
      w.variant(i);
    },
  };
}

/**
 * A fixed-size byte array (`[u8; n]`): n raw bytes, no length prefix, as an array of numbers.
 * @param {number} n
 * @returns {Type}
 */
function bytes(n) {
  return {
    read(r) {
      const at = r.take(n);
      return Array.from(r.bytes.subarray(at, at + n));
    },
    write(w, v) {
      if (v === null || typeof v !== 'object' || v.length !== n) throw new RangeError(`expected ${n} bytes, got ${v}`);
      for (let i = 0; i < n; i++) w.u8(v[i]);
    },
  };
}

/**
 * `Option<T>`: byte 0 (null) or 1 then the value.
 * @param {Type} inner
 * @returns {Type}
 */
function option(inner) {
  return {
    read(r) {
      const tag = r.u8();
      if (tag === 0) return null;
      if (tag === 1) return inner.read(r);
      throw new DecodeError(`invalid Option tag ${tag}`);
    },
    write(w, v) {
      if (v === null || v === undefined) {
        w.u8(0);
      } else {
        w.u8(1);
        inner.write(w, v);
      }
    },
  };
}

/** A reconnect token: 16 raw bytes (`ReconnectToken` in messages.rs). */
export const TOKEN_BYTES = 16;
const reconnectToken = bytes(TOKEN_BYTES);
/** A seat ticket from a Redirect: 16 raw bytes (`SeatTicket` in messages.rs). */
const seatTicket = bytes(TOKEN_BYTES);

/** LobbyTarget as {Id: n}, {Code: "..."} or {Ticket: [16 bytes]}. */
/** @type {Type} */
const lobbyTarget = {
  read(r) {
    const i = r.variant();
    if (i === 0) return { Id: r.u32() };
    if (i === 1) return { Code: r.string() };
    if (i === 2) return { Ticket: seatTicket.read(r) };
    throw new DecodeError(`unknown LobbyTarget variant ${i}`);
  },
  write(w, v) {
    if ('Id' in v) {
      w.variant(0);
      w.u32(v.Id);
    } else if ('Code' in v) {
      w.variant(1);
      w.string(v.Code);
    } else if ('Ticket' in v) {
      w.variant(2);
      seatTicket.write(w, v.Ticket);
    } else {
      throw new RangeError('LobbyTarget needs Id, Code or Ticket');
    }
  },
};

const lobbyInfo = struct([
  ['id', prim.u32],
  ['game', prim.string],
  ['name', prim.string],
  ['map', prim.string],
  ['players', prim.u8],
  ['max_players', prim.u8],
  ['host', prim.string],
]);

const playerInfo = struct([['client_id', prim.u32], ['entity', prim.u32], ['name', prim.string], ['connected', prim.bool]]);

/** Stable refusal codes; the index is the wire value. */
export const ERROR_CODES = [
  'BadVersion', 'Malformed', 'TooLarge', 'BadHandshake', 'UnknownLobby', 'LobbyFull',
  'NotInLobby', 'AlreadyInLobby', 'InvalidName', 'UnknownMap', 'InvalidMaxPlayers',
  'RateLimited', 'ServerFull', 'LobbyClosed', 'ShuttingDown', 'Internal', 'ResumeRefused',
  'UnknownGame', 'SchemaMismatch', 'InvalidInput', 'ClusterUnavailable',
];

/** @type {Type} */
const schema = { read: readSchema, write: writeSchema };

/** The rest of the frame, as bytes. */
/** @type {Type} */
const rest = {
  read(r) {
    const at = r.take(r.remaining);
    return r.bytes.slice(at);
  },
  write(w, v) {
    if (!(v instanceof Uint8Array)) throw new RangeError('a snapshot body is bytes');
    const at = w.reserve(v.length);
    w.bytes.set(v, at);
  },
};

/**
 * @typedef {{type: string, body: Type}} Variant
 * @param {[string, [string, Type][]][]} list variants in declaration order, each with its fields
 * @returns {Variant[]}
 */
function variants(list) {
  return list.map(([type, fields]) => ({ type, body: struct(fields) }));
}

/** ClientMsg variants in declaration order. */
const CLIENT = variants([
  ['Hello', [['protocol_version', prim.u16], ['name', prim.string], ['resume', option(reconnectToken)]]],
  ['ListLobbies', []],
  ['CreateLobby', [['game', prim.string], ['name', prim.string], ['map', prim.string], ['max_players', prim.u8], ['private', prim.bool]]],
  ['JoinLobby', [['target', lobbyTarget], ['schema', option(prim.u64)]]],
  ['QuickJoin', [['game', prim.string], ['schema', option(prim.u64)]]],
  ['LeaveLobby', []],
  ['Input', [['seq', prim.u32], ['client_tick', prim.u32], ['ack', prim.u32], ['values', vec(prim.i32)]]],
  ['Ping', [['client_time', prim.u32]]],
  ['RequestFull', []],
]);

/** ServerMsg variants in declaration order; newtype variants carry their struct's fields. */
const SERVER = variants([
  ['Welcome', [['client_id', prim.u32], ['server_version', prim.string], ['tick_rate', prim.u16], ['reconnect_token', reconnectToken]]],
  ['LobbyList', [['lobbies', vec(lobbyInfo)]]],
  ['Joined', [
    ['lobby', lobbyInfo],
    ['code', prim.string],
    ['private', prim.bool],
    ['entity', prim.u32],
    ['tick', prim.u32],
    ['schema', schema],
    ['schema_hash', prim.u64],
    ['config', prim.string],
  ]],
  ['Left', []],
  ['Roster', [['host', prim.u32], ['players', vec(playerInfo)]]],
  ['Snapshot', [['last_input_seq', prim.u32], ['body', rest]]],
  ['Pong', [['client_time', prim.u32], ['server_tick', prim.u32], ['waited_us', prim.u32]]],
  ['Error', [['code', unitEnum(ERROR_CODES)], ['message', prim.string]]],
  ['Redirect', [['url', prim.string], ['ticket', option(seatTicket)]]],
]);

/**
 * @param {Variant[]} all
 * @param {Uint8Array} bytes
 * @param {number} limit
 */
function decodeTagged(all, bytes, limit) {
  if (bytes.length > limit) throw new DecodeError(`frame of ${bytes.length} bytes exceeds ${limit}`);
  const r = new Reader(bytes);
  const index = r.variant();
  if (index >= all.length) throw new DecodeError(`unknown message variant ${index}`);
  const msg = { type: all[index].type, ...all[index].body.read(r) };
  r.finish();
  return msg;
}

/**
 * @param {Variant[]} all
 * @param {{type: string}} msg
 */
function encodeTagged(all, msg) {
  const index = all.findIndex((v) => v.type === msg.type);
  if (index < 0) throw new RangeError(`unknown message type ${msg.type}`);
  const w = new Writer();
  w.variant(index);
  all[index].body.write(w, msg);
  return w.finish();
}

/**
 * Encodes a client message; throws if it is invalid or would exceed the client frame limit.
 * @param {{type: string} & Record<string, any>} msg
 */
export function encodeClientMsg(msg) {
  const bytes = encodeTagged(CLIENT, msg);
  if (bytes.length > MAX_CLIENT_FRAME) throw new RangeError(`${msg.type} is ${bytes.length} bytes, over ${MAX_CLIENT_FRAME}`);
  return bytes;
}

/** @param {Uint8Array} bytes */
export function decodeClientMsg(bytes) {
  return decodeTagged(CLIENT, bytes, MAX_CLIENT_FRAME);
}

/** @param {{type: string} & Record<string, any>} msg */
export function encodeServerMsg(msg) {
  return encodeTagged(SERVER, msg);
}

/**
 * Decodes one server frame; throws a DecodeError on anything malformed.
 * @param {Uint8Array} bytes
 * @returns {{type: string} & Record<string, any>}
 */
export function decodeServerMsg(bytes) {
  return decodeTagged(SERVER, bytes, MAX_SERVER_FRAME);
}
