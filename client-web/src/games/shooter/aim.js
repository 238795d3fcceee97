// The shooter's input as pure logic: which way the player aims (a deflected aim stick, else
// the mouse relative to the own player on the screen, else the last aim), when it pulls the
// trigger (the action button, a mouse button, or an aim stick pushed past FIRE_DEFLECTION),
// the gun's cooldown as the server counts it (in inputs, so the shot is drawn at once only
// when the server will fire it), the moment seen as input fields, and where a ray stops at
// the walls (the server's rule: the first wall face or the map's edge, or the gun's range).

import { STICK_MAX } from '../../sdk/movement.js';

/**
 * @typedef {{x: number, y: number}} Vec
 * @typedef {import('../../sdk/device.js').DeviceSample} DeviceSample
 * @typedef {import('../../sdk/interpolation.js').SeenAt} SeenAt
 * @typedef {import('../../sdk/movement.js').MoveMap} MoveMap
 */

/** An aim stick pushed this far (share of full) fires as well as aims. */
export const FIRE_DEFLECTION = 0.8;
/** Length of the aim as sent: the input's range is -32767..32767 per axis. */
export const AIM_LENGTH = 30000;

/**
 * The aim (a screen direction, map axes: the camera does not turn) and whether the trigger
 * is pulled. `ownAt` is the own player on the screen (CSS pixels) as last drawn.
 * @param {DeviceSample} sample @param {Vec | null} ownAt @param {Vec | null} lastAim
 * @returns {{aim: Vec | null, fire: boolean}}
 */
export function aimFrom(sample, ownAt, lastAim) {
  const stick = sample.aim;
  const pointer = sample.pointer ?? null;
  let aim = lastAim;
  let fire = sample.buttons.action || (pointer?.down ?? false);
  if (stick !== null && (stick.x !== 0 || stick.y !== 0)) {
    aim = stick;
    if (Math.hypot(stick.x, stick.y) >= FIRE_DEFLECTION * STICK_MAX) fire = true;
  } else if (pointer !== null && ownAt !== null && (pointer.x !== ownAt.x || pointer.y !== ownAt.y)) {
    aim = { x: pointer.x - ownAt.x, y: pointer.y - ownAt.y };
  }
  return { aim, fire };
}

/**
 * The aim as the input's integer fields, AIM_LENGTH long; 0 0 for none.
 * @param {Vec | null} aim
 */
export function aimFields(aim) {
  const len = aim === null ? 0 : Math.hypot(aim.x, aim.y);
  if (aim === null || len === 0) return { aim_x: 0, aim_y: 0 };
  return { aim_x: Math.round((aim.x / len) * AIM_LENGTH), aim_y: Math.round((aim.y / len) * AIM_LENGTH) };
}

/**
 * The moment seen as the input's fields (0 0 when not firing or before the first frame).
 * @param {SeenAt | null} seen @param {boolean} fire
 */
export const seenFields = (seen, fire) => (fire && seen !== null ? { seen_tick: seen.tick, seen_fraction: seen.fraction } : { seen_tick: 0, seen_fraction: 0 });

/** The gun's cooldown, counted per input as the server counts it. */
export class Trigger {
  /** @param {number} cooldown inputs from one shot to the next */
  constructor(cooldown) {
    this.cooldown = cooldown;
    this.left = 0;
  }

  /**
   * One input: whether the server will fire it (trigger pulled, alive, gun ready, an aim).
   * @param {boolean} pulled @param {boolean} alive @param {boolean} aimed
   */
  input(pulled, alive, aimed) {
    if (this.left > 0) this.left--;
    if (!pulled || !alive || !aimed || this.left > 0) return false;
    this.left = this.cooldown;
    return true;
  }
}

/**
 * How far a ray from `from` along `dir` (any length) goes before the first wall, the map's
 * edge or `range`, subunits.
 * @param {MoveMap} map @param {Vec} from @param {Vec} dir @param {number} range
 */
export function rayLength(map, from, dir, range) {
  const len = Math.hypot(dir.x, dir.y);
  if (len === 0) return 0;
  const d = { x: dir.x / len, y: dir.y / len };
  let nearest = range;
  for (const axis of /** @type {const} */ (['x', 'y'])) {
    const size = axis === 'x' ? map.width : map.height;
    if (d[axis] > 0) nearest = Math.min(nearest, (size - from[axis]) / d[axis]);
    else if (d[axis] < 0) nearest = Math.min(nearest, (0 - from[axis]) / d[axis]);
  }
  for (const w of map.walls) {
    let enter = 0;
    let exit = Infinity;
    let misses = false;
    for (const [i, axis] of /** @type {const} */ ([[0, 'x'], [1, 'y']])) {
      const [lo, hi] = [w.min[i], w.max[i]];
      if (d[axis] === 0) {
        if (from[axis] < lo || from[axis] >= hi) misses = true;
        continue;
      }
      const a = (lo - from[axis]) / d[axis];
      const b = (hi - from[axis]) / d[axis];
      enter = Math.max(enter, Math.min(a, b));
      exit = Math.min(exit, Math.max(a, b));
    }
    if (!misses && enter <= exit && enter < nearest) nearest = enter;
  }
  return Math.max(0, nearest);
}
