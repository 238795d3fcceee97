// Name rules and the words for every error code.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_NAME_CHARS, isValidName } from '../src/sdk/limits.js';
import { describeError } from '../src/sdk/refusals.js';
import { ERROR_CODES } from '../src/sdk/codec.js';

test('names: 1 to 24 characters counted as characters, no control characters, not blank', () => {
  assert.ok(isValidName('Ada ✨', MAX_NAME_CHARS));
  assert.ok(isValidName('😀'.repeat(24), MAX_NAME_CHARS));
  assert.ok(!isValidName('😀'.repeat(25), MAX_NAME_CHARS));
  assert.ok(!isValidName('', MAX_NAME_CHARS));
  assert.ok(!isValidName('   ', MAX_NAME_CHARS));
  assert.ok(!isValidName('a\nb', MAX_NAME_CHARS));
  assert.ok(!isValidName('a\u0085b', MAX_NAME_CHARS));
});

test('every error code has its own words', () => {
  const words = ERROR_CODES.map((code) => describeError({ code, message: '' }));
  assert.equal(new Set(words).size, ERROR_CODES.length);
  assert.match(describeError({ code: 'LobbyFull', message: 'x' }), /full/);
});

test('a closed lobby is explained in the server\'s words: an operator\'s removal with its reason, or a failure', () => {
  assert.equal(
    describeError({ code: 'LobbyClosed', message: 'the server operator removed you from the lobby: spamming' }),
    'The server operator removed you from the lobby: spamming.',
  );
  assert.equal(describeError({ code: 'LobbyClosed', message: 'the lobby closed after an internal error' }), 'The lobby closed after an internal error.');
  assert.equal(describeError({ code: 'LobbyClosed', message: '' }), 'The lobby was closed.');
});
