// Client-side prediction and reconciliation of the player's own entity (PROTOCOL.md,
// "Prediction"). Each input sent is applied locally at once and kept, with the state it
// led to, until a snapshot's last_input_seq covers it. On a snapshot the own entity is reset
// to the authoritative state and the inputs the server has not applied yet are replayed.
// A correction is counted when the authoritative state after an input differs from what
// this client had predicted after that same input.

import { step } from './movement.js';

/**
 * @typedef {import('./movement.js').Body} Body
 * @typedef {import('./movement.js').MoveInput} MoveInput
 * @typedef {import('./movement.js').MoveParams} MoveParams
 * @typedef {import('./movement.js').Arena} Arena
 * @typedef {{seq: number, input: MoveInput, predicted: Body | null}} PendingInput
 */

/** Inputs kept while unacknowledged; older ones are dropped (the server holds far fewer). */
export const INPUT_HISTORY = 256;

/** @param {Body} a @param {Body} b */
const sameBody = (a, b) => a.pos[0] === b.pos[0] && a.pos[1] === b.pos[1] && a.vel[0] === b.vel[0] && a.vel[1] === b.vel[1];

export class Predictor {
  /** @param {MoveParams} params @param {Arena} arena */
  constructor(params, arena) {
    this.params = params;
    this.arena = arena;
    /** Predicted own state; null until the own entity first appears in a snapshot. */
    /** @type {Body | null} */
    this.body = null;
    /** Inputs sent and not yet covered by a snapshot, oldest first. */
    /** @type {PendingInput[]} */
    this.pending = [];
    /** Times the server's state after an input differed from the prediction for it. */
    this.corrections = 0;
  }

  /**
   * Starts over after a reconnect: nothing is predicted until the own entity is in a
   * snapshot again, and inputs from before the drop (which the server discarded) are
   * forgotten. The correction count goes on.
   */
  restart() {
    this.body = null;
    this.pending = [];
  }

  /**
   * Records an input just sent and applies it to the predicted state.
   * @param {number} seq @param {MoveInput} input
   */
  applyInput(seq, input) {
    if (this.body !== null) this.body = step(this.body, input, this.params, this.arena);
    this.pending.push({ seq, input, predicted: this.body });
    if (this.pending.length > INPUT_HISTORY) this.pending.shift();
  }

  /**
   * Reconciles with a snapshot: `own` is the own entity's authoritative state at that tick
   * (undefined if the snapshot does not contain it).
   * @param {number} lastInputSeq @param {Body | undefined} own
   */
  reconcile(lastInputSeq, own) {
    const covered = this.pending.findLast((p) => p.seq === lastInputSeq);
    if (own !== undefined && covered?.predicted && !sameBody(covered.predicted, own)) this.corrections++;
    this.pending = this.pending.filter((p) => p.seq > lastInputSeq);
    if (own === undefined) {
      this.body = null;
      return;
    }
    /** @type {Body} */
    let body = { pos: [own.pos[0], own.pos[1]], vel: [own.vel[0], own.vel[1]] };
    for (const p of this.pending) {
      body = step(body, p.input, this.params, this.arena);
      p.predicted = body;
    }
    this.body = body;
  }
}
