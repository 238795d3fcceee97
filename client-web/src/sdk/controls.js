// A game's declared controls (game_api.js `Controls`) in words for the kind of device the
// player uses: the game names its actions ("move", "Dash"), this module the device's part
// ("WASD or arrow keys", "Space", "drag", "tap").

import { DEVICE_WORDS } from './device.js';

/**
 * @typedef {import('./game_api.js').Controls} Controls
 * @typedef {import('./device.js').DeviceKind} DeviceKind
 */

/** @param {string} word */
const capital = (word) => word.charAt(0).toUpperCase() + word.slice(1);

/** "a", "a and b", "a, b and c". @param {string[]} words */
const list = (words) => (words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`);

/**
 * How to work the game's controls on a device of `kind`, as one or two short sentences.
 * @param {Controls} controls @param {DeviceKind} kind
 * @returns {string}
 */
export function controlsHint(controls, kind) {
  const move = controls.move ?? 'move';
  const buttons = controls.buttons ?? [];
  if (kind === 'touch') {
    const drag = controls.aim === undefined ? `Drag to ${move}` : `Drag on the left to ${move}, on the right to ${controls.aim}`;
    return buttons.length === 0 ? `${drag}.` : `${drag}, tap ${list(buttons.map((b) => b.label))}.`;
  }
  const words = DEVICE_WORDS[kind];
  const parts = [`${capital(move)}: ${words.stick}${kind === 'keyboard' ? ' (or a gamepad)' : ''}`];
  if (controls.aim !== undefined) parts.push(`${capital(controls.aim)}: ${words.aim ?? `a gamepad's ${DEVICE_WORDS.gamepad.aim}`}`);
  for (const b of buttons) parts.push(`${b.label}: ${words.buttons[b.button]}`);
  return `${parts.join('. ')}.`;
}

/**
 * The HUD's hint: the controls for the device in use, then the game's own words.
 * @param {Controls} controls @param {string} gameHint @param {DeviceKind} kind
 */
export const playHint = (controls, gameHint, kind) => [controlsHint(controls, kind), gameHint].filter((s) => s !== '').join(' ');
