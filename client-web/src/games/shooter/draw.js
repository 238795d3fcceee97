// Drawing the shooter through its camera: the floor and grid of the part of the map in
// view, walls, players (health bars over the living, a cross where the dead fell), tracers,
// the own aim line, hit and kill markers, the own health bar, the flash when hit, the
// respawn countdown, a kill feed and a minimap of the whole map.

import { labelSpot } from '../topdown/view.js';
import { HIT, HURT_MS, MARKER_MS, TRACER_MS } from './feed.js';

/**
 * @typedef {{x: number, y: number}} Vec
 * @typedef {import('../../sdk/game_api.js').Surface} Surface
 * @typedef {import('../../sdk/movement.js').MoveMap} MoveMap
 * @typedef {import('./camera.js').Camera} Camera
 * @typedef {import('./feed.js').Feed} Feed
 */

const GRID = 100 * 16;
const MINIMAP_PX = 120;

/**
 * The floor, grid, edge and walls in view.
 * @param {Surface} surface @param {Camera} cam @param {MoveMap} map
 */
export function drawWorld(surface, cam, map) {
  const { ctx, width, height } = surface;
  ctx.fillStyle = '#07090f';
  ctx.fillRect(0, 0, width, height);
  const v = cam.visible;
  const a = cam.at(Math.max(0, v.minX), Math.max(0, v.minY));
  const b = cam.at(Math.min(map.width, v.maxX), Math.min(map.height, v.maxY));
  ctx.fillStyle = '#141a26';
  ctx.fillRect(a.x, a.y, b.x - a.x, b.y - a.y);
  ctx.strokeStyle = 'rgba(140, 160, 200, 0.08)';
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let x = Math.ceil(Math.max(0, v.minX) / GRID) * GRID; x <= Math.min(map.width, v.maxX); x += GRID) {
    const p = Math.round(cam.at(x, 0).x) + 0.5;
    ctx.moveTo(p, a.y);
    ctx.lineTo(p, b.y);
  }
  for (let y = Math.ceil(Math.max(0, v.minY) / GRID) * GRID; y <= Math.min(map.height, v.maxY); y += GRID) {
    const p = Math.round(cam.at(0, y).y) + 0.5;
    ctx.moveTo(a.x, p);
    ctx.lineTo(b.x, p);
  }
  ctx.stroke();
  const edgeA = cam.at(0, 0);
  const edgeB = cam.at(map.width, map.height);
  ctx.strokeStyle = '#5b6b8c';
  ctx.lineWidth = 3;
  ctx.strokeRect(edgeA.x, edgeA.y, edgeB.x - edgeA.x, edgeB.y - edgeA.y);
  ctx.fillStyle = '#3a4660';
  ctx.strokeStyle = '#6a7aa0';
  ctx.lineWidth = 1;
  for (const w of map.walls) {
    if (w.max[0] < v.minX || w.min[0] > v.maxX || w.max[1] < v.minY || w.min[1] > v.maxY) continue;
    const p = cam.at(w.min[0], w.min[1]);
    const q = cam.at(w.max[0], w.max[1]);
    ctx.fillRect(p.x, p.y, q.x - p.x, q.y - p.y);
    ctx.strokeRect(p.x + 0.5, p.y + 0.5, q.x - p.x - 1, q.y - p.y - 1);
  }
}

/**
 * A player: a circle in its colour with a facing notch, its health bar and name above; the
 * own one outlined; a dead one a faded cross.
 * @param {Surface} surface @param {Vec} at @param {number} r
 * @param {{color: string, name: string, own: boolean, away: boolean, health: number, maxHealth: number, alive: boolean}} p
 */
