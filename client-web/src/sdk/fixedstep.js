// A fixed-step accumulator: turns elapsed wall time into whole ticks at a fixed rate, with
// the fraction of the next tick left over for smoothing. A long stall (a hidden tab) does
// not become a burst: at most `maxSteps` ticks are run at once and the rest is dropped.

export class FixedStep {
  /** @param {number} stepMs @param {number} maxSteps */
  constructor(stepMs, maxSteps = 4) {
    this.stepMs = stepMs;
    this.maxSteps = maxSteps;
    /** @type {number | null} */
    this.lastMs = null;
    this.accumulated = 0;
  }

  /**
   * Adds the time elapsed up to `nowMs` and returns how many ticks are due.
   * @param {number} nowMs
   */
  advance(nowMs) {
    this.accumulated += this.lastMs === null ? this.stepMs : Math.max(0, nowMs - this.lastMs);
    this.lastMs = nowMs;
    const due = Math.floor(this.accumulated / this.stepMs);
    this.accumulated -= due * this.stepMs;
    return Math.min(due, this.maxSteps);
  }

  /** Time until the next tick is due, ms. */
  untilNextMs() {
    return this.stepMs - this.accumulated;
  }

  /** Fraction of the next tick already elapsed at `nowMs`, 0..1. */
  alpha(/** @type {number} */ nowMs) {
    const since = this.lastMs === null ? 0 : nowMs - this.lastMs;
    return Math.min(1, Math.max(0, (this.accumulated + since) / this.stepMs));
  }
}
