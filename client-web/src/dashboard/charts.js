// The dashboard's two kinds of chart, drawn on canvas: bars over histogram buckets, and
// lines of recent per-second rates. Each draw fits the canvas to its CSS size and the
// device pixel ratio first, so charts stay sharp and follow the layout.

const AXIS = '#8b97b3';
const GRID = '#2a3550';
const FONT = '11px system-ui, -apple-system, "Segoe UI", sans-serif';

/**
 * Fits the backing store to the canvas's CSS box; returns a context drawing in CSS pixels.
 * @param {HTMLCanvasElement} canvas
 */
function fit(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const width = Math.max(1, canvas.clientWidth);
  const height = Math.max(1, canvas.clientHeight);
  const w = Math.round(width * dpr);
  const h = Math.round(height * dpr);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.font = FONT;
  return { ctx, width, height };
}

/**
 * Bars, one per bucket, each labelled below; where labels would crowd, only every
 * `group`-th is (buckets that come in groups, such as 1-2.5-5 per decade).
 * @param {HTMLCanvasElement} canvas
 * @param {{values: number[], labels: string[], color: string, group?: number, highlight?: (i: number) => string | null}} chart
 */
export function drawBars(canvas, { values, labels, color, group = 1, highlight = () => null }) {
  const { ctx, width, height } = fit(canvas);
  const left = 34;
  const bottom = height - 18;
  const top = 8;
  // Even steps, so the middle grid line is a whole count too.
  const max = niceCeil(Math.max(2, ...values), [2, 4, 10]);
  grid(ctx, { left, top, bottom, width, max, label: short, gap: 5 });
  const slot = (width - left) / values.length;
  const gap = Math.min(4, slot * 0.2);
  const labelEvery = slot >= 40 ? 1 : group * Math.ceil(40 / (slot * group));
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  values.forEach((v, i) => {
    const x = left + i * slot;
    const h = (v / max) * (bottom - top);
    ctx.fillStyle = highlight(i) ?? color;
    if (v > 0) ctx.fillRect(x + gap / 2, bottom - Math.max(h, 1), slot - gap, Math.max(h, 1));
    if (i % labelEvery === 0) {
      ctx.fillStyle = AXIS;
      ctx.fillText(labels[i] ?? '', x + slot / 2, bottom + 4);
    }
  });
}

/**
 * Lines of the same length (oldest first), scaled together from zero.
 * @param {HTMLCanvasElement} canvas
 * `least` is the smallest top of the scale.
 * @param {{series: {values: number[], color: string}[], capacity: number, least: number, format: (v: number) => string}} chart
 */
export function drawLines(canvas, { series, capacity, least, format }) {
  const { ctx, width, height } = fit(canvas);
  const left = 62;
  const bottom = height - 6;
  const top = 8;
  const max = niceCeil(Math.max(least, ...series.flatMap((s) => s.values)), [1, 2, 5]);
  grid(ctx, { left, top, bottom, width, max, label: format, gap: 6 });
  const step = (width - left) / Math.max(1, capacity - 1);
  ctx.lineWidth = 2;
  ctx.lineJoin = 'round';
  for (const { values, color } of series) {
    const offset = capacity - values.length;
    ctx.strokeStyle = color;
    ctx.beginPath();
    values.forEach((v, i) => {
      const x = left + (offset + i) * step;
      const y = bottom - (v / max) * (bottom - top);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
  ctx.lineWidth = 1;
}

/**
 * The smallest `step × 10^k` (for a step of `steps`) at least `v`: a round top for a scale.
 * @param {number} v @param {number[]} steps ascending, within one decade
 */
function niceCeil(v, steps) {
  const decade = 10 ** Math.floor(Math.log10(v));
  for (const scale of [decade / 10, decade, decade * 10]) {
    const step = steps.find((s) => s * scale >= v);
    if (step !== undefined) return step * scale;
  }
  return v;
}

/** An axis count, short: 950, 1.2k, 34k, 1.5M. @param {number} n */
function short(n) {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return `${Math.round(n)}`;
}

/**
 * The scale's three grid lines (zero, half, top), each labelled left of the plot.
 * @param {CanvasRenderingContext2D} ctx
 * @param {{left: number, top: number, bottom: number, width: number, max: number, label: (v: number) => string, gap: number}} plot
 */
function grid(ctx, { left, top, bottom, width, max, label, gap }) {
  ctx.strokeStyle = GRID;
  ctx.fillStyle = AXIS;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const frac of [0, 0.5, 1]) {
    const y = bottom - frac * (bottom - top);
    ctx.beginPath();
    ctx.moveTo(left, Math.round(y) + 0.5);
    ctx.lineTo(width, Math.round(y) + 0.5);
    ctx.stroke();
    ctx.fillText(label(max * frac), left - gap, y);
  }
}
