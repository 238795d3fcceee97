// Client-side prediction and reconciliation of the player's own entity (PROTOCOL.md,
// "Prediction"), for any game: the game gives its pure integer step and the components and
// fields it predicts. Each input sent is applied locally at once and kept, with the state
// it led to, until a snapshot's last_input_seq covers it. On a snapshot the own state is
// reset to the authoritative one and the inputs the server has not applied yet are
// replayed. A correction is counted when the authoritative state after an input differs,
// in a predicted field, from what this client had predicted after that same input.

/**
 * The own entity's predicted components: component name -> field name -> value. Every field
 * of a predicted component is there (those the game does not predict as last received).
 * @typedef {Record<string, Record<string, number>>} PredictedState
 * @typedef {Record<string, number>} NamedInput
 * @typedef {{
 *   components: Record<string, string[]>,
 *   step: (state: PredictedState, input: NamedInput) => PredictedState,
 * }} PredictionSpec
 * @typedef {{seq: number, input: NamedInput, predicted: PredictedState | null}} PendingInput
 * @typedef {import('./delta.js').Entity} Entity
 */

/** Inputs kept while unacknowledged; older ones are dropped (the server holds far fewer). */
export const INPUT_HISTORY = 256;

export class Predictor {
  /** @param {PredictionSpec} spec */
  constructor(spec) {
    this.spec = spec;
    /** Predicted own state; null until the own entity first appears in a snapshot. */
    /** @type {PredictedState | null} */
    this.state = null;
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
    this.state = null;
    this.pending = [];
  }

  /**
   * Records an input just sent and applies it to the predicted state.
   * @param {number} seq @param {NamedInput} input
   */
  applyInput(seq, input) {
    if (this.state !== null) this.state = this.spec.step(this.state, input);
    this.pending.push({ seq, input, predicted: this.state });
    if (this.pending.length > INPUT_HISTORY) this.pending.shift();
  }

  /**
   * The predicted components of an entity, copied; null if it lacks one of them.
   * @param {Entity} e
   * @returns {PredictedState | null}
   */
  extract(e) {
    /** @type {PredictedState} */
    const out = {};
    for (const name of Object.keys(this.spec.components)) {
      const c = e.components[name];
      if (c === undefined) return null;
      out[name] = { ...c };
    }
    return out;
  }

  /**
   * Whether two states agree on every predicted field.
   * @param {PredictedState} a @param {PredictedState} b
   */
  agree(a, b) {
    return Object.entries(this.spec.components).every(([c, fields]) => fields.every((f) => a[c][f] === b[c][f]));
  }

  /**
   * Reconciles with a snapshot: `own` is the own entity at that tick (undefined if the
   * snapshot does not contain it).
   * @param {number} lastInputSeq @param {Entity | undefined} own
   */
  reconcile(lastInputSeq, own) {
    const authority = own === undefined ? null : this.extract(own);
    const covered = this.pending.findLast((p) => p.seq === lastInputSeq);
    if (authority !== null && covered?.predicted && !this.agree(covered.predicted, authority)) this.corrections++;
    this.pending = this.pending.filter((p) => p.seq > lastInputSeq);
    let state = authority;
    if (state !== null) {
      for (const p of this.pending) {
        state = this.spec.step(state, p.input);
        p.predicted = state;
      }
    }
    this.state = state;
  }
}
