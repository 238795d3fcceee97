// The worlds this client holds, by tick (PROTOCOL.md, "Baselines"). The server builds each
// delta on the newest tick this client acknowledged, and acks already on their way may name
// older ticks, so every world from the baseline of the newest applied delta onwards is kept;
// a full snapshot prunes nothing (acks sent before it arrived may still become baselines).
// A snapshot naming a baseline that is not held (or that does not apply) is skipped and a
// full snapshot is requested. Bodies arrive as bytes: an update is typed by its entity's
// field list in the baseline, so a body is read once its baseline is found.

import { Reader } from './bincode.js';
import { applySnapshot, entityById, presenceOf } from './delta.js';
import { readSnapshotBody, readSnapshotHeader } from './snapshot_body.js';

/**
 * @typedef {import('./delta.js').World} World
 * @typedef {import('./schema.js').CompiledSchema} CompiledSchema
 * @typedef {{kind: 'applied', world: World, tick: number} | {kind: 'stale', tick: number} | {kind: 'missing', requestFull: boolean, tick: number | null}} Receipt
 * `tick`: the snapshot's tick, null if its header could not be read.
 */

/** How long to wait for the full snapshot asked for before asking again. */
export const REQUEST_FULL_RETRY_MS = 1000;

export class SnapshotStore {
  /**
   * @param {CompiledSchema} schema
   * @param {number} maxAgeTicks worlds older than this behind the newest are never kept
   */
  constructor(schema, maxAgeTicks) {
    this.schema = schema;
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
   * Applies a received body (its bytes). `requestFull` in the receipt says whether to send
   * RequestFull now (once per wait, repeated after REQUEST_FULL_RETRY_MS).
   * @param {Uint8Array} bytes @param {number} nowMs
   * @returns {Receipt}
   */
  receive(bytes, nowMs) {
    let header;
    try {
      header = readSnapshotHeader(new Reader(bytes));
    } catch {
      header = null;
    }
    if (header !== null && this.worlds.size > 0 && header.tick <= this.newest) return { kind: 'stale', tick: header.tick };
    const baseline = header === null || header.baseline === null ? null : this.worlds.get(header.baseline);
    const body = header === null || baseline === undefined ? null : this.read(bytes, baseline);
    const world = body === null ? null : body.world;
    if (world === null || baseline === undefined) {
      const requestFull = this.fullRequestedAt === null || nowMs - this.fullRequestedAt >= REQUEST_FULL_RETRY_MS;
      if (requestFull) this.fullRequestedAt = nowMs;
      return { kind: 'missing', requestFull, tick: header?.tick ?? null };
    }
    const tick = world.tick;
    if (baseline === null) this.fullRequestedAt = null;
    else this.floor = baseline.tick;
    const keepFrom = Math.max(this.floor, tick - this.maxAgeTicks);
    for (const t of this.worlds.keys()) if (t < keepFrom) this.worlds.delete(t);
    this.worlds.set(tick, world);
    this.newest = tick;
    return { kind: 'applied', world, tick };
  }

  /**
   * Reads a body against its baseline and applies it; null if it is malformed or does not fit.
   * @param {Uint8Array} bytes @param {World | null} baseline
   */
  read(bytes, baseline) {
    try {
      const r = new Reader(bytes);
      const body = readSnapshotBody(r, this.schema, (id) => {
        const e = baseline === null ? undefined : entityById(baseline, id);
        return e === undefined ? undefined : presenceOf(this.schema, e);
      });
      r.finish();
      return { world: applySnapshot(this.schema, baseline, body) };
    } catch {
      return null;
    }
  }

  /** The newest world held, if any. */
  latest() {
    return this.worlds.get(this.newest);
  }
}
