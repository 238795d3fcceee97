// Drawing helpers for top-down games on a rectangular map with walls (the shape of the
// engine's movement step): the map fitted to the canvas with its grid and walls, players
// as squares or circles (the own one outlined, those reconnecting faded and dashed) with a
// label above, kept inside the canvas. Positions are subunits (16 per world unit).
//
// The map fills as much of the canvas as it can, clear of the bands touch controls cover
// where that costs little. On a canvas whose shape suits it better turned (a landscape map
// on a phone held upright) it is drawn turned a quarter clockwise; a game then turns its
// sticks with `screenToMap` so that pushing right moves right on the screen.

const SUBUNITS_PER_UNIT = 16;
const GRID_UNITS = 100;
const MARGIN_PX = 12;
/** The map keeps clear of the touch controls unless that shrinks it below this share. */
const CLEAR_OF_CONTROLS = 0.7;
/** Turning the map must make it this much bigger to be worth it. */
const TURN_GAIN = 1.2;
/** Opacity of a player whose connection is down (its seat held for a reconnect). */
const AWAY_ALPHA = 0.4;
/** Its label stays readable. */
const AWAY_LABEL_ALPHA = 0.75;
const LABEL_PX = 12;
const LABEL_GAP_PX = 6;
const EDGE_PX = 2;

/**
 * @typedef {import('../../sdk/game_api.js').Surface} Surface
 * @typedef {import('../../sdk/movement.js').MoveMap} MoveMap
 * @typedef {{x: number, y: number}} Vec
 * @typedef {{x: number, y: number, width: number, height: number}} Rect
 * @typedef {{scale: number, turned: boolean, rect: Rect, at: (x: number, y: number) => Vec}} MapTransform
 * `at` maps subunits to CSS pixels; `rect` is the map's box on the canvas.
 * @typedef {{own: boolean, away: boolean, shape?: 'square' | 'circle', ring?: string}} PlayerLook
 */

/**
 * Where the map goes on the surface, turned or not: the largest fit, clear of the reserved
 * bands unless that makes it much smaller, centred in what is clear of them.
 * @param {Pick<Surface, 'width' | 'height' | 'reserved'>} surface @param {{width: number, height: number}} map
 * @returns {MapTransform}
 */
export function fitMap({ width, height, reserved }, map) {
  const clear = { x: reserved.left, y: reserved.top, width: width - reserved.left - reserved.right, height: height - reserved.top - reserved.bottom };
  const fit = (/** @type {number} */ w, /** @type {number} */ h, /** @type {number} */ mw, /** @type {number} */ mh) =>
    Math.max(0.001, Math.min((w - 2 * MARGIN_PX) / mw, (h - 2 * MARGIN_PX) / mh));
  const scaleFor = (/** @type {boolean} */ turned) => {
    const [mw, mh] = turned ? [map.height, map.width] : [map.width, map.height];
    const whole = fit(width, height, mw, mh);
    const clearFit = fit(clear.width, clear.height, mw, mh);
    return clearFit >= CLEAR_OF_CONTROLS * whole ? clearFit : whole;
  };
  const turned = scaleFor(true) > TURN_GAIN * scaleFor(false);
  const scale = scaleFor(turned);
  const w = (turned ? map.height : map.width) * scale;
  const h = (turned ? map.width : map.height) * scale;
  /** Centred in the clear part, then kept on the canvas (centred if it cannot be). */
  const place = (/** @type {number} */ start, /** @type {number} */ span, /** @type {number} */ size, /** @type {number} */ total) => {
    const lo = MARGIN_PX;
    const hi = total - MARGIN_PX - size;
    return hi < lo ? (total - size) / 2 : Math.min(hi, Math.max(lo, start + (span - size) / 2));
  };
  const ox = place(clear.x, clear.width, w, width);
  const oy = place(clear.y, clear.height, h, height);
  const at = turned
    ? (/** @type {number} */ x, /** @type {number} */ y) => ({ x: ox + (map.height - y) * scale, y: oy + x * scale })
    : (/** @type {number} */ x, /** @type {number} */ y) => ({ x: ox + x * scale, y: oy + y * scale });
  return { scale, turned, rect: { x: ox, y: oy, width: w, height: h }, at };
}

/**
 * A stick (or any direction) as pushed on the screen, in the map's axes as drawn.
 * @param {Vec} v @param {MapTransform | null} shown the map as last drawn
 * @returns {Vec}
 */
export const screenToMap = (v, shown) => (shown?.turned ? { x: v.y, y: 0 - v.x } : v);

/**
 * Clears the surface and draws the map fitted into it (see `fitMap`).
 * @param {Surface} surface @param {MoveMap} map
 * @returns {MapTransform}
 */
