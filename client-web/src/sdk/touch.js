// Touch controls as pure logic (the page draws them and feeds it touches): where the
// sticks and buttons go on a canvas of a given size for a game's controls, and touches,
// tracked by identifier, turned into a device sample. The stick floats: its base is where
// the thumb lands and is dragged along once the thumb goes past its rim, so the thumb
// never has to find it and turning back is immediate. A second (aim) stick works the same
// on the right half when the game asks for one. A button is held by the touches that
// began on it; a tap shorter than a tick still counts for one sample.

import { axesToStick } from './device.js';

/** Thumb travel from the stick's base to full deflection. */
export const STICK_RADIUS_PX = 56;
/** Deflection, as a share of the radius, that still reads as no stick. */
export const STICK_DEADZONE = 0.15;
export const BUTTON_RADIUS_PX = 36;
/** A touch this far outside a button's circle still presses it. */
const BUTTON_SLOP_PX = 14;
const EDGE_PX = 20;
const BUTTON_GAP_PX = 14;
/** A canvas this much wider than tall puts the controls in bands at its sides. */
const WIDE_ASPECT = 1.2;

/**
 * @typedef {import('./device.js').Stick} Stick
 * @typedef {import('./device.js').Buttons} Buttons
 * @typedef {import('./device.js').DeviceSample} DeviceSample
 * @typedef {import('./game_api.js').Controls} Controls
 * @typedef {import('./game_api.js').Insets} Insets
 * @typedef {{x: number, y: number}} Point
 * @typedef {{button: keyof Buttons, label: string, x: number, y: number, r: number}} ButtonSpot
 * @typedef {{
 *   width: number, height: number, radius: number,
 *   move: Point, aim: Point | null, buttons: ButtonSpot[], reserved: Insets,
 * }} TouchLayout
 * `move` and `aim` are where each stick rests (drawn faint) until a thumb lands; `reserved`
 * the bands the controls take along the canvas's edges.
 * @typedef {'move' | 'aim' | keyof Buttons} Role
 * @typedef {{role: Role, origin: Point, point: Point}} Tracked
 */

/**
 * The stick for a thumb at `point` on a stick based at `origin`: full deflection at
 * `radius`, none inside the deadzone, -127..127 per axis, +y down.
 * @param {Point} origin @param {Point} point @param {number} radius
 * @returns {Stick}
 */
export const dragToStick = (origin, point, radius = STICK_RADIUS_PX) =>
  axesToStick((point.x - origin.x) / radius, (point.y - origin.y) / radius, STICK_DEADZONE);

/**
 * The base moved just enough that `point` is at most `radius` from it.
 * @param {Point} origin @param {Point} point @param {number} radius
 * @returns {Point}
 */
export function followThumb(origin, point, radius = STICK_RADIUS_PX) {
  const dx = point.x - origin.x;
  const dy = point.y - origin.y;
  const d = Math.hypot(dx, dy);
  if (d <= radius) return origin;
  return { x: point.x - (dx / d) * radius, y: point.y - (dy / d) * radius };
}

/**
 * Where the controls go. On a tall canvas they share a strip along the bottom; on a wide
 * one they sit in the bottom corners, in bands at the sides. The move stick rests at the
 * bottom left. The buttons take the bottom right corner and the room beside it, or, when
 * the game wants an aim stick there, the room between the sticks (tall) or above the aim
 * stick (wide); rows that do not fit go above, and a strip grows to hold them.
 * @param {number} width @param {number} height @param {Controls} controls
 * @returns {TouchLayout}
 */
export function layoutTouch(width, height, controls) {
  const radius = STICK_RADIUS_PX;
  const r = BUTTON_RADIUS_PX;
  const band = 2 * (EDGE_PX + radius);
  const wide = width >= height * WIDE_ASPECT;
  const corner = EDGE_PX + radius;
  const move = { x: corner, y: height - corner };
  const aim = controls.aim === undefined ? null : { x: width - corner, y: height - corner };
  // The box the buttons fill from its bottom, and whether its rows hug its right end.
  const inset = radius - r; // a button in a corner is centred where a stick would rest
  const area =
    aim === null
      ? wide
        ? { left: width - band, right: width - EDGE_PX - inset, bottom: height - EDGE_PX - inset, end: true }
        : { left: band, right: width - EDGE_PX - inset, bottom: height - EDGE_PX - inset, end: true }
      : wide
        ? { left: width - band, right: width - EDGE_PX - inset, bottom: height - band, end: true }
        : { left: band, right: width - band, bottom: height - EDGE_PX - inset, end: false };
  const specs = controls.buttons ?? [];
  const step = 2 * r + BUTTON_GAP_PX;
  const cols = Math.max(1, Math.min(specs.length, Math.floor((area.right - area.left + BUTTON_GAP_PX) / step)));
  const buttons = specs.map((b, i) => {
    const row = Math.floor(i / cols);
    const col = i % cols;
    const inRow = Math.min(cols, specs.length - row * cols);
    const x = area.end ? area.right - r - col * step : (area.left + area.right) / 2 + (col - (inRow - 1) / 2) * step;
    return { button: b.button, label: b.label, x, y: area.bottom - r - row * step, r };
  });
  const top = Math.min(height - band, ...buttons.map((b) => b.y - b.r - EDGE_PX));
  const reserved = wide ? { top: 0, right: band, bottom: 0, left: band } : { top: 0, right: 0, bottom: height - top, left: 0 };
  return { width, height, radius, move, aim, buttons, reserved };
}

