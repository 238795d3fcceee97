// The worlds this client holds, by tick (PROTOCOL.md, "Baselines"). The server builds each
// delta on the newest tick this client acknowledged, and acks already on their way may name
// older ticks, so every world from the baseline of the newest applied delta onwards is kept;
// a full snapshot prunes nothing (acks sent before it arrived may still become baselines).
// A snapshot naming a baseline that is not held (or that does not apply) is skipped and a
// full snapshot is requested.

import { applySnapshot } from './delta.js';

/**
 * @typedef {import('./delta.js').World} World
 * @typedef {import('./snapshot_body.js').SnapshotBody} SnapshotBody
 * @typedef {{kind: 'applied', world: World} | {kind: 'stale'} | {kind: 'missing', requestFull: boolean}} Receipt
 */

/** How long to wait for the full snapshot asked for before asking again. */
export const REQUEST_FULL_RETRY_MS = 1000;

export class SnapshotStore {
  /** @param {number} maxAgeTicks worlds older than this behind the newest are never kept */
  constructor(maxAgeTicks) {
    this.maxAgeTicks = maxAgeTicks;
    /** @type {Map<number, World>} */
    this.worlds = new Map();
    /** Baseline of the newest applied delta: the server builds no delta on anything older. */
    this.floor = 0;
    /** Tick of the newest world held; 0 when none. */
    this.newest = 0;
    /** When a full snapshot was last requested and has not arrived yet; null if none. */
    /** @type {number | null} */
    this.fullRequestedAt = null;
  }

  /** The tick to acknowledge in every Input: the newest world held (0: none). */
  get ack() {
    return this.newest;
  }

  /**
   * Applies a received body. `requestFull` in the receipt says whether to send RequestFull
   * now (once per wait, repeated after REQUEST_FULL_RETRY_MS).
   * @param {SnapshotBody} body @param {number} nowMs
   * @returns {Receipt}
   */
  receive(body, nowMs) {
    if (this.worlds.size > 0 && body.tick <= this.newest) return { kind: 'stale' };
    const baseline = body.baseline === null ? null : this.worlds.get(body.baseline);
    let world;
    try {
      world = baseline === undefined ? null : applySnapshot(baseline, body);
    } catch {
      world = null;
    }
    if (world === null) {
      const requestFull = this.fullRequestedAt === null || nowMs - this.fullRequestedAt >= REQUEST_FULL_RETRY_MS;
      if (requestFull) this.fullRequestedAt = nowMs;
      return { kind: 'missing', requestFull };
    }
    if (body.baseline === null) this.fullRequestedAt = null;
    else this.floor = body.baseline;
    const keepFrom = Math.max(this.floor, body.tick - this.maxAgeTicks);
    for (const tick of this.worlds.keys()) if (tick < keepFrom) this.worlds.delete(tick);
    this.worlds.set(body.tick, world);
    this.newest = body.tick;
    return { kind: 'applied', world };
  }

  /** The newest world held, if any. */
  latest() {
    return this.worlds.get(this.newest);
  }
}
