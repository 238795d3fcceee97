// The player's devices, sampled once per tick for the game to map onto its input fields:
// a stick {x, y} with each axis in -127..127, +y down (WASD, the arrow keys or the first
// gamepad's left stick) and a few buttons (action: Space or the gamepad's bottom face
// button; alt: Shift or its right face button).

import { STICK_MAX } from './movement.js';

/**
 * @typedef {{x: number, y: number}} Stick
 * @typedef {{action: boolean, alt: boolean}} Buttons
 * @typedef {{stick: Stick, buttons: Buttons}} DeviceSample
 */

export const GAMEPAD_DEADZONE = 0.2;

/** @type {Record<string, [number, number]>} key code -> direction */
const KEYS = {
  KeyW: [0, -1], ArrowUp: [0, -1],
  KeyS: [0, 1], ArrowDown: [0, 1],
  KeyA: [-1, 0], ArrowLeft: [-1, 0],
  KeyD: [1, 0], ArrowRight: [1, 0],
};

/** @type {Record<string, keyof Buttons>} key code -> button */
const BUTTON_KEYS = { Space: 'action', ShiftLeft: 'alt', ShiftRight: 'alt' };
/** Standard-mapping gamepad button indices. */
const PAD_BUTTONS = { action: 0, alt: 1 };

/**
 * The stick from the set of held key codes; opposite keys cancel.
 * @param {Iterable<string>} held
 * @returns {Stick}
 */
export function keysToStick(held) {
  let dx = 0;
  let dy = 0;
  for (const code of new Set(held)) {
    const dir = KEYS[code];
    if (dir === undefined) continue;
    dx += dir[0];
    dy += dir[1];
  }
  return { x: Math.sign(dx) * STICK_MAX, y: Math.sign(dy) * STICK_MAX };
}

/**
 * The buttons from the set of held key codes.
 * @param {Iterable<string>} held
 * @returns {Buttons}
 */
export function keysToButtons(held) {
  const out = { action: false, alt: false };
  for (const code of held) if (code in BUTTON_KEYS) out[BUTTON_KEYS[code]] = true;
  return out;
}

/**
 * The stick from analog axes in -1..1, with a radial deadzone and the range past it
 * rescaled to the full stick.
 * @param {number} ax @param {number} ay @param {number} deadzone
 * @returns {Stick}
 */
export function axesToStick(ax, ay, deadzone = GAMEPAD_DEADZONE) {
  const mag = Math.hypot(ax, ay);
  if (mag <= deadzone) return { x: 0, y: 0 };
  const scale = (Math.min(mag, 1) - deadzone) / (1 - deadzone) / mag;
  const axis = (/** @type {number} */ v) => Math.max(-STICK_MAX, Math.min(STICK_MAX, Math.round(v * scale * STICK_MAX)));
  return { x: axis(ax), y: axis(ay) };
}

/** Whether a keyboard event is typing into a form field rather than steering. */
const isTyping = (/** @type {KeyboardEvent} */ e) =>
  e.target instanceof HTMLElement && (e.target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(e.target.tagName));

/** Listens to the keyboard and reads gamepads; `sample()` gives the devices' state now. */
export class DeviceSampler {
  constructor() {
    /** @type {Set<string>} */
    this.held = new Set();
    this.onKeyDown = (/** @type {KeyboardEvent} */ e) => {
      if (!(e.code in KEYS || e.code in BUTTON_KEYS) || isTyping(e)) return;
      // Space on a focused button presses it rather than the game's button.
      if (e.code in BUTTON_KEYS && e.target instanceof HTMLButtonElement) return;
      this.held.add(e.code);
      e.preventDefault();
    };
    this.onKeyUp = (/** @type {KeyboardEvent} */ e) => this.held.delete(e.code);
    this.onBlur = () => this.held.clear();
    window.addEventListener('keydown', this.onKeyDown);
    window.addEventListener('keyup', this.onKeyUp);
    window.addEventListener('blur', this.onBlur);
  }

  /** @returns {DeviceSample} */
  sample() {
    const pad = navigator.getGamepads?.().find((p) => p?.connected && p.axes.length >= 2) ?? null;
    const keys = keysToButtons(this.held);
    const pressed = (/** @type {number} */ i) => pad?.buttons[i]?.pressed === true;
    const buttons = { action: keys.action || pressed(PAD_BUTTONS.action), alt: keys.alt || pressed(PAD_BUTTONS.alt) };
    const steering = [...this.held].some((code) => code in KEYS);
    const stick = steering || pad === null ? keysToStick(this.held) : axesToStick(pad.axes[0], pad.axes[1]);
    return { stick, buttons };
  }

  dispose() {
    window.removeEventListener('keydown', this.onKeyDown);
    window.removeEventListener('keyup', this.onKeyUp);
    window.removeEventListener('blur', this.onBlur);
  }
}
