// Rates for the net graph: per-second rates of cumulative counters (bytes up and down,
// snapshots) over a sliding window of samples.

export class RateWindow {
  /** @param {number} windowMs */
  constructor(windowMs = 1000) {
    this.windowMs = windowMs;
    /** @type {{at: number, totals: Record<string, number>}[]} */
    this.samples = [];
  }

  /**
   * Records the counters' current totals.
   * @param {number} nowMs @param {Record<string, number>} totals
   */
  sample(nowMs, totals) {
    this.samples.push({ at: nowMs, totals: { ...totals } });
    while (this.samples.length > 2 && nowMs - this.samples[1].at >= this.windowMs) this.samples.shift();
  }

  /**
   * Per-second rate of each counter over the window (0 until two samples exist).
   * @returns {Record<string, number>}
   */
  rates() {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    /** @type {Record<string, number>} */
    const out = {};
    if (first === undefined || last === undefined) return out;
    const seconds = (last.at - first.at) / 1000;
    for (const key of Object.keys(last.totals)) out[key] = seconds > 0 ? (last.totals[key] - (first.totals[key] ?? 0)) / seconds : 0;
    return out;
  }
}
