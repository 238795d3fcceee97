// What the lobby screen shows, decided without the DOM (ui.js draws it, tests step it):
// which message still stands after the player or the server changed something, how a
// listed lobby reads (game, map and host; an empty one closing; one just refused marked
// at once), and what an invite link (`?code=`) offers.

import { MAX_NAME_CHARS, isValidName } from '../sdk/limits.js';

/**
 * @typedef {import('../sdk/session.js').LobbyInfo} LobbyInfo
 * @typedef {{type: string} & Record<string, any>} Request
 */

/**
 * What a lobby-screen message is about, so that it clears once that is fixed:
 * - `name`: the player's name (`name` as it was); clears once the name is valid and another;
 * - `code`: a join by code (`code` as it was); clears once the code field says another;
 * - `lobby`: a listed lobby (`id`) refused at `at` (ms); clears once another lobby is
 *   chosen (by code or the create form too), or a list fetched after `at` gives it a seat;
 * - `create`: the create form; clears once it is edited and passes the page's checks;
 * - `server`: reaching the server; clears once the server answers;
 * - `notice`: the rest (a lobby closed, a quick join refused); clears once the player
 *   edits anything.
 * Every message clears when the player makes a new request.
 * @typedef {{about: 'name', name: string} | {about: 'code', code: string} | {about: 'lobby', id: number, at: number}
 *   | {about: 'create'} | {about: 'server'} | {about: 'notice'}} Cause
 */

/**
 * What changed on the lobby screen.
 * @typedef {{type: 'name', name: string} | {type: 'code', code: string} | {type: 'create', valid: boolean}
 *   | {type: 'request'} | {type: 'listed', lobbies: LobbyInfo[], fetchedAt: number} | {type: 'server-up'}} Change
 */

const sameCode = (/** @type {string} */ a, /** @type {string} */ b) => a.trim().toUpperCase() === b.trim().toUpperCase();

/**
 * Whether a message about `cause` still stands after `change`.
 * @param {Cause} cause @param {Change} change
 */
export function stillStands(cause, change) {
  if (change.type === 'request') return false;
  const edit = change.type === 'name' || change.type === 'code' || change.type === 'create';
  switch (cause.about) {
    case 'name':
      return !(change.type === 'name' && isValidName(change.name.trim(), MAX_NAME_CHARS) && change.name.trim() !== cause.name);
    case 'code':
      return !(change.type === 'code' && !sameCode(change.code, cause.code));
    case 'lobby':
      if (change.type === 'code' || change.type === 'create') return false;
      if (change.type !== 'listed' || change.fetchedAt < cause.at) return true;
      return !change.lobbies.some((l) => l.id === cause.id && l.players < l.max_players);
    case 'create':
      return !(change.type === 'create' && change.valid);
    case 'server':
      return change.type !== 'server-up';
    case 'notice':
      return !edit;
  }
}

/**
 * What a refusal of `req` is about (`name` is the name the player asked with).
 * @param {Request | null} req @param {string} code the ErrorCode @param {string} name @param {number} now ms
 * @returns {Cause}
 */
export function refusalCause(req, code, name, now) {
  if (code === 'InvalidName') return { about: 'name', name };
  if (req?.type === 'CreateLobby') return { about: 'create' };
  if (req?.type === 'JoinLobby' && 'Code' in req.target) return { about: 'code', code: req.target.Code };
  if (req?.type === 'JoinLobby' && 'Id' in req.target) return { about: 'lobby', id: req.target.Id, at: now };
  return { about: 'notice' };
}

/**
 * A refusal that says at once what a listed lobby's row should: `full`, or `gone` (closed).
 * @typedef {{kind: 'full' | 'gone', at: number}} Mark
 */

/**
 * How a refusal of `req` marks a listed lobby, if it does: a join by id refused as full or
 * unknown.
 * @param {Request | null} req @param {string} code @param {number} now ms
 * @returns {{id: number, mark: Mark} | null}
 */
export function refusalMark(req, code, now) {
  if (req?.type !== 'JoinLobby' || !('Id' in req.target)) return null;
  if (code === 'LobbyFull') return { id: req.target.Id, mark: { kind: 'full', at: now } };
  if (code === 'UnknownLobby') return { id: req.target.Id, mark: { kind: 'gone', at: now } };
  return null;
}

/**
 * The marks that still hold once a list fetched at `fetchedAt` arrives: a list fetched
 * after a refusal knows better.
 * @param {Map<number, Mark>} marks @param {number} fetchedAt
 */
export function marksAfterList(marks, fetchedAt) {
  return new Map([...marks].filter(([, m]) => m.at > fetchedAt));
}

/**
 * How a listed lobby reads: its name, a line that tells lobbies of one name apart (game,
 * map and host, or that it is empty and closes soon), its players, and its button.
 * @param {LobbyInfo} lobby @param {string} gameTitle @param {Mark | undefined} mark
 * @returns {{name: string, detail: string, players: string, closing: boolean, button: 'Join' | 'Full' | 'Closed', joinable: boolean}}
 */
export function describeLobby(lobby, gameTitle, mark) {
  const closing = lobby.players === 0;
  const who = closing ? 'empty, closing soon' : lobby.host === '' ? 'no host' : `host ${lobby.host}`;
  const full = lobby.players >= lobby.max_players || mark?.kind === 'full';
  const button = mark?.kind === 'gone' ? 'Closed' : full ? 'Full' : 'Join';
  return {
    name: lobby.name,
    detail: `${gameTitle} · map ${lobby.map} · ${who}`,
    players: `${lobby.players} / ${lobby.max_players}`,
    closing,
    button,
    joinable: button === 'Join',
  };
}

/** Longest join code the page accepts (the code field's limit). */
export const MAX_CODE_CHARS = 32;

/**
 * The join code an invite link carries (`?code=...`), or null.
 * @param {string} search the page's `location.search`
 */
export function inviteCode(search) {
  const code = (new URLSearchParams(search).get('code') ?? '').trim();
  return code === '' || [...code].length > MAX_CODE_CHARS ? null : code;
}

/**
 * What an invite offers: one button that joins its lobby. With a valid name (typed, or
 * remembered from an earlier visit) that one click joins; without, the line asks for a
 * name first.
 * @param {string} code @param {string} name the name field's value
 * @returns {{button: string, ready: boolean, line: string}}
 */
export function inviteOffer(code, name) {
  const ready = isValidName(name.trim(), MAX_NAME_CHARS);
  return {
    button: `Join ${code}`,
    ready,
    line: ready ? `You are invited to the lobby ${code}.` : `You are invited to the lobby ${code}: type your name, then join.`,
  };
}

/**
 * Whether joining `joinedCode` used up the invite for `code` (the page then drops it).
 * @param {string | null} code @param {string} joinedCode
 */
export const inviteUsed = (code, joinedCode) => code !== null && sameCode(code, joinedCode);
