// The net graph panel in the HUD: the toggle (its button, N or F3; remembered between
// visits) and the canvas with one strip per series of the last 10 s, each with its label
// in plain words and its current figure. It draws only while shown, once per sample, sharp
// at any device pixel ratio; the canvas's label carries the same figures as text.

import { NET_SAMPLE_MS, NET_WINDOW_MS } from '../sdk/netstats.js';

const SHOWN_KEY = 'tickwire.netgraph';
/** Layout in CSS pixels: a row is its label over its figure and its strip. */
const TEXT_H = 14;
const STRIP_H = 18;
const FIGURE_W = 58;
const ROW_GAP = 7;
const ROW_H = TEXT_H + STRIP_H + ROW_GAP;
/** Two columns of rows once each can be this wide (the longest label fits). */
const MIN_COLUMN_W = 150;
const COLUMN_GAP = 14;
const FONT = '11px system-ui, -apple-system, "Segoe UI", sans-serif';
const SMALL_FONT = '10px system-ui, -apple-system, "Segoe UI", sans-serif';
const COLORS = { label: '#8b97b3', text: '#e3e8f4', warn: '#ffb347', strip: '#1b2436', timing: '#4f8cff', loss: '#ffb347', data: '#5ad1a0' };

/**
 * @typedef {import('../sdk/netstats.js').NetStats} NetStats
 * @typedef {import('../sdk/netstats.js').SeriesSummary} SeriesSummary
 * @typedef {keyof typeof import('../sdk/netstats.js').NET_SERIES} SeriesName
 * @typedef {{
 *   series: SeriesName, label: string, format: (v: number) => string, color: string,
 *   scale: number, warn: number, bars?: boolean,
 * }} Row
 * `scale`: the strip's top at least (so small noise looks small); `warn`: a current figure
 * from this on is shown in the warning colour; `bars`: counts drawn as bars, not a line.
 */

const ms = (/** @type {number} */ v) => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
const count = (/** @type {number} */ v) => String(v);
const perSecond = (/** @type {number} */ v) => `${Math.round(v)}/s`;
const bytesPerSecond = (/** @type {number} */ v) => (v < 1000 ? `${Math.round(v)} B/s` : `${(v / 1000).toFixed(v < 10000 ? 1 : 0)} kB/s`);

/** @type {Row[]} */
const ROWS = [
  { series: 'rttMs', label: 'Round trip', format: ms, color: COLORS.timing, scale: 50, warn: 150 },
  { series: 'jitterMs', label: 'Snapshot timing jitter', format: ms, color: COLORS.timing, scale: 10, warn: 25 },
  { series: 'snapshotsMissed', label: 'Snapshots missed', format: count, color: COLORS.loss, scale: 1, warn: 1, bars: true },
  { series: 'fullRequests', label: 'Full snapshots asked for', format: count, color: COLORS.loss, scale: 1, warn: 1, bars: true },
  { series: 'delayMs', label: 'Others drawn behind by', format: ms, color: COLORS.timing, scale: 150, warn: 300 },
  { series: 'corrections', label: 'Prediction corrections', format: perSecond, color: COLORS.loss, scale: 1, warn: 1, bars: true },
  { series: 'bytesDown', label: 'Download', format: bytesPerSecond, color: COLORS.data, scale: 2000, warn: Infinity },
  { series: 'bytesUp', label: 'Upload', format: bytesPerSecond, color: COLORS.data, scale: 2000, warn: Infinity },
];

/** localStorage, or nothing where the page may not use it. */
function storage() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

export class NetGraph {
  constructor() {
    this.root = $('netgraph');
    this.button = /** @type {HTMLButtonElement} */ ($('netgraph-toggle'));
    this.panel = $('netgraph-panel');
    this.canvas = /** @type {HTMLCanvasElement} */ ($('netgraph-canvas'));
    this.ctx = /** @type {CanvasRenderingContext2D} */ (this.canvas.getContext('2d'));
    /** The figures to draw, as last given. */
    /** @type {NetStats | null} */
    this.stats = null;
    /** How many times the graph was drawn (the browser tests check it rests while hidden). */
    this.draws = 0;
    this.shown = false;
    this.show(storage()?.getItem(SHOWN_KEY) === 'shown');
    this.button.addEventListener('click', () => {
      this.toggle();
      // Give the keys back to the game (Space would press the button again).
      this.button.blur();
    });
    window.addEventListener('keydown', (e) => {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLTextAreaElement;
      // Only on the game screen (the lobby screen hides it).
      const offScreen = this.root.closest('[hidden]') !== null;
      if (offScreen || e.repeat || e.ctrlKey || e.metaKey || e.altKey || !(e.code === 'F3' || (e.code === 'KeyN' && !typing))) return;
      e.preventDefault();
      this.toggle();
    });
  }

  toggle() {
    this.show(!this.shown);
    try {
      storage()?.setItem(SHOWN_KEY, this.shown ? 'shown' : 'hidden');
    } catch {
      // Not remembered (storage full or refused): it still toggles.
    }
    if (this.shown) this.panel.scrollIntoView({ block: 'nearest' });
  }

  /** @param {boolean} shown */
  show(shown) {
    this.shown = shown;
    this.panel.hidden = !shown;
    this.button.setAttribute('aria-expanded', String(shown));
    this.button.classList.toggle('on', shown);
    if (shown) {
      this.draw();
    } else {
      // Give the backing store back while nobody looks.
      this.canvas.width = 0;
      this.canvas.height = 0;
    }
  }

