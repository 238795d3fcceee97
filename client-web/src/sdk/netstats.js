// The net graph's figures, with the clock passed in: a ring of samples over the last
// NET_WINDOW_MS, taken every NET_SAMPLE_MS, each holding the readings of that moment. A
// series is a level (read as is: round trip, jitter, delay), a rate (per second, from a
// cumulative counter: bytes, corrections) or a count (events per sample and in the window,
// from a cumulative counter: snapshots missed, full snapshots asked for). Each series has
// its points over the window and their min, max and last. `TickGaps` counts the ticks a
// client never got a snapshot for.

export const NET_WINDOW_MS = 10000;
export const NET_SAMPLE_MS = 250;
/** A rate's current figure is taken over this long (the points are per sample). */
export const RATE_SPAN_MS = 1000;

/**
 * @typedef {'level' | 'rate' | 'count'} SeriesKind
 * @typedef {Record<string, number | null>} Readings a counter or level by series name; null: unknown
 * @typedef {{at: number, readings: Readings}} Sample
 * @typedef {{at: number, value: number | null}} Point
 * @typedef {{points: Point[], min: number | null, max: number | null, last: number | null, current: number | null}} SeriesSummary
 *   `current` is the figure to show: a level's last value, a rate over RATE_SPAN_MS, a count's total in the window
 */

/** Counts the ticks skipped between the snapshots received: a jump from 10 to 13 missed 2. */
export class TickGaps {
  constructor() {
    /** Total ticks missed. */
    this.missed = 0;
    /** Newest tick seen; null before the first, or after `restart`. */
    /** @type {number | null} */
    this.newest = null;
  }

  /**
   * A snapshot for `tick` arrived; returns the ticks it skipped. Older ones skip nothing.
   * @param {number} tick
   */
  see(tick) {
    const skipped = this.newest === null ? 0 : Math.max(0, tick - this.newest - 1);
    this.missed += skipped;
    if (this.newest === null || tick > this.newest) this.newest = tick;
    return skipped;
  }

  /** Ticks may jump from here on without counting (a new connection starts anywhere). */
  restart() {
    this.newest = null;
  }
}

export class NetHistory {
  /**
   * @param {Record<string, SeriesKind>} kinds the series by name
   * @param {{windowMs?: number, sampleMs?: number}} [opts]
   */
  constructor(kinds, { windowMs = NET_WINDOW_MS, sampleMs = NET_SAMPLE_MS } = {}) {
    this.kinds = kinds;
    this.windowMs = windowMs;
    this.sampleMs = sampleMs;
    /** The ring: the window's samples and the one just before them (their base). */
    /** @type {(Sample | undefined)[]} */
    this.ring = new Array(Math.ceil(windowMs / sampleMs) + 2);
    /** Index of the oldest sample held. */
    this.start = 0;
    this.size = 0;
    /** Time of the newest sample; null before the first. */
    /** @type {number | null} */
    this.now = null;
  }

  /**
   * Takes a sample at `nowMs` if one is due (NET_SAMPLE_MS since the last), calling `read`
   * only then; returns whether it did.
   * @param {number} nowMs @param {() => Readings} read
   */
  sample(nowMs, read) {
    if (this.now !== null && nowMs - this.now < this.sampleMs) return false;
    this.now = nowMs;
    const readings = read();
    if (this.size === this.ring.length) this.drop();
    this.ring[(this.start + this.size) % this.ring.length] = { at: nowMs, readings: { ...readings } };
    this.size++;
    // Keep one sample at or before the window's start: the base of the first point.
    while (this.size > 1 && /** @type {Sample} */ (this.at(1)).at <= nowMs - this.windowMs) this.drop();
    return true;
  }

  drop() {
    this.ring[this.start] = undefined;
    this.start = (this.start + 1) % this.ring.length;
    this.size--;
  }

  /** The `i`th sample held, oldest first. @param {number} i */
  at(i) {
    return this.ring[(this.start + i) % this.ring.length];
  }

  /** The samples held, oldest first (the first may be the base, before the window). */
  samples() {
    return Array.from({ length: this.size }, (_, i) => /** @type {Sample} */ (this.at(i)));
  }

  /** Samples inside the window (later than its start). */
  get count() {
    return this.samples().filter((s) => this.inWindow(s)).length;
  }

