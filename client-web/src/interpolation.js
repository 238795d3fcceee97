// Entity interpolation for everything the client does not predict: other entities are drawn
// a delay behind the newest snapshot, linearly between the two snapshots around the render
// time. The delay starts at MIN_DELAY_MS and grows with the measured jitter of snapshot
// arrivals. The render clock follows its target by speeding up or slowing down by at most
// MAX_TIME_SCALE, so ordinary jitter never makes anything jump.

/**
 * @typedef {import('./delta.js').World} World
 * @typedef {import('./delta.js').Entity} Entity
 * @typedef {{id: number, kind: string, owner: number, pos: [number, number], score: number}} DrawnEntity
 */

export const MIN_DELAY_MS = 100;
const MAX_DELAY_MS = 1000;
/** The delay is at least this many snapshot intervals (matters at low tick rates)... */
const TICKS_MARGIN = 1.5;
/** ...plus this many times the jitter, measured as the mean absolute deviation of arrival offsets. */
const JITTER_MARGIN = 4;
/** Weight of each new arrival in the clock offset and jitter averages. */
const SMOOTHING = 0.05;
/** Largest relative change of the render clock's rate. */
const MAX_TIME_SCALE = 0.1;
/** Fraction of the render clock's error corrected per frame (within MAX_TIME_SCALE). */
const CLOCK_GAIN = 0.05;
/** An error beyond this (a stall, a reconnect) is not glided over: the clock jumps. */
const SNAP_MS = 1000;

export class Interpolator {
  /**
   * @param {number} tickRate snapshots per second
   * @param {number} snapPerTick a move longer than this per tick is a teleport, not lerped
   */
  constructor(tickRate, snapPerTick = Infinity) {
    this.tickMs = 1000 / tickRate;
    this.snapPerTick = snapPerTick;
    /** Received worlds, ascending ticks. */
    /** @type {World[]} */
    this.buffer = [];
    /** Average of (server time of a snapshot's tick - local arrival time), ms. */
    /** @type {number | null} */
    this.offsetMs = null;
    /** Mean absolute deviation of arrival offsets, ms. */
    this.jitterMs = 0;
    /** Server-timeline time being drawn, ms; null until the first frame. */
    /** @type {number | null} */
    this.renderMs = null;
    /** @type {number | null} */
    this.lastFrameMs = null;
  }

  /** Current interpolation delay behind the estimated newest tick, ms. */
  get delayMs() {
    return Math.min(MAX_DELAY_MS, Math.max(MIN_DELAY_MS, TICKS_MARGIN * this.tickMs + JITTER_MARGIN * this.jitterMs));
  }

  /** The tick being drawn (fractional); null before the first frame. */
  get renderTick() {
    return this.renderMs === null ? null : this.renderMs / this.tickMs;
  }

  /** Snapshots received but not yet reached by the render time. */
  get bufferDepth() {
    const t = this.renderTick;
    return t === null ? this.buffer.length : this.buffer.filter((w) => w.tick > t).length;
  }

  /**
   * Adds a world as it arrives.
   * @param {World} world @param {number} arrivalMs local time of arrival
   */
  push(world, arrivalMs) {
    const newest = this.buffer.at(-1);
    if (newest !== undefined && world.tick <= newest.tick) return;
    this.buffer.push(world);
    // Frames may stop (a hidden tab) while snapshots keep coming: keep what a delay can use.
    const oldest = world.tick - Math.ceil((2 * MAX_DELAY_MS) / this.tickMs);
    while (this.buffer[0].tick < oldest) this.buffer.shift();
    const sample = world.tick * this.tickMs - arrivalMs;
    if (this.offsetMs === null) {
      this.offsetMs = sample;
      return;
    }
    this.jitterMs += (Math.abs(sample - this.offsetMs) - this.jitterMs) * SMOOTHING;
    this.offsetMs += (sample - this.offsetMs) * SMOOTHING;
  }

  /**
   * Advances the render clock to local time `nowMs` and returns every entity as drawn then.
   * @param {number} nowMs
   * @returns {DrawnEntity[]}
   */
  sample(nowMs) {
    if (this.offsetMs === null) return [];
    this.advanceClock(nowMs);
    const t = /** @type {number} */ (this.renderTick);
    let i = this.buffer.findLastIndex((w) => w.tick <= t);
    if (i < 0) i = 0;
    this.buffer.splice(0, i);
    const [a, b] = this.buffer;
    if (b === undefined || a.tick > t) return a.entities.map((e) => drawn(e, e.pos));
    const alpha = (t - a.tick) / (b.tick - a.tick);
    const limit = this.snapPerTick * (b.tick - a.tick);
    let j = 0;
    return a.entities.map((e) => {
      while (j < b.entities.length && b.entities[j].id < e.id) j++;
      const next = b.entities[j];
      if (next?.id !== e.id || next.kind !== e.kind || next.owner !== e.owner) return drawn(e, e.pos);
      const dx = next.pos[0] - e.pos[0];
      const dy = next.pos[1] - e.pos[1];
      if (Math.abs(dx) > limit || Math.abs(dy) > limit) return drawn(e, e.pos);
      return drawn(e, [e.pos[0] + dx * alpha, e.pos[1] + dy * alpha]);
    });
  }

  /** @param {number} nowMs */
  advanceClock(nowMs) {
    const target = nowMs + /** @type {number} */ (this.offsetMs) - this.delayMs;
    if (this.renderMs === null || this.lastFrameMs === null || Math.abs(target - this.renderMs) > SNAP_MS) {
      this.renderMs = target;
    } else {
      const dt = Math.max(0, nowMs - this.lastFrameMs);
      const ahead = this.renderMs + dt;
      const nudge = Math.min(MAX_TIME_SCALE * dt, Math.max(-MAX_TIME_SCALE * dt, (target - ahead) * CLOCK_GAIN));
      this.renderMs = ahead + nudge;
    }
    this.lastFrameMs = nowMs;
  }
}

/**
 * @param {Entity} e @param {[number, number]} pos
 * @returns {DrawnEntity}
 */
function drawn(e, pos) {
  return { id: e.id, kind: e.kind, owner: e.owner, pos, score: e.score };
}
