// The shooter's camera: the map is several screens wide, so the view follows the own player,
// centred in the part of the canvas the touch controls leave clear, at a scale that shows
// about VIEW_SIDE_UNITS square of map whatever the screen's shape, never more than the
// server's `view` a side (the most a client needs to see; the gun reaches no further).

const SUBUNITS_PER_UNIT = 16;
/** The side of the square of map the screen shows the area of. */
export const VIEW_SIDE_UNITS = 1300;

/**
 * @typedef {{x: number, y: number}} Vec
 * @typedef {import('../../sdk/game_api.js').Surface} Surface
 * @typedef {{scale: number, centre: Vec, screen: Vec,
 *   at: (x: number, y: number) => Vec, toMap: (x: number, y: number) => Vec,
 *   visible: {minX: number, minY: number, maxX: number, maxY: number}}} Camera
 * `scale` is CSS pixels per subunit; `centre` the map point (subunits) drawn at `screen`;
 * `visible` the map's box on the canvas, subunits.
 */

/**
 * The camera for a surface, looking at `centre` (subunits); `view` is the most map a side
 * it may show, subunits.
 * @param {Pick<Surface, 'width' | 'height' | 'reserved'>} surface @param {Vec} centre @param {number} view
 * @returns {Camera}
 */
export function cameraFor({ width, height, reserved }, centre, view) {
  const side = VIEW_SIDE_UNITS * SUBUNITS_PER_UNIT;
  const scale = Math.max(Math.sqrt((width * height) / (side * side)), Math.max(width, height) / view, 1e-6);
  const clearW = Math.max(1, width - reserved.left - reserved.right);
  const clearH = Math.max(1, height - reserved.top - reserved.bottom);
  const screen = { x: reserved.left + clearW / 2, y: reserved.top + clearH / 2 };
  const at = (/** @type {number} */ x, /** @type {number} */ y) => ({ x: screen.x + (x - centre.x) * scale, y: screen.y + (y - centre.y) * scale });
  const toMap = (/** @type {number} */ x, /** @type {number} */ y) => ({ x: centre.x + (x - screen.x) / scale, y: centre.y + (y - screen.y) / scale });
  const visible = { minX: centre.x - screen.x / scale, minY: centre.y - screen.y / scale, maxX: centre.x + (width - screen.x) / scale, maxY: centre.y + (height - screen.y) / scale };
  return { scale, centre, screen, at, toMap, visible };
}
