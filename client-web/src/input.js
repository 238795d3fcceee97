// The player's stick: keyboard (WASD and arrow keys) or the first gamepad's left stick,
// as movement {x, y} with each axis in -127..127, +y down.

import { STICK_MAX } from './movement.js';

export const GAMEPAD_DEADZONE = 0.2;

/** @type {Record<string, [number, number]>} key code -> direction */
const KEYS = {
  KeyW: [0, -1], ArrowUp: [0, -1],
  KeyS: [0, 1], ArrowDown: [0, 1],
  KeyA: [-1, 0], ArrowLeft: [-1, 0],
  KeyD: [1, 0], ArrowRight: [1, 0],
};

/**
 * Movement from the set of held key codes; opposite keys cancel.
 * @param {Iterable<string>} held
 */
export function keysToMovement(held) {
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
 * Movement from analog stick axes in -1..1, with a radial deadzone and the range past it
 * rescaled to the full stick.
 * @param {number} ax @param {number} ay @param {number} deadzone
 */
export function stickToMovement(ax, ay, deadzone = GAMEPAD_DEADZONE) {
  const mag = Math.hypot(ax, ay);
  if (mag <= deadzone) return { x: 0, y: 0 };
  const scale = (Math.min(mag, 1) - deadzone) / (1 - deadzone) / mag;
  const axis = (/** @type {number} */ v) => Math.max(-STICK_MAX, Math.min(STICK_MAX, Math.round(v * scale * STICK_MAX)));
  return { x: axis(ax), y: axis(ay) };
}

/** Whether a keyboard event is typing into a form field rather than steering. */
const isTyping = (/** @type {KeyboardEvent} */ e) =>
  e.target instanceof HTMLElement && (e.target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(e.target.tagName));

/** Listens to the keyboard and reads gamepads; `sample()` gives the current movement. */
export class InputSampler {
  constructor() {
    /** @type {Set<string>} */
    this.held = new Set();
    this.onKeyDown = (/** @type {KeyboardEvent} */ e) => {
      if (!(e.code in KEYS) || isTyping(e)) return;
      this.held.add(e.code);
      e.preventDefault();
    };
    this.onKeyUp = (/** @type {KeyboardEvent} */ e) => this.held.delete(e.code);
    this.onBlur = () => this.held.clear();
    window.addEventListener('keydown', this.onKeyDown);
    window.addEventListener('keyup', this.onKeyUp);
    window.addEventListener('blur', this.onBlur);
  }

  sample() {
    if (this.held.size > 0) return keysToMovement(this.held);
    const pad = navigator.getGamepads?.().find((p) => p?.connected && p.axes.length >= 2);
    return pad ? stickToMovement(pad.axes[0], pad.axes[1]) : { x: 0, y: 0 };
  }

  dispose() {
    window.removeEventListener('keydown', this.onKeyDown);
    window.removeEventListener('keyup', this.onKeyUp);
    window.removeEventListener('blur', this.onBlur);
  }
}