export function drawFighter(surface, at, r, p) {
  const { ctx } = surface;
  ctx.save();
  if (!p.alive) {
    ctx.globalAlpha = 0.45;
    ctx.strokeStyle = p.color;
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.moveTo(at.x - r, at.y - r);
    ctx.lineTo(at.x + r, at.y + r);
    ctx.moveTo(at.x + r, at.y - r);
    ctx.lineTo(at.x - r, at.y + r);
    ctx.stroke();
    ctx.restore();
    return;
  }
  if (p.away) ctx.globalAlpha = 0.4;
  ctx.fillStyle = p.color;
  ctx.beginPath();
  ctx.arc(at.x, at.y, r, 0, Math.PI * 2);
  ctx.fill();
  if (p.own) {
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(at.x, at.y, r + 3, 0, Math.PI * 2);
    ctx.stroke();
  }
  const barW = Math.max(24, 2.4 * r);
  const barY = at.y - r - 8;
  ctx.fillStyle = 'rgba(10, 12, 20, 0.8)';
  ctx.fillRect(at.x - barW / 2 - 1, barY - 1, barW + 2, 5);
  const share = Math.max(0, Math.min(1, p.health / p.maxHealth));
  ctx.fillStyle = share > 0.5 ? '#5ad27a' : share > 0.25 ? '#f2c14e' : '#ff5a5a';
  ctx.fillRect(at.x - barW / 2, barY, barW * share, 3);
  ctx.font = `${p.own ? 'bold ' : ''}12px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  const text = `${p.name}${p.away ? ' · reconnecting…' : ''}`;
  const spot = labelSpot(surface, at.x, at.y, r + 10, ctx.measureText(text).width);
  ctx.textBaseline = spot.below ? 'top' : 'bottom';
  ctx.lineWidth = 3;
  ctx.strokeStyle = 'rgba(10, 12, 20, 0.85)';
  ctx.strokeText(text, spot.x, spot.y);
  ctx.fillStyle = p.own ? '#ffffff' : '#d6deef';
  ctx.fillText(text, spot.x, spot.y);
  ctx.restore();
}

/**
 * The own aim: a dashed line to where a shot would stop, and a ring there.
 * @param {CanvasRenderingContext2D} ctx @param {Vec} from @param {Vec} to @param {boolean} ready
 */
export function drawAim(ctx, from, to, ready) {
  ctx.save();
  ctx.strokeStyle = ready ? 'rgba(255, 255, 255, 0.45)' : 'rgba(255, 255, 255, 0.2)';
  ctx.lineWidth = 1.5;
  ctx.setLineDash([6, 6]);
  ctx.beginPath();
  ctx.moveTo(from.x, from.y);
  ctx.lineTo(to.x, to.y);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.beginPath();
  ctx.arc(to.x, to.y, 6, 0, Math.PI * 2);
  ctx.stroke();
  ctx.restore();
}

/**
 * Tracers fading out, and markers where the own shots hit (a cross) or killed (a ring).
 * @param {CanvasRenderingContext2D} ctx @param {Camera} cam @param {Feed} feed @param {number} nowMs
 */
export function drawShots(ctx, cam, feed, nowMs) {
  ctx.save();
  ctx.lineCap = 'round';
  for (const t of feed.tracers) {
    const fade = 1 - (nowMs - t.at) / TRACER_MS;
    const a = cam.at(t.from.x, t.from.y);
    const b = cam.at(t.to.x, t.to.y);
    ctx.strokeStyle = t.own ? `rgba(255, 240, 160, ${fade})` : `rgba(255, 150, 120, ${0.8 * fade})`;
    ctx.lineWidth = t.own ? 3 : 2;
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  }
  for (const m of feed.markers) {
    const k = (nowMs - m.at) / MARKER_MS;
    const p = cam.at(m.to.x, m.to.y);
    ctx.globalAlpha = 1 - k;
    ctx.strokeStyle = m.outcome === HIT ? '#ffffff' : '#ff4d4d';
    ctx.lineWidth = 3;
    const s = 7 + 6 * k;
    ctx.beginPath();
    ctx.moveTo(p.x - s, p.y - s);
    ctx.lineTo(p.x - s / 2, p.y - s / 2);
    ctx.moveTo(p.x + s, p.y - s);
    ctx.lineTo(p.x + s / 2, p.y - s / 2);
    ctx.moveTo(p.x - s, p.y + s);
    ctx.lineTo(p.x - s / 2, p.y + s / 2);
    ctx.moveTo(p.x + s, p.y + s);
    ctx.lineTo(p.x + s / 2, p.y + s / 2);
    ctx.stroke();
    ctx.font = 'bold 13px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.fillStyle = ctx.strokeStyle;
    ctx.fillText(m.outcome === HIT ? 'HIT' : 'KILL', p.x, p.y - s - 6);
  }
  ctx.restore();
}

/**
 * What is over the world: the red flash when hit, the own health bar, the respawn
 * countdown, the kill feed and the minimap, clear of the touch controls.
 * @param {Surface} surface @param {Feed} feed @param {number} nowMs
 * @param {{health: number, maxHealth: number, respawnSeconds: number | null, killedBy: string}} own
 */
export function drawOverlay(surface, feed, nowMs, own) {
  const { ctx, width, height, reserved } = surface;
  ctx.save();
  const hurt = 1 - (nowMs - feed.hurtAt) / HURT_MS;
  if (hurt > 0) {
    const g = ctx.createRadialGradient(width / 2, height / 2, Math.min(width, height) * 0.3, width / 2, height / 2, Math.max(width, height) * 0.7);
    g.addColorStop(0, 'rgba(255, 40, 40, 0)');
    g.addColorStop(1, `rgba(255, 40, 40, ${0.45 * hurt})`);
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, width, height);
  }
  const cx = reserved.left + (width - reserved.left - reserved.right) / 2;
  const bottom = height - reserved.bottom - 14;
  const barW = Math.min(220, width - reserved.left - reserved.right - 40);
  ctx.fillStyle = 'rgba(10, 12, 20, 0.75)';
  ctx.fillRect(cx - barW / 2 - 2, bottom - 14, barW + 4, 16);
  const share = Math.max(0, Math.min(1, own.health / own.maxHealth));
  ctx.fillStyle = share > 0.5 ? '#5ad27a' : share > 0.25 ? '#f2c14e' : '#ff5a5a';
  ctx.fillRect(cx - barW / 2, bottom - 12, barW * share, 12);
  ctx.font = 'bold 11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = '#ffffff';
  ctx.fillText(`${Math.max(0, own.health)} / ${own.maxHealth}`, cx, bottom - 6);
  if (own.respawnSeconds !== null) {
    const mid = reserved.top + (height - reserved.top - reserved.bottom) / 2;
    ctx.fillStyle = 'rgba(10, 12, 20, 0.7)';
    ctx.fillRect(0, mid - 44, width, 88);
    ctx.fillStyle = '#ff6b6b';
    ctx.font = 'bold 24px system-ui, sans-serif';
    ctx.fillText(own.killedBy === '' ? 'You died' : `Killed by ${own.killedBy}`, width / 2, mid - 14);
    ctx.fillStyle = '#ffffff';
    ctx.font = '16px system-ui, sans-serif';
    ctx.fillText(`Respawn in ${own.respawnSeconds} s`, width / 2, mid + 18);
  }
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.font = '12px system-ui, sans-serif';
  feed.kills.forEach((k, i) => {
    const text = `${k.killer} ✕ ${k.victim}`;
    const y = reserved.top + 10 + i * 18;
    ctx.fillStyle = 'rgba(10, 12, 20, 0.6)';
    ctx.fillRect(8, y - 2, ctx.measureText(text).width + 10, 17);
    ctx.fillStyle = k.own ? '#ffd65a' : '#d6deef';
    ctx.fillText(text, 13, y);
  });
  ctx.restore();
}

/**
 * The whole map small in the top right corner: walls, the view's box, the own player and
 * the others.
 * @param {Surface} surface @param {Camera} cam @param {MoveMap} map
 * @param {{x: number, y: number, own: boolean, color: string}[]} dots
 */
export function drawMinimap(surface, cam, map, dots) {
  const { ctx, width, reserved } = surface;
  const size = Math.min(MINIMAP_PX, width / 4);
  const k = size / Math.max(map.width, map.height);
  const ox = width - reserved.right - size - 10;
  const oy = reserved.top + 10;
  ctx.save();
  ctx.fillStyle = 'rgba(10, 12, 20, 0.7)';
  ctx.fillRect(ox - 2, oy - 2, map.width * k + 4, map.height * k + 4);
  ctx.fillStyle = '#3a4660';
  for (const w of map.walls) ctx.fillRect(ox + w.min[0] * k, oy + w.min[1] * k, Math.max(1, (w.max[0] - w.min[0]) * k), Math.max(1, (w.max[1] - w.min[1]) * k));
  const v = cam.visible;
  ctx.strokeStyle = 'rgba(255, 255, 255, 0.35)';
  ctx.lineWidth = 1;
  ctx.strokeRect(ox + Math.max(0, v.minX) * k, oy + Math.max(0, v.minY) * k, (Math.min(map.width, v.maxX) - Math.max(0, v.minX)) * k, (Math.min(map.height, v.maxY) - Math.max(0, v.minY)) * k);
  for (const d of dots) {
    ctx.fillStyle = d.own ? '#ffffff' : d.color;
    ctx.beginPath();
    ctx.arc(ox + d.x * k, oy + d.y * k, d.own ? 3 : 2, 0, Math.PI * 2);
    ctx.fill();
  }
  ctx.restore();
}