  /**
   * New figures (after each sample); drawn if the graph is shown.
   * @param {NetStats} stats
   */
  update(stats) {
    this.stats = stats;
    if (this.shown) this.draw();
  }

  draw() {
    const { stats, canvas, ctx } = this;
    const width = canvas.clientWidth;
    if (stats === null || !this.shown || width === 0) return;
    const columns = width >= 2 * MIN_COLUMN_W + COLUMN_GAP ? 2 : 1;
    const columnW = (width - (columns - 1) * COLUMN_GAP) / columns;
    const height = Math.ceil(ROWS.length / columns) * ROW_H - ROW_GAP;
    const dpr = window.devicePixelRatio || 1;
    const backingW = Math.round(width * dpr);
    const backingH = Math.round(height * dpr);
    if (canvas.width !== backingW || canvas.height !== backingH) {
      canvas.style.height = `${height}px`;
      canvas.width = backingW;
      canvas.height = backingH;
    }
    ctx.setTransform(backingW / width, 0, 0, backingH / height, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const now = stats.now ?? 0;
    /** @type {string[]} */
    const words = [];
    for (const [i, row] of ROWS.entries()) {
      const x = (i % columns) * (columnW + COLUMN_GAP);
      const y = Math.floor(i / columns) * ROW_H;
      const summary = stats.series(row.series);
      const figure = summary.current === null ? '–' : row.format(summary.current);
      words.push(`${row.label} ${figure}`);
      this.drawRow(row, summary, figure, x, y, columnW, now);
    }
    canvas.setAttribute('aria-label', `${words.join(', ')}.`);
    this.draws++;
  }

  /**
   * @param {Row} row @param {SeriesSummary} s @param {string} figure
   * @param {number} x @param {number} y @param {number} w @param {number} now
   */
  drawRow(row, s, figure, x, y, w, now) {
    const { ctx } = this;
    ctx.textBaseline = 'alphabetic';
    ctx.textAlign = 'left';
    ctx.font = FONT;
    ctx.fillStyle = COLORS.label;
    ctx.fillText(row.label, x, y + TEXT_H - 4, w);
    if (s.max !== null && s.max > 0) {
      // The strip's top, so a tall line is read as what it is; where it fits beside the label.
      const peak = `peak ${row.format(s.max)}`;
      const room = w - ctx.measureText(row.label).width - 8;
      ctx.font = SMALL_FONT;
      if (ctx.measureText(peak).width <= room) {
        ctx.textAlign = 'right';
        ctx.fillText(peak, x + w, y + TEXT_H - 4);
        ctx.textAlign = 'left';
      }
    }
    ctx.font = `600 ${FONT}`;
    ctx.fillStyle = s.current !== null && s.current >= row.warn ? COLORS.warn : COLORS.text;
    ctx.fillText(figure, x, y + TEXT_H + STRIP_H - 4, FIGURE_W - 4);

    const top = y + TEXT_H;
    x += FIGURE_W;
    w -= FIGURE_W;
    ctx.fillStyle = COLORS.strip;
    ctx.fillRect(x, top, w, STRIP_H);
    const scale = Math.max(row.scale, s.max ?? 0);
    const xAt = (/** @type {number} */ at) => x + w * (1 - (now - at) / NET_WINDOW_MS);
    const yOf = (/** @type {number} */ v) => top + STRIP_H - 1 - (Math.min(v, scale) / scale) * (STRIP_H - 3);
    ctx.fillStyle = row.color;
    ctx.strokeStyle = row.color;
    if (row.bars) {
      ctx.globalAlpha = 0.35;
      ctx.fillRect(x, top + STRIP_H - 1, w, 1);
      ctx.globalAlpha = 1;
      const barW = Math.max(1.5, w / (NET_WINDOW_MS / NET_SAMPLE_MS) - 0.5);
      for (const p of s.points) if (p.value !== null && p.value > 0) ctx.fillRect(xAt(p.at) - barW, yOf(p.value), barW, top + STRIP_H - yOf(p.value));
    } else {
      this.drawLine(s.points.map((p) => (p.value === null ? null : [xAt(p.at), yOf(p.value)])), top + STRIP_H);
    }
  }

  /**
   * A line through the points with the area under it; null points break it.
   * @param {([number, number] | null)[]} points @param {number} bottom
   */
  drawLine(points, bottom) {
    const { ctx } = this;
    /** @type {[number, number][][]} */
    const runs = [[]];
    for (const p of points) {
      if (p === null) runs.push([]);
      else /** @type {[number, number][]} */ (runs.at(-1)).push(p);
    }
    ctx.lineWidth = 1.25;
    ctx.lineJoin = 'round';
    for (const run of runs) {
      if (run.length === 0) continue;
      ctx.beginPath();
      for (const [i, [px, py]] of run.entries()) (i === 0 ? ctx.moveTo(px, py) : ctx.lineTo(px, py));
      if (run.length === 1) ctx.lineTo(run[0][0] + 1, run[0][1]);
      ctx.stroke();
      ctx.lineTo(/** @type {[number, number]} */ (run.at(-1))[0], bottom);
      ctx.lineTo(run[0][0], bottom);
      ctx.closePath();
      ctx.globalAlpha = 0.2;
      ctx.fill();
      ctx.globalAlpha = 1;
    }
  }
}
