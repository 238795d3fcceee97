// Interpolation of other entities under steady and jittery snapshot arrival: the fields
// the game names are interpolated, the rest take the newer snapshot's value.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Interpolator, MIN_DELAY_MS } from '../src/sdk/interpolation.js';

/** A deterministic generator in [0, 1). */
function lcg(seed) {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SPEED = 100; // subunits per tick
const SPEC = { components: { Body: ['x', 'y'] }, teleportPerTick: 2 * SPEED };
const world = (tick) => ({
  tick,
  entities: [
    { id: 1, components: { Body: { x: tick * SPEED, y: 500, vx: SPEED, vy: 0 }, Score: { points: tick } } },
    { id: 2, components: { Body: tick < 60 ? { x: 0, y: 0, vx: 0, vy: 0 } : { x: 90000, y: 90000, vx: 0, vy: 0 }, Orb: {} } },
  ],
});
const pos = (e) => (e === undefined ? undefined : [e.components.Body.x, e.components.Body.y]);

/**
 * Feeds snapshots at `rate` Hz with one-way latency `latency` ms plus up to `jitter` ms,
 * draws frames at 60 Hz for `seconds`, and returns what each frame showed.
 */
function simulate({ rate = 30, latency = 40, jitter = 0, seconds = 10, seed = 1 }) {
  const interp = new Interpolator(rate, SPEC);
  const random = lcg(seed);
  const tickMs = 1000 / rate;
  const arrivals = [];
  for (let tick = 1; tick * tickMs < seconds * 1000; tick++) arrivals.push({ tick, at: tick * tickMs + latency + random() * jitter });
  arrivals.sort((a, b) => a.at - b.at); // TCP keeps order: a late frame holds back the next ones
  for (let i = 1; i < arrivals.length; i++) arrivals[i].at = Math.max(arrivals[i].at, arrivals[i - 1].at);
  arrivals.sort((a, b) => a.tick - b.tick);
  const frames = [];
  let next = 0;
  for (let now = 0; now < seconds * 1000; now += 1000 / 60) {
    while (next < arrivals.length && arrivals[next].at <= now) interp.push(world(arrivals[next].tick), arrivals[next++].at);
    const drawn = interp.sample(now);
    const player = drawn.find((e) => e.id === 1);
    frames.push({ now, x: pos(player)?.[0], points: player?.components.Score.points, vx: player?.components.Body.vx, orb: pos(drawn.find((e) => e.id === 2)), depth: interp.bufferDepth, delay: interp.delayMs });
  }
  return { frames: frames.filter((f) => f.now > 1500), interp };
}

/** Checks that motion is smooth: every frame moves forward by close to the true speed. */
function assertSmooth(frames, rate) {
  const perFrame = (SPEED * rate) / 60;
  for (let i = 1; i < frames.length; i++) {
    const d = frames[i].x - frames[i - 1].x;
    assert.ok(d > perFrame * 0.85 && d < perFrame * 1.15, `frame ${i}: moved ${d.toFixed(2)}, expected about ${perFrame.toFixed(2)}`);
    assert.ok(frames[i].depth >= 1, `frame ${i}: buffer ran dry`);
  }
}

test('steady arrivals: the default delay, smooth motion and a non-empty buffer', () => {
  const { frames, interp } = simulate({});
  assert.equal(interp.delayMs, MIN_DELAY_MS);
  assertSmooth(frames, 30);
  const last = frames.at(-1);
  const newestX = Math.floor((last.now - 40) / (1000 / 30)) * SPEED;
  const behindMs = ((newestX - last.x) / SPEED) * (1000 / 30);
  assert.ok(behindMs > 60 && behindMs < 140, `drawn ${behindMs.toFixed(0)} ms behind the newest snapshot`);
});

test('ordinary jitter: no snapping and no starvation', () => {
  const { frames, interp } = simulate({ jitter: 30, seed: 3 });
  assert.ok(interp.jitterMs > 3, `jitter measured ${interp.jitterMs}`);
  assertSmooth(frames, 30);
});

test('heavy jitter makes the delay grow beyond the default', () => {
  const { frames, interp } = simulate({ jitter: 120, seed: 5, seconds: 20 });
  assert.ok(interp.delayMs > MIN_DELAY_MS + 30, `delay ${interp.delayMs}`);
  const late = frames.slice(frames.length / 2);
  const dry = late.filter((f) => f.depth === 0).length;
  assert.ok(dry / late.length < 0.02, `${dry} of ${late.length} frames without a snapshot ahead`);
});

test('other tick rates: smooth at 10 Hz and 60 Hz', () => {
  assertSmooth(simulate({ rate: 10, jitter: 10 }).frames, 10);
  assertSmooth(simulate({ rate: 60, jitter: 10 }).frames, 60);
});

test('a teleport is not interpolated across the map', () => {
  const { frames } = simulate({});
  for (const f of frames) assert.ok(f.orb[0] === 0 || f.orb[0] === 90000, `orb drawn at ${f.orb}`);
});

test('fields not interpolated take the newer value: whole points, never a fraction', () => {
  const { frames } = simulate({});
  for (const f of frames) {
    assert.ok(Number.isInteger(f.points), `points drawn as ${f.points}`);
    assert.ok(f.points * SPEED >= f.x, 'the newer snapshot\'s points, ahead of the drawn position');
    assert.equal(f.vx, SPEED);
  }
});

test('nothing is drawn before the first snapshot; one snapshot is drawn as is', () => {
  const interp = new Interpolator(30, SPEC);
  assert.deepEqual(interp.sample(0), []);
  interp.push(world(5), 10);
  assert.deepEqual(interp.sample(20).map(pos), [[500, 500], [0, 0]]);
});

test('without frames (a hidden tab) the buffer stays bounded, and drawing resumes near the newest', () => {
  const interp = new Interpolator(30, SPEC);
  interp.push(world(1), 0);
  interp.sample(0);
  for (let tick = 2; tick < 30 * 600; tick++) interp.push(world(tick), tick * (1000 / 30));
  assert.ok(interp.buffer.length <= 61, `${interp.buffer.length} worlds buffered`);
  const x = pos(interp.sample(600000).find((e) => e.id === 1))[0];
  const newest = (30 * 600 - 1) * SPEED;
  assert.ok(newest - x < 10 * SPEED, `drawn at ${x}, newest ${newest}`);
});
