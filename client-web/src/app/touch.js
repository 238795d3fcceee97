// The touch controls on the page: touches on the stage (the canvas's box) fed to the SDK's
// TouchPad, and the sticks and buttons drawn as DOM elements over the canvas. They show
// while touch is the device in use: from the start on a device whose main pointer is a
// finger, or once any touch happens, and not after a key or gamepad takes over.

import { TouchPad, layoutTouch } from '../sdk/touch.js';

/**
 * @typedef {import('../sdk/game_api.js').Controls} Controls
 * @typedef {import('../sdk/game_api.js').Insets} Insets
 * @typedef {import('../sdk/device.js').DeviceSample} DeviceSample
 * @typedef {import('../sdk/touch.js').TouchLayout} TouchLayout
 * @typedef {import('../sdk/device.js').DeviceSource} DeviceSource
 * @typedef {{base: HTMLElement, knob: HTMLElement}} StickEls
 */

const NONE = Object.freeze({ top: 0, right: 0, bottom: 0, left: 0 });
const IDLE = Object.freeze({ stick: Object.freeze({ x: 0, y: 0 }), aim: null, buttons: Object.freeze({ action: false, alt: false }) });

/** @param {string} className */
const div = (className) => Object.assign(document.createElement('div'), { className });

/** @implements {DeviceSource} */
export class TouchControls {
  /** @param {HTMLElement} stage the canvas's box; touches on it steer @param {HTMLElement} layer drawn over it */
  constructor(stage, layer) {
    this.stage = stage;
    this.layer = layer;
    /** @type {'touch'} */
    this.kind = 'touch';
    this.usedAtMs = matchMedia('(pointer: coarse)').matches ? 0 : -Infinity;
    /** @type {Controls | null} the stay's game controls; null off the game screen */
    this.controls = null;
    /** @type {TouchPad | null} */
    this.pad = null;
    this.shown = false;
    /** @type {StickEls | null} */
    this.moveEls = null;
    /** @type {StickEls | null} */
    this.aimEls = null;
    /** @type {Map<string, HTMLElement>} by button name */
    this.buttonEls = new Map();
    /** Touch controls own the stage's touches: no scrolling, zooming or mouse emulation. */
    const handle = (/** @type {(t: Touch, x: number, y: number) => void} */ each) => (/** @type {TouchEvent} */ e) => {
      e.preventDefault();
      this.usedAtMs = performance.now();
      const pad = this.currentPad();
      if (pad === null) return;
      // Touches the browser no longer reports (a touchend that never came) let go first.
      pad.keepOnly([...e.touches].map((t) => t.identifier));
      const rect = this.stage.getBoundingClientRect();
      for (const t of e.changedTouches) each(t, t.clientX - rect.left, t.clientY - rect.top);
      this.render();
    };
    const opts = { passive: false };
    stage.addEventListener('touchstart', handle((t, x, y) => this.pad?.start(t.identifier, x, y)), opts);
    stage.addEventListener('touchmove', handle((t, x, y) => this.pad?.move(t.identifier, x, y)), opts);
    const ended = handle((t) => this.pad?.end(t.identifier));
    stage.addEventListener('touchend', ended, opts);
    stage.addEventListener('touchcancel', ended, opts);
    // A touch anywhere (the HUD too) says the player uses touch.
    window.addEventListener('touchstart', () => (this.usedAtMs = performance.now()), { passive: true, capture: true });
    window.addEventListener('blur', () => this.pad?.clear());
    document.addEventListener('visibilitychange', () => document.hidden && this.pad?.clear());
  }

  /**
   * The game's controls for a stay (null when it ends): rebuilds the sticks and buttons
   * (the same ones again, as when a stay resumes, keep the thumbs on them).
   * @param {Controls | null} controls
   */
  setControls(controls) {
    if (controls === this.controls) return;
    this.controls = controls;
    this.pad = null;
    this.layer.replaceChildren();
    this.buttonEls.clear();
    this.moveEls = null;
    this.aimEls = null;
    if (controls === null) return;
    const stick = (/** @type {string} */ name) => {
      const base = div(`touch-stick ${name}`);
      const knob = div('touch-knob');
      base.append(knob);
      this.layer.append(base);
      return { base, knob };
    };
    this.moveEls = stick('move');
    if (controls.aim !== undefined) this.aimEls = stick('aim');
    for (const b of controls.buttons ?? []) {
      const el = div('touch-button');
      el.textContent = b.label;
      this.layer.append(el);
      this.buttonEls.set(b.button, el);
    }
  }

  /** The pad, laid out for the stage's size now. */
  currentPad() {
    if (this.controls === null) return null;
    const width = this.stage.clientWidth;
    const height = this.stage.clientHeight;
    if (this.pad === null || this.pad.layout.width !== width || this.pad.layout.height !== height) {
      const layout = layoutTouch(width, height, this.controls);
      if (this.pad === null) this.pad = new TouchPad(layout);
      else this.pad.layout = layout;
      this.place(layout);
    }
    return this.pad;
  }

  /** @param {TouchLayout} layout */
  place(layout) {
    for (const b of layout.buttons) {
      const el = this.buttonEls.get(b.button);
      if (el === undefined) continue;
      Object.assign(el.style, { left: `${b.x - b.r}px`, top: `${b.y - b.r}px`, width: `${2 * b.r}px`, height: `${2 * b.r}px` });
    }
    for (const els of [this.moveEls, this.aimEls]) {
      if (els === null) continue;
      Object.assign(els.base.style, { width: `${2 * layout.radius}px`, height: `${2 * layout.radius}px` });
    }
  }

  /** @param {boolean} shown whether touch is the device in use */
  show(shown) {
    this.shown = shown && this.controls !== null;
    this.layer.hidden = !this.shown;
    // The page's rules for touch play (no key names, room for the controls).
    this.stage.parentElement?.classList.toggle('touch', this.shown);
  }

  /** The bands the controls cover, for the game's drawing. @returns {Insets} */
  reserved() {
    return this.shown ? (this.currentPad()?.layout.reserved ?? NONE) : NONE;
  }

  /** @returns {DeviceSample} */
  sample() {
    return this.pad?.sample() ?? IDLE;
  }

  /** Moves the sticks' bases and knobs and lights the held buttons; each frame. */
  render() {
    const pad = this.shown ? this.currentPad() : null;
    if (pad === null) return;
    const { layout } = pad;
    const drawStick = (/** @type {StickEls | null} */ els, /** @type {'move' | 'aim'} */ role, /** @type {{x: number, y: number} | null} */ home) => {
      if (els === null || home === null) return;
      const t = pad.holder(role);
      const origin = t?.origin ?? home;
      const point = t?.point ?? home;
      els.base.style.transform = `translate(${origin.x - layout.radius}px, ${origin.y - layout.radius}px)`;
      els.knob.style.transform = `translate(${point.x - origin.x}px, ${point.y - origin.y}px)`;
      els.base.classList.toggle('active', t !== null);
    };
    drawStick(this.moveEls, 'move', layout.move);
    drawStick(this.aimEls, 'aim', layout.aim);
    for (const [button, el] of this.buttonEls) el.classList.toggle('held', pad.holder(/** @type {any} */ (button)) !== null);
  }
}
