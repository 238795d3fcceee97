// Protocol constants a client must respect before sending (PROTOCOL.md; protocol/src/
// messages.rs): the protocol version, name lengths, lobby sizes and the name rule. The
// golden vectors' `limits` hold Rust's values; test/codec.test.js checks these against them.

export const PROTOCOL_VERSION = 5;
export const MAX_NAME_CHARS = 24;
export const MAX_LOBBY_NAME_CHARS = 32;
export const MIN_PLAYERS = 2;
export const MAX_PLAYERS = 64;

/**
 * Whether the server will accept `name`: 1 to `maxChars` characters, no control
 * characters, not only white space (mirrors `is_valid_name` in messages.rs).
 * @param {string} name @param {number} maxChars
 */
export function isValidName(name, maxChars) {
  const chars = [...name].length;
  return chars >= 1 && chars <= maxChars && !/\p{Cc}/u.test(name) && name.trim() !== '';
}
