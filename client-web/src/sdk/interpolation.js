// Entity interpolation for everything the client does not predict: other entities are drawn
// a delay behind the newest snapshot, linearly between the two snapshots around the render
// time. The delay starts at MIN_DELAY_MS and grows with the measured jitter of snapshot
// arrivals. The render clock follows its target by speeding up or slowing down by at most
// MAX_TIME_SCALE, so ordinary jitter never makes anything jump. The game says which fields
// are interpolated (positions, say); every other field takes the newer snapshot's value.

/**
 * @typedef {import('./delta.js').World} World
 * @typedef {import('./delta.js').Entity} Entity
 * @typedef {Record<string, Record<string, number>>} Components
 * @typedef {{id: number, components: Components}} DrawnEntity
 * @typedef {{
 *   components: Record<string, string[]>,
 *   teleportPerTick?: number,
 * }} InterpolationSpec
 * `teleportPerTick`: an interpolated field moving more than this per tick jumps instead.
 */

/**
 * `to` with each interpolated field `alpha` of the way from its value in `from`; null when
 * a field moves more than `limit` (a teleport). Components `from` lacks are taken as is.
 * @param {Components} from @param {Components} to @param {number} alpha
 * @param {Record<string, string[]>} fields @param {number} limit
 * @returns {Components | null}
 */
export function blend(from, to, alpha, fields, limit = Infinity) {
  /** @type {Components} */
  const out = { ...to };
  for (const [c, names] of Object.entries(fields)) {
    const a = from[c];
    const b = to[c];
    if (a === undefined || b === undefined) continue;
    const mixed = { ...b };
    for (const f of names) {
      const d = b[f] - a[f];
      if (Math.abs(d) > limit) return null;
      mixed[f] = a[f] + d * alpha;
    }
    out[c] = mixed;
  }
  return out;
}

/**
 * A moment on the server's timeline as a tick and the fraction of the next one in
 * 65536ths (how a game's input names the moment its player saw, for lag compensation).
 * @typedef {{tick: number, fraction: number}} SeenAt
 */

/**
 * A fractional tick as a SeenAt (never before tick 0).
 * @param {number} tick
 * @returns {SeenAt}
 */
export function seenAt(tick) {
  const t = Math.max(0, tick);
  const whole = Math.floor(t);
  return { tick: whole, fraction: Math.min(65535, Math.floor((t - whole) * 65536)) };
}

/** @param {Components} a @param {Components} b */
const samePresence = (a, b) => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => k in b);
};

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
  /** @param {number} tickRate snapshots per second @param {InterpolationSpec} spec */
  constructor(tickRate, spec) {
    this.tickMs = 1000 / tickRate;
    this.spec = spec;
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

  /**
   * The moment the other entities were last drawn at, as a tick and fraction; null before
   * the first frame.
   * @returns {SeenAt | null}
   */
  get seen() {
    const t = this.renderTick;
    return t === null ? null : seenAt(t);
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
    if (b === undefined || a.tick > t) return a.entities;
    const alpha = (t - a.tick) / (b.tick - a.tick);
    const limit = (this.spec.teleportPerTick ?? Infinity) * (b.tick - a.tick);
    let j = 0;
    return a.entities.map((e) => {
      while (j < b.entities.length && b.entities[j].id < e.id) j++;
      const next = b.entities[j];
      if (next?.id !== e.id || !samePresence(e.components, next.components)) return e;
      const components = blend(e.components, next.components, alpha, this.spec.components, limit);
      return components === null ? e : { id: e.id, components };
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
