// The server dashboard page (/dashboard): wires the live stream to the figures, the charts
// and the lobby table, and the token form to the admin actions. Read-only until the
// operator enters the admin token; then each lobby has a Close button and each player a
// Kick button, and refusals show in words.

import { closeLobby, kickPlayer, savedToken, saveToken } from './admin.js';
import { drawBars, drawLines } from './charts.js';
import { bound, bytes, count, ms, plural, rate, uptime } from './format.js';
import { header, LobbyTable } from './lobbies.js';
import { DashboardStream } from './stream.js';

/** @typedef {import('./types.js').Snapshot} Snapshot */

/** Seconds of traffic the line chart shows. */
const TRAFFIC_SECONDS = 120;
const OUT_COLOR = '#4f8cff';
const IN_COLOR = '#3ecf8e';
const SLOW_COLOR = '#ff6b6b';

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const canvas = (/** @type {string} */ id) => /** @type {HTMLCanvasElement} */ ($(id));
const input = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ ($(id));

class Dashboard {
  constructor() {
    /** @type {Snapshot | null} */
    this.snapshot = null;
    /** Bytes per second, oldest first. @type {{in: number[], out: number[]}} */
    this.traffic = { in: [], out: [] };
    /** Who set the message line. @type {'stream' | 'user'} */
    this.messageFrom = 'user';
    const table = /** @type {HTMLTableElement} */ ($('lobby-table'));
    header(table.createTHead());
    this.lobbies = new LobbyTable(table.tBodies[0], {
      onClose: (lobby) => void this.closeLobby(lobby),
      onKick: (lobby, player) => void this.kick(lobby, player),
    });
    this.stream = new DashboardStream({
      url: '/api/dashboard/stream',
      token: savedToken,
      onSnapshot: (s) => this.show(s),
      onStatus: (s) => this.status(s),
    });
    $('token-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const token = input('token').value.trim();
      if (!token) return;
      input('token').value = '';
      saveToken(token);
      this.message('');
      this.stream.start();
      this.showToken();
    });
    $('token-forget').addEventListener('click', () => {
      saveToken(null);
      this.message('');
      this.stream.start();
      this.showToken();
    });
    window.addEventListener('resize', () => this.drawCharts());
    this.showToken();
    this.stream.start();
  }

  /** @param {import('./stream.js').StreamStatus} s */
  status(s) {
    const live = $('live');
    live.dataset.state = s.state;
    const retry = 'retryInMs' in s && s.retryInMs !== null ? ` Retrying in ${Math.ceil(s.retryInMs / 1000)} s.` : '';
    $('live-text').textContent = { connecting: 'Connecting…', live: 'Live', lost: 'Reconnecting…', refused: 'Refused' }[s.state];
    if (s.state === 'live') {
      if (this.messageFrom === 'stream') this.message('');
    } else if (s.state === 'lost') {
      this.message(`The connection to the server dropped.${retry}`, 'error', 'stream');
    } else if (s.state === 'refused') {
      if (s.status === 401 && savedToken() !== null) {
        // A token the server does not know: forget it and look without one.
        saveToken(null);
        this.showToken();
        this.message(`The server refused that token: ${s.message}`, 'error', 'user');
        this.stream.start();
        return;
      }
      const what = s.status === 401 ? 'This dashboard needs a token: enter the metrics or admin token below.' : `The server refused the dashboard (${s.status}): ${s.message}.${retry}`;
      this.message(what, 'error', 'stream');
    }
  }

  /** Shows the token form, or the admin bar once a token is kept. */
  showToken() {
    const token = savedToken();
    const admin = this.snapshot?.access === 'admin';
    $('token-form').hidden = token !== null;
    $('token-set').hidden = token === null;
    $('token-status').textContent = admin ? 'Admin actions on.' : 'Token in use: view only.';
    $('reason-row').hidden = !admin;
    const actionsOff = this.snapshot !== null && !this.snapshot.node.admin_actions;
    $('token-note').textContent = actionsOff
      ? 'This server has no admin token: its dashboard is read-only (start it with --admin-token to allow closing lobbies and kicking players).'
      : 'Enter the admin token to close lobbies and kick players (kept for this tab only).';
    $('token-note').hidden = admin;
  }

  /**
   * Shows (or with '' hides) the message line.
   * @param {string} text @param {'error' | 'notice'} [kind]
   * @param {'stream' | 'user'} [from] the stream's own messages go once it is live again
   */
  message(text, kind = 'error', from = 'user') {
    this.messageFrom = from;
    const el = $('dash-message');
    el.textContent = text;
    el.hidden = text === '';
    el.className = kind === 'error' ? 'message' : 'message notice';
  }

  /** @param {Snapshot} s */
  show(s) {
    const wasAdmin = this.snapshot?.access === 'admin';
    this.snapshot = s;
    const n = s.node;
    if (wasAdmin !== (s.access === 'admin') || this.lobbies.entries.size === 0) this.showToken();
    $('node-line').textContent = `${n.id} · v${n.version} · ${n.tick_rate} Hz · up ${uptime(n.uptime_s)} · ${plural(n.dashboard_viewers, 'viewer', 'viewers')}`;
    this.figure('connections', count(n.connections), n.connections, '');
    this.figure('players', count(n.player_count), n.player_count, `in ${plural(n.lobby_count, 'lobby', 'lobbies')}`);
    this.figure('bytes_out', bytes(n.rates.bytes_out, '/s'), n.rates.bytes_out, `${rate(n.rates.messages_out)} frames/s`);
    this.figure('bytes_in', bytes(n.rates.bytes_in, '/s'), n.rates.bytes_in, `${rate(n.rates.messages_in)} frames/s`);
    this.figure('missed_ticks', count(n.totals.missed_ticks), n.totals.missed_ticks, perSecond(n.rates.missed_ticks), n.rates.missed_ticks > 0);
    this.figure('snapshots_dropped', count(n.totals.snapshots_dropped), n.totals.snapshots_dropped, perSecond(n.rates.snapshots_dropped), n.rates.snapshots_dropped > 0);
    this.figure('inputs_dropped', count(n.totals.inputs_dropped), n.totals.inputs_dropped, perSecond(n.rates.inputs_dropped), n.rates.inputs_dropped > 0);
    const h = n.histograms;
    const ticks = h.tick.reduce((a, b) => a + b, 0);
    this.figure('tick_p99', ms(h.tick_p99_ms), h.tick_p99_ms ?? 0, `p50 ${ms(h.tick_p50_ms)}`);
    const span = `${Math.round(h.window_s)} s`;
    $('tick-summary').textContent = ticks === 0 ? `no ticks in the last ${span}` : `${count(ticks)} ticks in ${span} · p50 ≤ ${ms(h.tick_p50_ms)} · p99 ≤ ${ms(h.tick_p99_ms)}`;
    $('encode-summary').textContent = h.encode_p99_ms === null ? '' : `p99 ≤ ${ms(h.encode_p99_ms)}`;
    for (const [key, v] of /** @type {const} */ ([['in', n.rates.bytes_in], ['out', n.rates.bytes_out]])) {
      const series = this.traffic[key];
      series.push(v);
      if (series.length > TRAFFIC_SECONDS) series.shift();
    }
    $('lobby-count').textContent = n.lobbies.length < n.lobby_count ? `(${count(n.lobbies.length)} of ${count(n.lobby_count)} shown)` : `(${count(n.lobby_count)})`;
    $('no-lobbies').hidden = n.lobbies.length > 0;
    this.lobbies.render(n.lobbies, s.access === 'admin');
    this.drawCharts();
  }

  /**
   * @param {string} key @param {string} text @param {number} value @param {string} note
   * @param {boolean} [alarm] whether to show it as a problem
   */
  figure(key, text, value, note, alarm = false) {
    const tile = /** @type {HTMLElement} */ (document.querySelector(`[data-figure="${key}"]`));
    tile.dataset.value = String(value);
    tile.classList.toggle('alarm', alarm);
    /** @type {HTMLElement} */ (tile.querySelector('.tile-value')).textContent = text;
    /** @type {HTMLElement} */ (tile.querySelector('.tile-note')).textContent = note;
  }

  drawCharts() {
    const s = this.snapshot;
    if (s === null) return;
    const h = s.node.histograms;
    const labels = [...h.bounds_ms.map(bound), `>${bound(h.bounds_ms[h.bounds_ms.length - 1])}`];
    const budgetMs = 1000 / s.node.tick_rate;
    // Buckets past the tick's whole budget are drawn as trouble.
    const slow = (/** @type {number} */ i) => (i > 0 && (h.bounds_ms[i - 1] ?? Infinity) >= budgetMs ? SLOW_COLOR : null);
    drawBars(canvas('tick-chart'), { values: h.tick, labels, group: 3, color: OUT_COLOR, highlight: slow });
    drawBars(canvas('encode-chart'), { values: h.encode, labels, group: 3, color: '#a78bfa', highlight: slow });
    drawLines(canvas('traffic-chart'), {
      series: [
        { values: this.traffic.in, color: IN_COLOR },
        { values: this.traffic.out, color: OUT_COLOR },
      ],
      capacity: TRAFFIC_SECONDS,
      least: 1000,
      format: (v) => bytes(v, '/s'),
    });
  }

  /** @param {import('./types.js').Lobby} lobby */
  async closeLobby(lobby) {
    const token = savedToken();
    if (token === null) return;
    const name = lobby.name ?? `private lobby #${lobby.id}`;
    if (!window.confirm(`Close "${name}"? Its ${plural(lobby.players, 'player is', 'players are')} sent back to the lobby screen.`)) return;
    const outcome = await closeLobby(lobby.id, token, input('reason').value.trim());
    this.report(outcome, `Closed "${name}".`);
  }

  /** @param {import('./types.js').Lobby} lobby @param {import('./types.js').Player} player */
  async kick(lobby, player) {
    const token = savedToken();
    if (token === null) return;
    if (!window.confirm(`Remove ${player.name} from "${lobby.name ?? `lobby #${lobby.id}`}"?`)) return;
    const outcome = await kickPlayer(lobby.id, player.client, token, input('reason').value.trim());
    this.report(outcome, `Removed ${player.name} from the lobby.`);
  }

  /** @param {import('./admin.js').Outcome} outcome @param {string} done */
  report(outcome, done) {
    if (outcome.ok) this.message(done, 'notice');
    else this.message(`Refused${outcome.status ? ` (${outcome.status})` : ''}: ${outcome.message}`);
  }
}

/** @param {number} n */
const perSecond = (n) => (n > 0 ? `+${rate(n)}/s now` : 'none now');

new Dashboard();
