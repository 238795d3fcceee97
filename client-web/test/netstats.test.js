// The net graph's figures against a fake clock: ticks missed between snapshots, levels,
// per-second rates and counts over the window, samples falling out after it, and the
// figures of a session that missed snapshots and asked for a full one.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import arena from '../src/games/arena/index.js';
import { decodeServerMsg } from '../src/sdk/codec.js';
import { NET_SAMPLE_MS, NET_WINDOW_MS, NetHistory, NetStats, RATE_SPAN_MS, TickGaps } from '../src/sdk/netstats.js';
import { GameSession } from '../src/sdk/session.js';
import { ARENA_CONFIG, fromHex, joinedFor, loadVectors } from './helpers/wire.js';

/** Samples `history` every `everyMs` from `fromMs` to `toMs` (inclusive), reading `read(t)`. */
function run(history, fromMs, toMs, everyMs, read) {
  for (let t = fromMs; t <= toMs; t += everyMs) assert.ok(history.sample(t, () => read(t)), `sampled at ${t}`);
}

test('a gap of 3 ticks missed 2; repeated and older ticks miss none; a restart forgives a jump', () => {
  const gaps = new TickGaps();
  assert.equal(gaps.see(10), 0, 'the first tick');
  assert.equal(gaps.see(11), 0);
  assert.equal(gaps.see(14), 2, '11 to 14: 12 and 13 missed');
  assert.equal(gaps.see(14), 0);
  assert.equal(gaps.see(12), 0, 'older than the newest');
  assert.equal(gaps.see(15), 0, 'still counts on from 14');
  assert.equal(gaps.missed, 2);
  gaps.restart();
  assert.equal(gaps.see(900), 0);
  assert.equal(gaps.see(902), 1);
  assert.equal(gaps.missed, 3);
});

test('a rate is per second over exactly its span, and its points per sample', () => {
  const h = new NetHistory({ bytes: 'rate' });
  // 100 bytes every 250 ms for 10 s: 400 bytes a second.
  run(h, 0, NET_WINDOW_MS, 250, (t) => ({ bytes: (t / 250) * 100 }));
  const s = h.series('bytes');
  assert.equal(s.current, 400);
  assert.equal(h.rate('bytes', RATE_SPAN_MS), 400);
  assert.equal(h.rate('bytes', NET_WINDOW_MS), 400, 'over the whole window: 4000 bytes in 10 s');
  assert.equal(s.points.length, NET_WINDOW_MS / 250, 'the sample at 0 is the base of the first point, not one of them');
  assert.ok(s.points.every((p) => p.value === 400));
  // 1000 bytes more in the last 250 ms: that point is 4400 a second, and the last second
  // carried 1400 bytes (300 + 1100).
  h.sample(NET_WINDOW_MS + 250, () => ({ bytes: 4100 + 1000 }));
  assert.equal(h.series('bytes').last, 4400);
  assert.equal(h.series('bytes').max, 4400);
  assert.equal(h.series('bytes').min, 400);
  assert.equal(h.series('bytes').current, 1400);
});

test('a rate over samples taken unevenly divides by the time they span', () => {
  const h = new NetHistory({ bytes: 'rate' });
  h.sample(0, () => ({ bytes: 0 }));
  h.sample(300, () => ({ bytes: 300 }));
  h.sample(1100, () => ({ bytes: 1000 }));
  assert.equal(h.rate('bytes', RATE_SPAN_MS), 1000 * 1000 / 1100, 'no sample at 100: from the oldest held');
  assert.deepEqual(h.series('bytes').points.map((p) => p.value), [null, 1000, 875]);
  h.sample(1400, () => ({ bytes: 1600 }));
  assert.equal(h.rate('bytes', RATE_SPAN_MS), ((1600 - 300) * 1000) / 1100, 'from 300, the newest at or before 400');
});

test('a count is the events in each sample and its figure their total in the window', () => {
  const h = new NetHistory({ missed: 'count' });
  const totals = [0, 0, 2, 2, 3, 3];
  totals.forEach((n, i) => h.sample(i * 250, () => ({ missed: n })));
  assert.deepEqual(h.series('missed').points.map((p) => p.value), [null, 0, 2, 0, 1, 0]);
  assert.equal(h.series('missed').current, 3);
  assert.equal(h.series('missed').max, 2);
  // Ten seconds on with nothing new: the misses have left the window.
  run(h, 1500, 1250 + NET_WINDOW_MS, 250, () => ({ missed: 3 }));
  assert.equal(h.series('missed').current, 0);
  assert.equal(h.series('missed').max, 0);
});

