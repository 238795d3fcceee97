// The player's devices, sampled once per tick for the game to map onto its input fields:
// a stick {x, y} with each axis in -127..127, +y down (WASD, the arrow keys, the first
// gamepad's left stick or a touch stick), a second stick for aiming (the gamepad's right
// stick, or a touch stick when the game asks for one), and a few buttons (action: Space,
// the gamepad's bottom face button or its right trigger; alt: Shift or its right face
// button; or their touch buttons), and the mouse over the game's canvas (where it is, and
// whether a button is held or was clicked since the last sample). Also which kind of
// device the player used last, and the words for its parts.

import { STICK_MAX } from './movement.js';

/**
 * @typedef {{x: number, y: number}} Stick
 * @typedef {{action: boolean, alt: boolean}} Buttons
 * @typedef {{x: number, y: number, down: boolean}} Pointer
 * @typedef {{stick: Stick, aim: Stick | null, buttons: Buttons, pointer?: Pointer | null}} DeviceSample
 * `aim` is null when no device in use has a second stick. `pointer` is the mouse over the
 * canvas, in the canvas's CSS pixels (as a game draws), `down` while a mouse button is held
 * or when one was clicked since the last sample; null or absent without a mouse there.
 * @typedef {'keyboard' | 'gamepad' | 'touch'} DeviceKind
 * @typedef {{kind: DeviceKind, usedAtMs: number, sample: () => DeviceSample}} DeviceSource
 * another source of samples (touch controls); `usedAtMs` is when it was last used
 * (performance.now(), -Infinity if never)
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
/** Standard-mapping gamepad button indices: the bottom and right face buttons, and the
 * right trigger, which presses action too. */
const PAD_BUTTONS = { action: 0, alt: 1, trigger: 7 };

/** What a player of each kind reads for the stick, the aim stick and each button. */
export const DEVICE_WORDS = {
  keyboard: { stick: 'WASD or arrow keys', aim: 'the mouse', buttons: { action: 'Space', alt: 'Shift' } },
  gamepad: { stick: 'left stick', aim: 'right stick', buttons: { action: 'A or RT', alt: 'B' } },
};

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

/** @param {Stick} s */
const isZero = (s) => s.x === 0 && s.y === 0;

/**
 * Two samples as one: `over`'s sticks where they are deflected (else `under`'s), either's
 * buttons.
 * @param {DeviceSample} under @param {DeviceSample} over
 * @returns {DeviceSample}
 */
export function combineSamples(under, over) {
  const aim = over.aim !== null && (under.aim === null || !isZero(over.aim)) ? over.aim : under.aim;
  const pointer = over.pointer ?? under.pointer;
  return {
    stick: isZero(over.stick) ? under.stick : over.stick,
    aim,
    buttons: { action: under.buttons.action || over.buttons.action, alt: under.buttons.alt || over.buttons.alt },
    ...(pointer === undefined ? {} : { pointer }),
  };
}

/**
 * The mouse over one element: where it is (CSS pixels in the element's box) and its
 * buttons, a click shorter than a tick still counted once. Touch and pen pointers are left
 * to the touch controls.
 */
export class MousePointer {
  /** @param {HTMLElement} area @param {() => void} onUse called when the mouse is used */
  constructor(area, onUse) {
    this.area = area;
    /** @type {{x: number, y: number} | null} */
    this.at = null;
    this.held = false;
    this.clicked = false;
    const where = (/** @type {PointerEvent} */ e) => {
      if (e.pointerType !== 'mouse') return false;
      const r = area.getBoundingClientRect();
      this.at = { x: e.clientX - r.left, y: e.clientY - r.top };
      onUse();
      return true;
    };
    this.onMove = (/** @type {PointerEvent} */ e) => void where(e);
    this.onDown = (/** @type {PointerEvent} */ e) => {
      if (!where(e) || e.button !== 0) return;
      this.held = true;
      this.clicked = true;
    };
    this.onUp = (/** @type {PointerEvent} */ e) => {
      if (e.pointerType === 'mouse' && e.button === 0) this.held = false;
    };
    this.onLeave = () => {
      this.at = null;
    };
    area.addEventListener('pointermove', this.onMove);
    area.addEventListener('pointerdown', this.onDown);
    area.addEventListener('pointerleave', this.onLeave);
    window.addEventListener('pointerup', this.onUp);
  }

  /** @returns {Pointer | null} */
  sample() {
    const down = this.held || this.clicked;
    this.clicked = false;
    return this.at === null ? null : { ...this.at, down };
  }

