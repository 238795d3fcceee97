// Drawing helpers for top-down games on a rectangular map with walls (the shape of the
// engine's movement step): the map fitted to the canvas with its grid and walls, players
// as squares or circles (the own one outlined, those reconnecting faded and dashed) with a
// label above. Positions are subunits (16 per world unit).

const SUBUNITS_PER_UNIT = 16;
const GRID_UNITS = 100;
const MARGIN_PX = 12;
/** Opacity of a player whose connection is down (its seat held for a reconnect). */
const AWAY_ALPHA = 0.4;
/** Its label stays readable. */
const AWAY_LABEL_ALPHA = 0.75;

/**
 * @typedef {import('../../sdk/game_api.js').Surface} Surface
 * @typedef {import('../../sdk/movement.js').MoveMap} MoveMap
 * @typedef {{scale: number, sx: (x: number) => number, sy: (y: number) => number}} MapTransform
 * @typedef {{own: boolean, away: boolean, shape?: 'square' | 'circle', ring?: string}} PlayerLook
 */

/**
 * Clears the surface and draws the map fitted into it; returns subunits -> CSS pixels.
 * @param {Surface} surface @param {MoveMap} map
 * @returns {MapTransform}
 */
export function drawMap({ ctx, width, height }, map) {
  const scale = Math.max(0.001, Math.min((width - 2 * MARGIN_PX) / map.width, (height - 2 * MARGIN_PX) / map.height));
  const ox = (width - map.width * scale) / 2;
  const oy = (height - map.height * scale) / 2;
  const sx = (/** @type {number} */ x) => ox + x * scale;
  const sy = (/** @type {number} */ y) => oy + y * scale;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = '#141a26';
  ctx.fillRect(sx(0), sy(0), map.width * scale, map.height * scale);

  const step = GRID_UNITS * SUBUNITS_PER_UNIT;
  ctx.strokeStyle = 'rgba(140, 160, 200, 0.08)';
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let x = step; x < map.width; x += step) {
    ctx.moveTo(Math.round(sx(x)) + 0.5, sy(0));
    ctx.lineTo(Math.round(sx(x)) + 0.5, sy(map.height));
  }
  for (let y = step; y < map.height; y += step) {
    ctx.moveTo(sx(0), Math.round(sy(y)) + 0.5);
    ctx.lineTo(sx(map.width), Math.round(sy(y)) + 0.5);
  }
  ctx.stroke();
  ctx.strokeStyle = '#5b6b8c';
  ctx.lineWidth = 2;
  ctx.strokeRect(sx(0), sy(0), map.width * scale, map.height * scale);

  ctx.fillStyle = '#3a4660';
  ctx.strokeStyle = '#56668a';
  ctx.lineWidth = 1;
  for (const w of map.walls) {
    const [x, y, wd, ht] = [sx(w.min[0]), sy(w.min[1]), (w.max[0] - w.min[0]) * scale, (w.max[1] - w.min[1]) * scale];
    ctx.fillRect(x, y, wd, ht);
    ctx.strokeRect(x + 0.5, y + 0.5, wd - 1, ht - 1);
  }
  return { scale, sx, sy };
}

/**
 * A player's body at (x, y) CSS pixels, `half` its half size, with `label` above it.
 * @param {CanvasRenderingContext2D} ctx @param {number} x @param {number} y @param {number} half
 * @param {string} color @param {string} label @param {PlayerLook} look
 */
export function drawPlayer(ctx, x, y, half, color, label, look) {
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
  ctx.font = `${look.own ? 'bold ' : ''}12px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  ctx.lineWidth = 3;
  ctx.strokeStyle = 'rgba(10, 12, 20, 0.85)';
  if (look.away) ctx.globalAlpha = AWAY_LABEL_ALPHA;
  const text = `${label}${look.away ? ' · reconnecting…' : ''}`;
  ctx.strokeText(text, x, y - half - 6);
  ctx.fillStyle = look.own ? '#ffffff' : '#d6deef';
  ctx.fillText(text, x, y - half - 6);
  ctx.restore();
}

/**
 * The scene's players, the own one last (drawn on top).
 * @template {{own: boolean}} T
 * @param {T[]} entities
 */
export const ownLast = (entities) => [...entities].sort((a, b) => Number(a.own) - Number(b.own));