  /** @param {Sample} s */
  inWindow(s) {
    return this.now !== null && s.at > this.now - this.windowMs;
  }

  /**
   * One series over the window.
   * @param {string} name
   * @returns {SeriesSummary}
   */
  series(name) {
    const kind = this.kinds[name];
    if (kind === undefined) throw new Error(`no series "${name}"`);
    const samples = this.samples();
    /** @type {Point[]} */
    const points = [];
    for (const [i, s] of samples.entries()) {
      if (!this.inWindow(s)) continue;
      points.push({ at: s.at, value: kind === 'level' ? (s.readings[name] ?? null) : this.change(samples[i - 1], s, name, kind) });
    }
    const values = /** @type {number[]} */ (points.map((p) => p.value).filter((v) => v !== null));
    const last = points.at(-1)?.value ?? null;
    const min = values.length === 0 ? null : Math.min(...values);
    const max = values.length === 0 ? null : Math.max(...values);
    /** @type {number | null} */
    let current = last;
    if (kind === 'rate') current = this.rate(name, RATE_SPAN_MS);
    if (kind === 'count') current = points.length === 0 || values.length === 0 ? null : values.reduce((a, b) => a + b, 0);
    return { points, min, max, last, current };
  }

  /**
   * A counter's per-second rate over the last `spanMs` (from the newest sample at or before
   * its start, else the oldest held, to the newest); null while unknown.
   * @param {string} name @param {number} spanMs
   */
  rate(name, spanMs) {
    const samples = this.samples();
    const newest = samples.at(-1);
    if (newest === undefined) return null;
    const from = samples.findLast((s) => s.at <= newest.at - spanMs) ?? samples[0];
    return this.change(from, newest, name, 'rate');
  }

  /**
   * What a counter did from `a` to `b`: per second (rate) or in all (count); null if
   * unknown or if it went backwards (a counter that started over).
   * @param {Sample | undefined} a @param {Sample} b @param {string} name @param {SeriesKind} kind
   */
  change(a, b, name, kind) {
    const from = a?.readings[name];
    const to = b.readings[name];
    if (a === undefined || from == null || to == null || to < from || b.at <= a.at) return null;
    return kind === 'rate' ? ((to - from) * 1000) / (b.at - a.at) : to - from;
  }

  /** The newest reading of `name` (a counter's total); null before the first. @param {string} name */
  latest(name) {
    return this.size === 0 ? null : (/** @type {Sample} */ (this.at(this.size - 1)).readings[name] ?? null);
  }
}

/** The net graph's series: what a connection and a session show of the network. */
export const NET_SERIES = /** @type {const} */ ({
  rttMs: 'level',
  jitterMs: 'level',
  snapshotsMissed: 'count',
  fullRequests: 'count',
  delayMs: 'level',
  corrections: 'rate',
  bytesDown: 'rate',
  bytesUp: 'rate',
});

/**
 * @typedef {{[K in keyof typeof NET_SERIES]: number | null}} NetReadings
 * @typedef {{
 *   samples: number, rttMs: number | null, jitterMs: number | null, delayMs: number | null,
 *   snapshotsMissed: number | null, fullRequests: number | null, correctionsPerSecond: number | null,
 *   bytesDownPerSecond: number | null, bytesUpPerSecond: number | null, bytesDown: number | null, bytesUp: number | null,
 * }} NetFigures the current figures: counts in the window, rates over RATE_SPAN_MS, totals as last read
 */

/** The net graph's history of NET_SERIES. */
export class NetStats extends NetHistory {
  /** @param {{windowMs?: number, sampleMs?: number}} [opts] */
  constructor(opts) {
    super(NET_SERIES, opts);
  }

  /** @returns {NetFigures} */
  figures() {
    const now = (/** @type {keyof typeof NET_SERIES} */ name) => this.series(name).current;
    return {
      samples: this.count,
      rttMs: now('rttMs'),
      jitterMs: now('jitterMs'),
      delayMs: now('delayMs'),
      snapshotsMissed: now('snapshotsMissed'),
      fullRequests: now('fullRequests'),
      correctionsPerSecond: now('corrections'),
      bytesDownPerSecond: now('bytesDown'),
      bytesUpPerSecond: now('bytesUp'),
      bytesDown: this.latest('bytesDown'),
      bytesUp: this.latest('bytesUp'),
    };
  }
}
