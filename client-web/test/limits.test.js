// Name rules and the net graph's rate window.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_NAME_CHARS, isValidName } from '../src/sdk/limits.js';
import { RateWindow } from '../src/sdk/netstats.js';
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

test('rates per second over the window', () => {
  const w = new RateWindow(1000);
  for (let t = 0; t <= 3000; t += 250) w.sample(t, { bytes: t * 2, snaps: Math.floor(t / 33.3) });
  const r = w.rates();
  assert.equal(r.bytes, 2000);
  assert.ok(Math.abs(r.snaps - 30) < 1.5);
});