  dispose() {
    this.area.removeEventListener('pointermove', this.onMove);
    this.area.removeEventListener('pointerdown', this.onDown);
    this.area.removeEventListener('pointerleave', this.onLeave);
    window.removeEventListener('pointerup', this.onUp);
  }
}

/**
 * Which kind of device the player used last: the keyboard or gamepad (`own`, used at
 * `ownAtMs`) or one of the sources; ties go to the earlier.
 * @param {DeviceKind} own @param {number} ownAtMs @param {DeviceSource[]} sources
 * @returns {DeviceKind}
 */
export function kindInUse(own, ownAtMs, sources) {
  let kind = own;
  let at = ownAtMs;
  for (const s of sources) {
    if (s.usedAtMs > at) {
      kind = s.kind;
      at = s.usedAtMs;
    }
  }
  return kind;
}

/** Whether a keyboard event is typing into a form field rather than steering. */
const isTyping = (/** @type {KeyboardEvent} */ e) =>
  e.target instanceof HTMLElement && (e.target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(e.target.tagName));

/**
 * Listens to the keyboard and reads gamepads, and takes samples from other sources (touch
 * controls); `sample()` gives the devices' state now, `kind()` the kind used last.
 */
export class DeviceSampler {
  /** @param {DeviceSource[]} sources @param {HTMLElement | null} pointerArea the canvas the mouse aims on */
  constructor(sources = [], pointerArea = null) {
    this.sources = sources;
    this.mouse = pointerArea === null ? null : new MousePointer(pointerArea, () => this.used('keyboard'));
    /** @type {Set<string>} */
    this.held = new Set();
    /** The keyboard or the gamepad, whichever was used last, and when. */
    /** @type {'keyboard' | 'gamepad'} */
    this.ownKind = 'keyboard';
    this.ownUsedAtMs = -Infinity;
    this.onKeyDown = (/** @type {KeyboardEvent} */ e) => {
      if (!(e.code in KEYS || e.code in BUTTON_KEYS) || isTyping(e)) return;
      // Space on a focused button presses it rather than the game's button.
      if (e.code in BUTTON_KEYS && e.target instanceof HTMLButtonElement) return;
      this.held.add(e.code);
      this.used('keyboard');
      e.preventDefault();
    };
    this.onKeyUp = (/** @type {KeyboardEvent} */ e) => this.held.delete(e.code);
    this.onBlur = () => this.held.clear();
    window.addEventListener('keydown', this.onKeyDown);
    window.addEventListener('keyup', this.onKeyUp);
    window.addEventListener('blur', this.onBlur);
  }

  /** @param {'keyboard' | 'gamepad'} kind */
  used(kind) {
    this.ownKind = kind;
    this.ownUsedAtMs = performance.now();
  }

  /** @returns {DeviceSample} */
  sample() {
    const pad = navigator.getGamepads?.().find((p) => p?.connected && p.axes.length >= 2) ?? null;
    const keys = keysToButtons(this.held);
    const pressed = (/** @type {number} */ i) => pad?.buttons[i]?.pressed === true;
    const padStick = pad === null ? { x: 0, y: 0 } : axesToStick(pad.axes[0], pad.axes[1]);
    const aim = pad === null || pad.axes.length < 4 ? null : axesToStick(pad.axes[2], pad.axes[3]);
    const padAction = pressed(PAD_BUTTONS.action) || pressed(PAD_BUTTONS.trigger);
    if (padAction || pressed(PAD_BUTTONS.alt) || !isZero(padStick) || (aim !== null && !isZero(aim))) this.used('gamepad');
    const buttons = { action: keys.action || padAction, alt: keys.alt || pressed(PAD_BUTTONS.alt) };
    const steering = [...this.held].some((code) => code in KEYS);
    const stick = steering || pad === null ? keysToStick(this.held) : padStick;
    const pointer = this.mouse?.sample() ?? null;
    /** @type {DeviceSample} */
    const own = { stick, aim, buttons, pointer };
    return this.sources.reduce((sample, source) => combineSamples(sample, source.sample()), own);
  }

  /** @returns {DeviceKind} */
  kind() {
    return kindInUse(this.ownKind, this.ownUsedAtMs, this.sources);
  }

  dispose() {
    this.mouse?.dispose();
    window.removeEventListener('keydown', this.onKeyDown);
    window.removeEventListener('keyup', this.onKeyUp);
    window.removeEventListener('blur', this.onBlur);
  }
}
