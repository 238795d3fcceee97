// Retrying with exponential backoff that gives up: the wait before each retry doubles from
// `firstMs` up to `maxMs`, and once failures have gone on for `giveUpAfterMs` it stops, so
// a page whose server is down does not retry forever (the player is offered "Try again").
// Time is given by the caller, so tests step it.

/** @typedef {{firstMs: number, maxMs: number, giveUpAfterMs: number}} BackoffSchedule */

export class Backoff {
  /** @param {BackoffSchedule} schedule */
  constructor({ firstMs, maxMs, giveUpAfterMs }) {
    this.firstMs = firstMs;
    this.maxMs = maxMs;
    this.giveUpAfterMs = giveUpAfterMs;
    /** Failures since the last success. */
    this.failures = 0;
    /** When the first of them happened; null after a success. */
    /** @type {number | null} */
    this.since = null;
  }

  /**
   * Records a failure at `now`: returns how long to wait before the next try, or null to
   * stop trying (failures have gone on for `giveUpAfterMs`).
   * @param {number} now ms
   * @returns {number | null}
   */
  failed(now) {
    this.since ??= now;
    if (now - this.since >= this.giveUpAfterMs) return null;
    const delay = Math.min(this.maxMs, this.firstMs * 2 ** this.failures);
    this.failures++;
    return delay;
  }

  /** A success (or the player asked to try again): the next failure starts afresh. */
  reset() {
    this.failures = 0;
    this.since = null;
  }
}
