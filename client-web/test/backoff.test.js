// The retry schedule: doubling waits up to a cap, giving up once failures have gone on
// for long enough, and starting afresh after a success; time is a fake clock.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Backoff } from '../src/sdk/backoff.js';

/** Fails at once after every wait until the schedule gives up; returns the waits. */
function failUntilGivenUp(backoff, start) {
  const waits = [];
  let now = start;
  for (let delay = backoff.failed(now); delay !== null; delay = backoff.failed(now)) {
    waits.push(delay);
    now += delay;
    assert.ok(waits.length < 1000, 'gives up');
  }
  return { waits, gaveUpAt: now };
}

test('waits double up to the cap, and trying stops once failures have gone on for the limit', () => {
  const { waits, gaveUpAt } = failUntilGivenUp(new Backoff({ firstMs: 500, maxMs: 10000, giveUpAfterMs: 60000 }), 1000);
  assert.deepEqual(waits, [500, 1000, 2000, 4000, 8000, 10000, 10000, 10000, 10000, 10000]);
  assert.equal(gaveUpAt - 1000, 65500, 'the last failure is the first past a minute');
});

test('the lobby list\'s schedule: 2, 4, 8, 16 s, then every 16 s, for a minute', () => {
  const { waits } = failUntilGivenUp(new Backoff({ firstMs: 2000, maxMs: 16000, giveUpAfterMs: 60000 }), 0);
  assert.deepEqual(waits, [2000, 4000, 8000, 16000, 16000, 16000]);
});

test('a success, or trying again after giving up, starts the schedule afresh', () => {
  const backoff = new Backoff({ firstMs: 500, maxMs: 10000, giveUpAfterMs: 60000 });
  assert.equal(backoff.failed(0), 500);
  assert.equal(backoff.failed(500), 1000);
  backoff.reset();
  assert.equal(backoff.failed(100000), 500, 'the first wait again');
  const { waits } = failUntilGivenUp(backoff, 100500);
  assert.equal(waits.at(-1), 10000);
  assert.equal(backoff.failed(10 ** 7), null, 'stays given up until reset');
  backoff.reset();
  assert.equal(backoff.failed(10 ** 7), 500);
});
