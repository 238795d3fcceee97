// The lobby screen's decisions: which message still stands after a change (each clears once
// its cause is fixed), a refusal marking its row at once until a newer list, how a listed
// lobby reads, and what an invite link offers.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { describeLobby, inviteCode, inviteOffer, inviteUsed, marksAfterList, refusalCause, refusalMark, stillStands } from '../src/app/lobby_rules.js';

const lobby = (over = {}) => ({ id: 4, game: 'arena', name: 'Friday night', map: 'arena', players: 1, max_players: 2, host: 'Ada', ...over });
const joinById = { type: 'JoinLobby', target: { Id: 4 }, schema: null };
const joinByCode = { type: 'JoinLobby', target: { Code: 'KQ7XZM' }, schema: null };

describe('messages clear once their cause is fixed', () => {
  test('"pick a name": stands while the name is invalid, clears once a valid one is typed', () => {
    const cause = { about: 'name', name: '' };
    assert.equal(stillStands(cause, { type: 'name', name: '   ' }), true);
    assert.equal(stillStands(cause, { type: 'name', name: 'A\u0007' }), true);
    assert.equal(stillStands(cause, { type: 'name', name: 'A' }), false);
  });
  test('a name the server refused clears once the name is another valid one', () => {
    const cause = refusalCause(joinById, 'InvalidName', 'Zalgo', 0);
    assert.deepEqual(cause, { about: 'name', name: 'Zalgo' });
    assert.equal(stillStands(cause, { type: 'name', name: 'Zalgo ' }), true, 'the same name again');
    assert.equal(stillStands(cause, { type: 'name', name: 'Zed' }), false);
  });
  test('a refusal of a code clears once the code field says another code, not for other edits', () => {
    const cause = refusalCause(joinByCode, 'LobbyFull', 'Cy', 0);
    assert.deepEqual(cause, { about: 'code', code: 'KQ7XZM' });
    assert.equal(stillStands(cause, { type: 'name', name: 'Cyd' }), true);
    assert.equal(stillStands(cause, { type: 'code', code: ' kq7xzm' }), true, 'the same code');
    assert.equal(stillStands(cause, { type: 'code', code: 'KQ7XZ' }), false);
  });
  test('a refusal of a listed lobby clears once another lobby is chosen, or a newer list gives it a seat', () => {
    const cause = refusalCause(joinById, 'LobbyFull', 'Cy', 1000);
    assert.deepEqual(cause, { about: 'lobby', id: 4, at: 1000 });
    assert.equal(stillStands(cause, { type: 'request' }), false, 'Join on another row');
    assert.equal(stillStands(cause, { type: 'code', code: 'X' }), false, 'a code typed');
    assert.equal(stillStands(cause, { type: 'listed', lobbies: [lobby({ players: 2 })], fetchedAt: 1500 }), true, 'still full');
    assert.equal(stillStands(cause, { type: 'listed', lobbies: [lobby({ players: 1 })], fetchedAt: 900 }), true, 'a list older than the refusal');
    assert.equal(stillStands(cause, { type: 'listed', lobbies: [lobby({ players: 1 })], fetchedAt: 1500 }), false, 'a seat came free');
  });
  test('a create-form message clears once the form passes the checks', () => {
    const cause = refusalCause({ type: 'CreateLobby' }, 'UnknownMap', 'Ada', 0);
    assert.deepEqual(cause, { about: 'create' });
    assert.equal(stillStands(cause, { type: 'create', valid: false }), true);
    assert.equal(stillStands(cause, { type: 'create', valid: true }), false);
  });
  test('"server unreachable" clears once the server answers; a notice once the player edits anything', () => {
    assert.equal(stillStands({ about: 'server' }, { type: 'name', name: 'Ada' }), true);
    assert.equal(stillStands({ about: 'server' }, { type: 'server-up' }), false);
    const notice = refusalCause({ type: 'QuickJoin' }, 'ServerFull', 'Ada', 0);
    assert.deepEqual(notice, { about: 'notice' });
    assert.equal(stillStands(notice, { type: 'server-up' }), true);
    assert.equal(stillStands(notice, { type: 'create', valid: false }), false);
  });
  test('every message clears with a new request', () => {
    for (const cause of [{ about: 'name', name: '' }, { about: 'code', code: 'X' }, { about: 'create' }, { about: 'server' }, { about: 'notice' }]) {
      assert.equal(stillStands(cause, { type: 'request' }), false, cause.about);
    }
  });
});

