// The movement step, a bit-exact port of protocol/src/movement.rs `step`: integer
// subunits, truncating division, walls resolved in map order, x before y. The server
// simulates with the Rust original; the client predicts with this copy. An engine helper:
// any game whose players move this way may call it from its prediction step.

/** Full-scale stick deflection on one axis. */
export const STICK_MAX = 127;

/**
 * @typedef {[number, number]} Vec2
 * @typedef {{x: number, y: number, vx: number, vy: number}} Body a position and a velocity, in subunits
 * @typedef {{x: number, y: number}} Stick
 * @typedef {{max_speed: number, accel: number, half_size: number}} MoveParams
 * @typedef {{min: Vec2, max: Vec2}} Aabb
 * @typedef {{width: number, height: number, walls: Aabb[]}} MoveMap
 */

/**
 * Largest r with r * r <= n. `Math.sqrt` is correctly rounded, which makes its floor exact
 * for every n below 2^52; sums of two squared stick axes are far below that.
 * @param {number} n
 */
export function isqrt(n) {
  return Math.floor(Math.sqrt(Math.max(n, 0)));
}

/** @param {number} v @param {number} lo @param {number} hi */
const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);

/** @param {number} a @param {number} b integer division truncating toward zero */
const div = (a, b) => Math.trunc(a / b);

/**
 * The velocity the stick asks for: proportional to deflection, capped at `maxSpeed`.
 * @param {Stick} input @param {number} maxSpeed
 * @returns {Vec2}
 */
export function targetVelocity(input, maxSpeed) {
  const x = clamp(input.x, -STICK_MAX, STICK_MAX);
  const y = clamp(input.y, -STICK_MAX, STICK_MAX);
  const len = Math.max(isqrt(x * x + y * y), STICK_MAX);
  return [div(Math.imul(maxSpeed, x), len), div(Math.imul(maxSpeed, y), len)];
}

/** @param {Vec2} pos @param {number} half @param {Aabb} w */
function overlaps(pos, half, w) {
  return pos[0] - half < w.max[0] && pos[0] + half > w.min[0] && pos[1] - half < w.max[1] && pos[1] + half > w.min[1];
}

/**
 * Pushes the body out of every wall it overlaps along one axis, zeroing that axis' velocity.
 * @param {Vec2} pos @param {Vec2} vel @param {0 | 1} axis @param {number} half @param {Aabb[]} walls
 */
function resolveWalls(pos, vel, axis, half, walls) {
  for (const w of walls) {
    if (!overlaps(pos, half, w)) continue;
    if (vel[axis] > 0) pos[axis] = w.min[axis] - half;
    else if (vel[axis] < 0) pos[axis] = w.max[axis] + half;
    vel[axis] = 0;
  }
}

/**
 * Advances a body by one input; returns the new body and leaves the argument untouched.
 * @param {Body} body @param {Stick} input @param {MoveParams} params @param {MoveMap} map
 * @returns {Body}
 */
export function step(body, input, params, map) {
  const target = targetVelocity(input, params.max_speed);
  const half = params.half_size;
  /** @type {Vec2} */
  const vel = [
    body.vx + clamp(target[0] - body.vx, -params.accel, params.accel),
    body.vy + clamp(target[1] - body.vy, -params.accel, params.accel),
  ];
  /** @type {Vec2} */
  const pos = [body.x, body.y];
  const size = [map.width, map.height];
  for (const axis of /** @type {const} */ ([0, 1])) {
    pos[axis] += vel[axis];
    resolveWalls(pos, vel, axis, half, map.walls);
  }
  for (const axis of /** @type {const} */ ([0, 1])) {
    if (pos[axis] < half || pos[axis] > size[axis] - half) {
      pos[axis] = clamp(pos[axis], half, size[axis] - half);
      vel[axis] = 0;
    }
  }
  return { x: pos[0], y: pos[1], vx: vel[0], vy: vel[1] };
}