/**
 * Touches on the controls, by identifier, and the sample they make. `layout` may be
 * replaced (the canvas was resized): touches go on with what they hold.
 */
export class TouchPad {
  /** @param {TouchLayout} layout */
  constructor(layout) {
    this.layout = layout;
    /** @type {Map<number, Tracked>} */
    this.touches = new Map();
    /** Buttons pressed since the last sample, so that a short tap is not missed. */
    /** @type {Set<keyof Buttons>} */
    this.tapped = new Set();
    /** Second thumbs on a stick already held: one takes the stick when the first lifts. */
    /** @type {Map<number, {role: Role, point: Point}>} */
    this.waiting = new Map();
  }

  /** @param {Role} role */
  holder(role) {
    for (const t of this.touches.values()) if (t.role === role) return t;
    return null;
  }

  /**
   * A touch began at (x, y) CSS pixels on the canvas: it presses a button it is on (or
   * near), else takes a free stick on its side; returns what it took, or null.
   * @param {number} id @param {number} x @param {number} y
   * @returns {Role | null}
   */
  start(id, x, y) {
    const { buttons, aim, width } = this.layout;
    const point = { x, y };
    const button = buttons.find((b) => Math.hypot(x - b.x, y - b.y) <= b.r + BUTTON_SLOP_PX);
    /** @type {Role} */
    let role;
    if (button !== undefined) {
      role = button.button;
      this.tapped.add(button.button);
    } else {
      role = aim !== null && x >= width / 2 ? 'aim' : 'move';
      if (this.holder(role) !== null) {
        this.waiting.set(id, { role, point });
        return null;
      }
    }
    this.touches.set(id, { role, origin: point, point });
    return role;
  }

  /** @param {number} id @param {number} x @param {number} y */
  move(id, x, y) {
    const spare = this.waiting.get(id);
    if (spare !== undefined) spare.point = { x, y };
    const t = this.touches.get(id);
    if (t === undefined) return;
    t.point = { x, y };
    if (t.role === 'move' || t.role === 'aim') t.origin = followThumb(t.origin, t.point, this.layout.radius);
  }

  /** A touch ended or was cancelled; a second thumb on its stick takes it over. @param {number} id */
  end(id) {
    this.waiting.delete(id);
    const t = this.touches.get(id);
    this.touches.delete(id);
    if (t === undefined || (t.role !== 'move' && t.role !== 'aim')) return;
    for (const [other, spare] of this.waiting) {
      if (spare.role !== t.role) continue;
      this.waiting.delete(other);
      this.touches.set(other, { role: spare.role, origin: spare.point, point: spare.point });
      return;
    }
  }

  /**
   * Forgets touches that are no longer on the screen (`ids`: every touch that is, from a
   * TouchEvent's `touches`): a lost touchend must not leave a thumb holding a stick.
   * @param {Iterable<number>} ids
   */
  keepOnly(ids) {
    const on = new Set(ids);
    for (const id of [...this.touches.keys(), ...this.waiting.keys()]) if (!on.has(id)) this.end(id);
  }

  /** Every touch let go (the page lost focus or was hidden, the layout changed under them). */
  clear() {
    this.touches.clear();
    this.waiting.clear();
  }

  /**
   * The sticks and buttons now; `aim` is null unless the game asked for an aim stick.
   * @returns {DeviceSample}
   */
  sample() {
    const stickOf = (/** @type {Role} */ role) => {
      const t = this.holder(role);
      return t === null ? { x: 0, y: 0 } : dragToStick(t.origin, t.point, this.layout.radius);
    };
    const held = (/** @type {keyof Buttons} */ b) => this.tapped.has(b) || this.holder(b) !== null;
    const sample = {
      stick: stickOf('move'),
      aim: this.layout.aim === null ? null : stickOf('aim'),
      buttons: { action: held('action'), alt: held('alt') },
    };
    this.tapped.clear();
    return sample;
  }
}
