// Every refusal the client can meet, in words for people: the server's ErrorCodes and the
// client's own connection failures.

/** @type {Record<string, string>} */
const BY_CODE = {
  BadVersion: 'This page is out of date with the server (protocol version mismatch). Reload the page.',
  Malformed: 'The server could not read a message from this client.',
  TooLarge: 'A message from this client was too large for the server.',
  BadHandshake: 'The server expected a greeting first; reconnecting should fix it.',
  UnknownLobby: 'There is no lobby with that code or id (it may have closed).',
  LobbyFull: 'That lobby is full.',
  NotInLobby: 'You are not in a lobby.',
  AlreadyInLobby: 'You are already in a lobby: leave it first.',
  InvalidName: 'The server refused that name: use 1 to 24 characters (lobby names up to 32), no control characters.',
  UnknownMap: 'The server has no map by that name.',
  InvalidMaxPlayers: 'Max players must be between 2 and 64.',
  RateLimited: 'Too many requests at once: slow down a little.',
  ServerFull: 'The server is full right now. Try again in a moment.',
  LobbyClosed: 'The lobby was closed.',
  ShuttingDown: 'The server is shutting down.',
  Internal: 'The server hit an internal error.',
  ResumeRefused: 'Your place in the lobby was not held any more (you were away too long, or the server restarted).',
  UnknownGame: 'The server has no game by that name.',
  SchemaMismatch: 'That lobby runs a different version of its game than this page expects. Reload the page.',
  InvalidInput: 'The server refused an input from this page (a value out of range for the game).',
  ClusterUnavailable: 'Lobbies on the other servers cannot be reached right now. Quick join and the lobbies listed here still work; try again in a moment.',
};

/**
 * Words for a server Error message.
 * @param {{code: string, message: string}} error
 */
export function describeError(error) {
  // A closed lobby says why (an operator's close or removal, with any reason given, or a
  // failure), in the server's words.
  if (error.code === 'LobbyClosed' && error.message.trim() !== '') return sentence(error.message);
  return BY_CODE[error.code] ?? `The server refused: ${error.message}`;
}

/** `text` as a sentence: a capital first letter and a full stop. @param {string} text */
const sentence = (text) => {
  const t = text.trim();
  return `${t[0].toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}`;
};

/** Shown in the game after a reconnect whose seat was gone, once the lobby is joined anew. */
export const REJOINED_AS_NEW = 'Your place was not held any more: you rejoined the lobby as a new player.';

/**
 * Words for a lobby this page cannot play: its game has no module here, or its schema
 * could not be used.
 * @param {string} why
 */
export const cannotPlay = (why) => `This page cannot play that lobby: ${why}.`;

/** @param {string} game */
export const noGameModule = (game) => `this page has no module for the game "${game}" (reload the page; the server may be newer)`;

export const UNREACHABLE = 'The server is unreachable: check that it is running and your connection works.';

/** @param {number} seconds */
export const reconnectingIn = (seconds) => `Connection lost. Reconnecting in ${seconds} s…`;

/** The banner once reconnecting has given up (a Try again button follows it). */
export const RECONNECT_STOPPED = 'Could not reconnect.';

/**
 * The lobby list when it could not be fetched: the server did not answer (`status` 0) or
 * answered an HTTP error. `seconds` until the next try; null once it stopped trying (a Try
 * again button follows the words).
 * @param {number} status @param {number | null} seconds
 */
export function listUnavailable(status, seconds) {
  const what = status === 0 ? 'The server is not answering.' : `The server could not list its lobbies (HTTP ${status}).`;
  return seconds === null ? what : `${what} Trying again in ${seconds} s…`;
}
