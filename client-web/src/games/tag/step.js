// The tag game's prediction step, a bit-exact port of its Rust original: a dash (when the
// button is pressed and the cooldown is over) raises the movement limits by
// `speed_percent` for `dash.ticks` inputs, then the engine's movement step moves the Body.
// Integer only; `/` truncates toward zero.

import { step as move } from '../../sdk/movement.js';

/**
 * @typedef {import('../../sdk/movement.js').Body} Body
 * @typedef {import('../../sdk/movement.js').MoveMap} MoveMap
 * @typedef {import('../../sdk/movement.js').MoveParams} MoveParams
 * @typedef {{dash: number, cooldown: number} & Record<string, number>} Runner
 * @typedef {{x: number, y: number, dash: number}} TagInput
 * @typedef {{map: MoveMap & {name?: string}, movement: MoveParams, dash: {ticks: number, cooldown: number, speed_percent: number}, tag_reach: number}} TagConfig
 */

/**
 * One input's step of the own runner; leaves its arguments untouched.
 * @param {{Body: Body, Runner: Runner}} state @param {TagInput} input @param {TagConfig} config
 * @returns {{Body: Body, Runner: Runner}}
 */
export function tagStep(state, input, config) {
  const runner = { ...state.Runner };
  if (input.dash !== 0 && runner.cooldown === 0) {
    runner.dash = config.dash.ticks;
    runner.cooldown = config.dash.cooldown;
  }
  let params = config.movement;
  if (runner.dash > 0) {
    const pct = config.dash.speed_percent;
    params = { ...params, max_speed: Math.trunc((params.max_speed * pct) / 100), accel: Math.trunc((params.accel * pct) / 100) };
  }
  const body = move(state.Body, { x: input.x, y: input.y }, params, config.map);
  if (runner.dash > 0) runner.dash -= 1;
  if (runner.cooldown > 0) runner.cooldown -= 1;
  return { Body: body, Runner: runner };
}