describe('a refused join marks its row at once', () => {
  test('full or gone, by id only', () => {
    assert.deepEqual(refusalMark(joinById, 'LobbyFull', 7), { id: 4, mark: { kind: 'full', at: 7 } });
    assert.deepEqual(refusalMark(joinById, 'UnknownLobby', 7), { id: 4, mark: { kind: 'gone', at: 7 } });
    assert.equal(refusalMark(joinByCode, 'LobbyFull', 7), null, 'a code names no row');
    assert.equal(refusalMark(joinById, 'RateLimited', 7), null);
  });
  test('a listed lobby with a free seat reads Full while marked', () => {
    assert.equal(describeLobby(lobby(), 'Orb arena', undefined).button, 'Join');
    const marked = describeLobby(lobby(), 'Orb arena', { kind: 'full', at: 7 });
    assert.equal(marked.button, 'Full');
    assert.equal(marked.joinable, false);
    assert.equal(describeLobby(lobby(), 'Orb arena', { kind: 'gone', at: 7 }).button, 'Closed');
  });
  test('only a list fetched after the refusal replaces the mark', () => {
    const marks = new Map([[4, { kind: 'full', at: 1000 }], [5, { kind: 'gone', at: 3000 }]]);
    assert.deepEqual([...marksAfterList(marks, 2000).keys()], [5]);
    assert.deepEqual([...marksAfterList(marks, 500).keys()], [4, 5]);
  });
});

describe('listed lobbies', () => {
  test('two lobbies of one name read apart: game, map and host', () => {
    const a = describeLobby(lobby(), 'Orb arena', undefined);
    const b = describeLobby(lobby({ id: 5, game: 'tag', map: 'yard', host: 'Bo' }), 'Tag', undefined);
    assert.equal(a.name, b.name);
    assert.equal(a.detail, 'Orb arena · map arena · host Ada');
    assert.equal(b.detail, 'Tag · map yard · host Bo');
    assert.equal(describeLobby(lobby({ id: 6, host: 'Cy' }), 'Orb arena', undefined).detail, 'Orb arena · map arena · host Cy');
  });
  test('an empty lobby is closing soon, and still joinable', () => {
    const d = describeLobby(lobby({ players: 0, host: '' }), 'Orb arena', undefined);
    assert.equal(d.closing, true);
    assert.match(d.detail, /empty, closing soon/);
    assert.equal(d.players, '0 / 2');
    assert.equal(d.button, 'Join');
  });
  test('a full lobby reads Full', () => {
    const d = describeLobby(lobby({ players: 2 }), 'Orb arena', undefined);
    assert.deepEqual([d.button, d.joinable, d.players], ['Full', false, '2 / 2']);
  });
});

describe('invite links', () => {
  test('the code comes from ?code=, trimmed; none when empty or longer than a code field holds', () => {
    assert.equal(inviteCode('?code=KQ7XZM'), 'KQ7XZM');
    assert.equal(inviteCode('?code=%20KQ7XZM%20&x=1'), 'KQ7XZM');
    assert.equal(inviteCode(''), null);
    assert.equal(inviteCode('?code='), null);
    assert.equal(inviteCode(`?code=${'A'.repeat(33)}`), null);
  });
  test('with a name (remembered or typed) one button joins; without, it asks for the name first', () => {
    const named = inviteOffer('KQ7XZM', 'Ada');
    assert.deepEqual([named.button, named.ready], ['Join KQ7XZM', true]);
    assert.doesNotMatch(named.line, /type your name/);
    const nameless = inviteOffer('KQ7XZM', '  ');
    assert.deepEqual([nameless.button, nameless.ready], ['Join KQ7XZM', false]);
    assert.match(nameless.line, /type your name/);
  });
  test('joining the invited lobby uses the invite up; another lobby does not', () => {
    assert.equal(inviteUsed('kq7xzm', 'KQ7XZM'), true);
    assert.equal(inviteUsed('KQ7XZM', 'OTHER1'), false);
    assert.equal(inviteUsed(null, 'KQ7XZM'), false);
  });
});
