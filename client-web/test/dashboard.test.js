// The dashboard's stream reader and figures in words, without a browser: server-sent events
// split across chunks, reconnect backoff, and the formats the page shows.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { bound, bytes, ms, uptime } from '../src/dashboard/format.js';
import { BACKOFF_MAX_MS, parseEvents, retries } from '../src/dashboard/stream.js';

describe('parseEvents', () => {
  test('takes whole events and keeps the rest for the next chunk', () => {
    const { events, rest } = parseEvents('data: {"a":1}\n\ndata: {"b":');
    assert.deepEqual(events, ['{"a":1}']);
    assert.equal(rest, 'data: {"b":');
    const next = parseEvents(`${rest}2}\n\n`);
    assert.deepEqual(next.events, ['{"b":2}']);
    assert.equal(next.rest, '');
  });

  test('joins multi-line data, skips comments and other fields, accepts CRLF', () => {
    const { events } = parseEvents(': keep-alive\n\nevent: x\r\ndata:one\r\ndata: two\r\n\r\n');
    assert.deepEqual(events, ['one\ntwo']);
  });
});

test('backoff doubles up to its cap and never gives up', () => {
  const backoff = retries();
  assert.deepEqual([0, 1, 2].map((i) => backoff.failed(i)), [1000, 2000, 4000]);
  for (let i = 0; i < 20; i++) backoff.failed(1e9 * i);
  assert.equal(backoff.failed(1e12), BACKOFF_MAX_MS);
});

test('figures read as people write them', () => {
  assert.equal(bytes(0, '/s'), '0 B/s');
  assert.equal(bytes(1234, '/s'), '1.23 kB/s');
  assert.equal(bytes(56_700_000), '56.7 MB');
  assert.equal(ms(0.0042), '4.2 µs');
  assert.equal(ms(0.25), '250 µs');
  assert.equal(ms(3.5), '3.50 ms');
  assert.equal(ms(null), '–');
  assert.deepEqual([0.01, 2.5, 1000].map(bound), ['10µs', '2.5ms', '1s']);
  assert.equal(uptime(3725), '1 h 2 min');
});