export function drawMap(surface, map) {
  const { ctx, width, height } = surface;
  const t = fitMap(surface, map);
  const { rect, at } = t;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = '#141a26';
  ctx.fillRect(rect.x, rect.y, rect.width, rect.height);

  const px = (/** @type {number} */ v) => Math.round(v) + 0.5;
  const step = GRID_UNITS * SUBUNITS_PER_UNIT;
  ctx.strokeStyle = 'rgba(140, 160, 200, 0.08)';
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let x = step; x < map.width; x += step) {
    const [a, b] = [at(x, 0), at(x, map.height)];
    if (t.turned) {
      ctx.moveTo(a.x, px(a.y));
      ctx.lineTo(b.x, px(b.y));
    } else {
      ctx.moveTo(px(a.x), a.y);
      ctx.lineTo(px(b.x), b.y);
    }
  }
  for (let y = step; y < map.height; y += step) {
    const [a, b] = [at(0, y), at(map.width, y)];
    if (t.turned) {
      ctx.moveTo(px(a.x), a.y);
      ctx.lineTo(px(b.x), b.y);
    } else {
      ctx.moveTo(a.x, px(a.y));
      ctx.lineTo(b.x, px(b.y));
    }
  }
  ctx.stroke();
  ctx.strokeStyle = '#5b6b8c';
  ctx.lineWidth = 2;
  ctx.strokeRect(rect.x, rect.y, rect.width, rect.height);

  ctx.fillStyle = '#3a4660';
  ctx.strokeStyle = '#56668a';
  ctx.lineWidth = 1;
  for (const w of map.walls) {
    const [a, b] = [at(w.min[0], w.min[1]), at(w.max[0], w.max[1])];
    const [x, y, wd, ht] = [Math.min(a.x, b.x), Math.min(a.y, b.y), Math.abs(b.x - a.x), Math.abs(b.y - a.y)];
    ctx.fillRect(x, y, wd, ht);
    ctx.strokeRect(x + 0.5, y + 0.5, wd - 1, ht - 1);
  }
  return t;
}

/**
 * Where a label `textWidth` wide goes for a body at (x, y) of half size `half`: centred
 * above it, moved sideways to stay on the surface, and below it if there is no room above.
 * Returns the label's bottom centre, or its top centre when it goes `below`.
 * @param {{width: number, height: number}} surface @param {number} x @param {number} y @param {number} half @param {number} textWidth
 * @returns {{x: number, y: number, below: boolean}}
 */
export function labelSpot({ width, height }, x, y, half, textWidth) {
  const halfText = textWidth / 2 + EDGE_PX;
  const lx = halfText * 2 >= width ? width / 2 : Math.min(width - halfText, Math.max(halfText, x));
  const above = y - half - LABEL_GAP_PX;
  if (above - LABEL_PX - EDGE_PX >= 0 || y + half + LABEL_GAP_PX + LABEL_PX > height) return { x: lx, y: above, below: false };
  return { x: lx, y: y + half + LABEL_GAP_PX, below: true };
}

/**
 * A player's body at (x, y) CSS pixels, `half` its half size, with `label` above it.
 * @param {Surface} surface @param {number} x @param {number} y @param {number} half
 * @param {string} color @param {string} label @param {PlayerLook} look
 */
export function drawPlayer(surface, x, y, half, color, label, look) {
  const { ctx } = surface;
  ctx.save();
  if (look.away) ctx.globalAlpha = AWAY_ALPHA;
  ctx.fillStyle = color;
  const path = new Path2D();
  if (look.shape === 'circle') path.arc(x, y, half, 0, Math.PI * 2);
  else path.rect(x - half, y - half, 2 * half, 2 * half);
  ctx.fill(path);
  if (look.ring !== undefined) {
    ctx.strokeStyle = look.ring;
    ctx.lineWidth = 4;
    ctx.stroke(path);
  }
  if (look.own || look.away) {
    const outline = new Path2D();
    if (look.shape === 'circle') outline.arc(x, y, half + 4, 0, Math.PI * 2);
    else outline.rect(x - half - 3, y - half - 3, 2 * half + 6, 2 * half + 6);
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 2;
    if (look.away) ctx.setLineDash([4, 3]);
    ctx.stroke(outline);
    ctx.setLineDash([]);
  }
  ctx.font = `${look.own ? 'bold ' : ''}${LABEL_PX}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.lineWidth = 3;
  ctx.strokeStyle = 'rgba(10, 12, 20, 0.85)';
  if (look.away) ctx.globalAlpha = AWAY_LABEL_ALPHA;
  const text = `${label}${look.away ? ' · reconnecting…' : ''}`;
  const spot = labelSpot(surface, x, y, half, ctx.measureText(text).width);
  ctx.textBaseline = spot.below ? 'top' : 'bottom';
  ctx.strokeText(text, spot.x, spot.y);
  ctx.fillStyle = look.own ? '#ffffff' : '#d6deef';
  ctx.fillText(text, spot.x, spot.y);
  ctx.restore();
}

/**
 * The scene's players, the own one last (drawn on top).
 * @template {{own: boolean}} T
 * @param {T[]} entities
 */
export const ownLast = (entities) => [...entities].sort((a, b) => Number(a.own) - Number(b.own));
