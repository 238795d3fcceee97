// Drawing a lobby on a canvas: the arena fitted to the canvas, its walls, orbs, players
// (squares, the own one highlighted, those reconnecting faded) with names and scores.
// Positions are subunits (16 per world unit); the canvas backing store follows
// devicePixelRatio so it stays sharp.

const SUBUNITS_PER_UNIT = 16;
const GRID_UNITS = 100;
const MARGIN_PX = 12;
/** Opacity of a player whose connection is down (its seat held for a reconnect). */
const AWAY_ALPHA = 0.4;
/** Its label stays readable. */
const AWAY_LABEL_ALPHA = 0.75;

/**
 * @typedef {import('./game.js').SceneEntity} SceneEntity
 * @typedef {{width: number, height: number, walls: import('./movement.js').Aabb[], orb_radius: number}} MapData
 * @typedef {{map: MapData, halfSize: number, entities: SceneEntity[], names: Map<number, string>}} Scene
 */

/** A stable colour per client id; consecutive ids are a golden angle apart in hue. */
export function playerColor(/** @type {number} */ clientId) {
  return `hsl(${((clientId * 137.508) % 360).toFixed(1)} 70% 58%)`;
}

export class Renderer {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    this.cssWidth = 0;
    this.cssHeight = 0;
    this.dpr = 1;
  }

  /** Matches the backing store to the canvas' CSS size and the device pixel ratio. */
  fit() {
    const rect = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    if (rect.width === this.cssWidth && rect.height === this.cssHeight && dpr === this.dpr) return;
    this.cssWidth = rect.width;
    this.cssHeight = rect.height;
    this.dpr = dpr;
    this.canvas.width = Math.max(1, Math.round(rect.width * dpr));
    this.canvas.height = Math.max(1, Math.round(rect.height * dpr));
  }

  /** @param {Scene} scene */
  draw(scene) {
    this.fit();
    const { ctx, dpr } = this;
    const { map } = scene;
    const scale = Math.max(0.001, Math.min((this.cssWidth - 2 * MARGIN_PX) / map.width, (this.cssHeight - 2 * MARGIN_PX) / map.height));
    const ox = (this.cssWidth - map.width * scale) / 2;
    const oy = (this.cssHeight - map.height * scale) / 2;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.cssWidth, this.cssHeight);
    /** Subunits to CSS pixels. */
    const sx = (/** @type {number} */ x) => ox + x * scale;
    const sy = (/** @type {number} */ y) => oy + y * scale;

    ctx.fillStyle = '#141a26';
    ctx.fillRect(sx(0), sy(0), map.width * scale, map.height * scale);
    this.drawGrid(map, sx, sy);
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

    for (const e of scene.entities) if (e.kind === 'Orb') this.drawOrb(sx(e.pos[0]), sy(e.pos[1]), Math.max(2, map.orb_radius * scale));
    const players = scene.entities.filter((e) => e.kind === 'Player').sort((a, b) => Number(a.own) - Number(b.own));
    const half = scene.halfSize * scale;
    for (const p of players) this.drawPlayer(p, sx(p.pos[0]), sy(p.pos[1]), half, scene.names.get(p.owner) ?? `#${p.owner}`);
  }

  /**
   * @param {MapData} map @param {(x: number) => number} sx @param {(y: number) => number} sy
   */
  drawGrid(map, sx, sy) {
    const { ctx } = this;
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
  }

  /** @param {number} x @param {number} y @param {number} r */
  drawOrb(x, y, r) {
    const { ctx } = this;
    const glow = ctx.createRadialGradient(x, y, 0, x, y, r * 2);
    glow.addColorStop(0, 'rgba(255, 214, 90, 0.45)');
    glow.addColorStop(1, 'rgba(255, 214, 90, 0)');
    ctx.fillStyle = glow;
    ctx.beginPath();
    ctx.arc(x, y, r * 2, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = '#ffd65a';
    ctx.beginPath();
    ctx.arc(x, y, r, 0, Math.PI * 2);
    ctx.fill();
  }

  /**
   * @param {SceneEntity} p @param {number} x @param {number} y @param {number} half
   * @param {string} name
   */
  drawPlayer(p, x, y, half, name) {
    const { ctx } = this;
    // A player whose connection is down is drawn faded, in a dashed outline, and says so.
    ctx.save();
    if (p.away) ctx.globalAlpha = AWAY_ALPHA;
    ctx.fillStyle = playerColor(p.owner);
    ctx.fillRect(x - half, y - half, 2 * half, 2 * half);
    if (p.own || p.away) {
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = 2;
      if (p.away) ctx.setLineDash([4, 3]);
      ctx.strokeRect(x - half - 2, y - half - 2, 2 * half + 4, 2 * half + 4);
      ctx.setLineDash([]);
    }
    ctx.font = `${p.own ? 'bold ' : ''}12px system-ui, sans-serif`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    ctx.lineWidth = 3;
    ctx.strokeStyle = 'rgba(10, 12, 20, 0.85)';
    if (p.away) ctx.globalAlpha = AWAY_LABEL_ALPHA;
    const label = `${name} · ${p.score}${p.away ? ' · reconnecting…' : ''}`;
    ctx.strokeText(label, x, y - half - 5);
    ctx.fillStyle = p.own ? '#ffffff' : '#d6deef';
    ctx.fillText(label, x, y - half - 5);
    ctx.restore();
  }
}
