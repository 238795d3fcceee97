// The shooter's prediction step, ported from server/src/games/shooter/step.rs: the engine's
// movement step (the SDK's bit-exact port), with the stick let go while the player is dead
// (Fighter.health 0, as last received), so a dead body brakes to a stop where it fell.

import { step } from '../../sdk/movement.js';

/**
 * @typedef {import('../../sdk/prediction.js').PredictedState} PredictedState
 * @typedef {import('../../sdk/movement.js').MoveMap} MoveMap
 * @typedef {import('../../sdk/movement.js').MoveParams} MoveParams
 * @typedef {{map: MoveMap, movement: MoveParams}} StepConfig
 */

/**
 * @param {StepConfig} config
 * @returns {(state: PredictedState, input: Record<string, number>) => PredictedState}
 */
export const shooterStep = (config) => (state, input) => {
  const alive = (state.Fighter?.health ?? 1) > 0;
  const stick = alive ? { x: input.x, y: input.y } : { x: 0, y: 0 };
  return { ...state, Body: step(/** @type {any} */ (state.Body), stick, config.movement, config.map) };
};
