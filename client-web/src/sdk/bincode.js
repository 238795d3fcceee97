// bincode 2, standard configuration: the primitive encodings of the wire (PROTOCOL.md,
// "Primitive encodings"). Little-endian, varint integers with 251/252/253 markers, zigzag
// for signed integers, length-prefixed UTF-8 strings and sequences. Readers throw on any
// malformed or truncated input; writers throw on values outside their type.

const U16_MARKER = 251;
const U32_MARKER = 252;
const U64_MARKER = 253;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** Thrown for any input that is not a valid encoding. */
export class DecodeError extends Error {
  name = 'DecodeError';
}

/** Reads bincode values from a byte array, front to back. */
export class Reader {
  /** @param {Uint8Array} bytes */
  constructor(bytes) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
  }

  get remaining() {
    return this.bytes.length - this.pos;
  }

  /** @param {number} n */
  take(n) {
    if (n > this.remaining) throw new DecodeError(`unexpected end: need ${n} bytes, have ${this.remaining}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8() {
    return this.bytes[this.take(1)];
  }

  bool() {
    const b = this.u8();
    if (b > 1) throw new DecodeError(`invalid bool byte ${b}`);
    return b === 1;
  }

  /**
   * An unsigned varint of at most `bits` bits (16, 32 or 64), as a Number.
   * u64 values above 2^53 are refused: the protocol only uses u64 for lengths.
   * @param {16 | 32 | 64} bits
   */
  varint(bits) {
    const first = this.u8();
    if (first < U16_MARKER) return first;
    if (first === U16_MARKER) return this.view.getUint16(this.take(2), true);
    if (first === U32_MARKER && bits >= 32) return this.view.getUint32(this.take(4), true);
    if (first === U64_MARKER && bits >= 64) {
      const at = this.take(8);
      const lo = this.view.getUint32(at, true);
      const hi = this.view.getUint32(at + 4, true);
      if (hi >= 1 << 21) throw new DecodeError('u64 beyond 2^53');
      return hi * 2 ** 32 + lo;
    }
    throw new DecodeError(`invalid varint marker ${first} for a u${bits}`);
  }

  u16() {
    return this.varint(16);
  }

  u32() {
    return this.varint(32);
  }

  i32() {
    const n = this.varint(32);
    return (n >>> 1) ^ -(n & 1);
  }

  /** A u64 varint as a BigInt (hashes and 64-bit masks need every bit). */
  u64() {
    const first = this.u8();
    if (first < U16_MARKER) return BigInt(first);
    if (first === U16_MARKER) return BigInt(this.view.getUint16(this.take(2), true));
    if (first === U32_MARKER) return BigInt(this.view.getUint32(this.take(4), true));
    if (first === U64_MARKER) return this.view.getBigUint64(this.take(8), true);
    throw new DecodeError(`invalid varint marker ${first} for a u64`);
  }

  /** A sequence length; refused when the rest of the input could not hold that many items. */
  len() {
    const n = this.varint(64);
    if (n > this.remaining) throw new DecodeError(`length ${n} exceeds the ${this.remaining} bytes left`);
    return n;
  }

  string() {
    const at = this.take(this.len());
    try {
      return utf8Decoder.decode(this.bytes.subarray(at, this.pos));
    } catch {
      throw new DecodeError('string is not valid UTF-8');
    }
  }

  /** An enum variant index (u32 varint). */
  variant() {
    return this.u32();
  }

  /** Throws unless every byte was consumed. */
  finish() {
    if (this.remaining !== 0) throw new DecodeError(`${this.remaining} trailing bytes after the message`);
  }
}

/**
 * @param {number} v
 * @param {number} min
 * @param {number} max
 * @param {string} type
 */
function checkInt(v, min, max, type) {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${v} is not a valid ${type}`);
}

/** Appends bincode values to a growing byte buffer. */
export class Writer {
  constructor() {
    this.bytes = new Uint8Array(64);
    this.view = new DataView(this.bytes.buffer);
    this.pos = 0;
  }

  /**
   * Makes room for `n` more bytes and returns where they go. Call it before reading
   * `this.bytes` or `this.view`: it may replace both.
   * @param {number} n
   */
  reserve(n) {
    if (this.pos + n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.pos + n));
      grown.set(this.bytes);
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** @param {number} v */
  u8(v) {
    checkInt(v, 0, 0xff, 'u8');
    const at = this.reserve(1);
    this.bytes[at] = v;
  }

  /** @param {boolean} v */
  bool(v) {
    if (typeof v !== 'boolean') throw new RangeError(`${v} is not a bool`);
    this.u8(v ? 1 : 0);
  }

  /**
   * An unsigned varint in its shortest form.
   * @param {number} v
   * @param {16 | 32 | 64} bits
   */
  varint(v, bits) {
    checkInt(v, 0, bits === 64 ? Number.MAX_SAFE_INTEGER : 2 ** bits - 1, `u${bits}`);
    if (v < U16_MARKER) {
      this.u8(v);
    } else if (v <= 0xffff) {
      this.u8(U16_MARKER);
      const at = this.reserve(2);
      this.view.setUint16(at, v, true);
    } else if (v <= 0xffffffff) {
      this.u8(U32_MARKER);
      const at = this.reserve(4);
      this.view.setUint32(at, v, true);
    } else {
      this.u8(U64_MARKER);
      const at = this.reserve(8);
      this.view.setUint32(at, v % 2 ** 32, true);
      this.view.setUint32(at + 4, Math.floor(v / 2 ** 32), true);
    }
  }

  /** @param {number} v */
  u16(v) {
    this.varint(v, 16);
  }

  /** @param {number} v */
  u32(v) {
    this.varint(v, 32);
  }

  /** @param {number} v */
  i32(v) {
    checkInt(v, -(2 ** 31), 2 ** 31 - 1, 'i32');
    this.varint(((v << 1) ^ (v >> 31)) >>> 0, 32);
  }

  /**
   * A u64 varint in its shortest form.
   * @param {bigint} v
   */
  u64(v) {
    if (typeof v !== 'bigint' || v < 0n || v >= 1n << 64n) throw new RangeError(`${v} is not a valid u64`);
    if (v <= 0xffffffffn) {
      this.varint(Number(v), 32);
      return;
    }
    this.u8(U64_MARKER);
    const at = this.reserve(8);
    this.view.setBigUint64(at, v, true);
  }

  /** @param {number} n */
  len(n) {
    this.varint(n, 64);
  }

  /** @param {string} s */
  string(s) {
    if (typeof s !== 'string') throw new RangeError(`${s} is not a string`);
    const utf8 = utf8Encoder.encode(s);
    this.len(utf8.length);
    const at = this.reserve(utf8.length);
    this.bytes.set(utf8, at);
  }

  /** @param {number} index */
  variant(index) {
    this.u32(index);
  }

  /** The bytes written so far. */
  finish() {
    return this.bytes.slice(0, this.pos);
  }
}