test('old samples fall out after the window; the ring stays bounded', () => {
  const h = new NetHistory({ rtt: 'level' });
  h.sample(0, () => ({ rtt: 500 }));
  run(h, 250, NET_WINDOW_MS - 250, 250, () => ({ rtt: 30 }));
  assert.equal(h.series('rtt').max, 500, '9.75 s later the spike is still shown');
  assert.equal(h.count, NET_WINDOW_MS / 250);
  h.sample(NET_WINDOW_MS, () => ({ rtt: 40 }));
  const s = h.series('rtt');
  assert.deepEqual([s.min, s.max, s.last, s.current], [30, 40, 40, 40], 'the spike at 0 is 10 s old: gone');
  assert.equal(s.points[0].at, 250);
  assert.equal(h.count, NET_WINDOW_MS / 250);
  run(h, NET_WINDOW_MS + 250, 100 * NET_WINDOW_MS, 250, () => ({ rtt: 40 }));
  assert.ok(h.size <= NET_WINDOW_MS / 250 + 2, `${h.size} samples held`);
  assert.equal(h.series('rtt').points.length, NET_WINDOW_MS / 250);
});

test('samples are taken no closer than the sample interval, and read only then', () => {
  const h = new NetHistory({ rtt: 'level' });
  let reads = 0;
  const read = () => ({ rtt: ++reads });
  assert.equal(h.sample(0, read), true);
  assert.equal(h.sample(NET_SAMPLE_MS - 1, read), false);
  assert.equal(h.sample(NET_SAMPLE_MS, read), true);
  assert.equal(reads, 2);
  assert.equal(h.series('rtt').last, 2);
});

test('unknown readings are gaps; a counter that goes backwards gives no negative rate', () => {
  const h = new NetHistory({ rtt: 'level', bytes: 'rate' });
  h.sample(0, () => ({ rtt: null, bytes: 500 }));
  assert.deepEqual(h.series('rtt'), { points: [{ at: 0, value: null }], min: null, max: null, last: null, current: null });
  assert.equal(h.series('bytes').current, null, 'one sample: no rate yet');
  h.sample(250, () => ({ rtt: 35, bytes: 100 }));
  assert.deepEqual([h.series('rtt').min, h.series('rtt').current], [35, 35]);
  assert.equal(h.series('bytes').last, null, 'started over');
  h.sample(500, () => ({ rtt: 35, bytes: 200 }));
  assert.equal(h.series('bytes').last, 400);
  assert.throws(() => h.series('nope'), /no series/);
});

test("a session's missed snapshots and full snapshot request show in the figures, and leave after 10 s", () => {
  const motion = loadVectors('snapshots.json').scenarios.find((s) => s.name === 'motion');
  const snapshots = motion.snapshots.map((s) => decodeServerMsg(fromHex(s.hex)));
  const joined = joinedFor(motion.schema, ARENA_CONFIG, { entity: 1 });
  const session = new GameSession(joined, 42, 30, (schema) => arena.start({ schema: schema.schema, config: ARENA_CONFIG, tickRate: 30 }));
  let bytesDown = 0;
  const stats = new NetStats();
  const read = () => ({
    rttMs: 34,
    jitterMs: session.interpolator.jitterMs,
    snapshotsMissed: session.gaps.missed,
    fullRequests: session.fullRequests,
    delayMs: session.interpolator.delayMs,
    corrections: session.predictor?.corrections ?? null,
    bytesDown,
    bytesUp: 0,
  });
  stats.sample(0, read);
  for (const [i, m] of [0, 1, 2, 5, 6, 7].entries()) {
    // 100, 101, 102, then 105 on 103 (a gap of 3 ticks; its baseline is not held), the full 105, 106
    session.onSnapshot(snapshots[m], 33 * i);
    bytesDown += snapshots[m].body.length;
  }
  stats.sample(250, read);
  const f = stats.figures();
  assert.equal(f.snapshotsMissed, 2, '103 and 104');
  assert.equal(f.fullRequests, 1);
  assert.equal(f.rttMs, 34);
  assert.equal(f.bytesDown, bytesDown);
  assert.equal(f.bytesDownPerSecond, bytesDown * 4, 'all of it in the last 250 ms');
  assert.equal(f.correctionsPerSecond, 0);
  assert.equal(f.delayMs, session.interpolator.delayMs);
  assert.equal(f.samples, 2);
  run(stats, 500, 250 + NET_WINDOW_MS, 250, read);
  assert.deepEqual([stats.figures().snapshotsMissed, stats.figures().fullRequests], [0, 0], 'ten seconds later');
  assert.equal(stats.figures().bytesDownPerSecond, 0);
});
