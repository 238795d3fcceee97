// Figures in words for the dashboard: byte rates, durations, counts and bucket bounds.

const GROUPED = new Intl.NumberFormat('en-US');

/** A count with thousands separators. @param {number} n */
export const count = (n) => GROUPED.format(Math.round(n));

/**
 * Bytes (per second with `suffix`), in B, kB or MB with about three significant digits.
 * @param {number} n @param {string} [suffix]
 */
export function bytes(n, suffix = '') {
  const units = ['B', 'kB', 'MB', 'GB'];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  const digits = i === 0 || Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2;
  return `${n.toFixed(digits)} ${units[i]}${suffix}`;
}

/**
 * Milliseconds, in µs below one millisecond.
 * @param {number | null | undefined} value
 */
export function ms(value) {
  if (value === null || value === undefined) return '–';
  if (value < 1) return `${(value * 1000).toFixed(value < 0.01 ? 1 : 0)} µs`;
  return `${value.toFixed(value < 10 ? 2 : 1)} ms`;
}

/** A bucket's upper bound, short: 10µ, 2.5m, 1s. @param {number} boundMs */
export function bound(boundMs) {
  if (boundMs >= 1000) return `${boundMs / 1000}s`;
  if (boundMs >= 1) return `${boundMs}ms`;
  return `${Math.round(boundMs * 1000)}µs`;
}

/** A per-second rate: whole when large, one decimal when small. @param {number} n */
export const rate = (n) => (n >= 10 || n === 0 ? count(n) : n.toFixed(1));

/** How long the server has been up. @param {number} seconds */
export function uptime(seconds) {
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** "1 lobby", "2 lobbies". @param {number} n @param {string} one @param {string} many */
export const plural = (n, one, many) => `${count(n)} ${n === 1 ? one : many}`;
