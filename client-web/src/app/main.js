// The page: wires the connection, the lobby screen, the game session with the module of
// the lobby's game (looked up by name), device sampling (keyboard, gamepad, touch controls)
// at the server's tick rate, drawing each animation frame, the hint for the device in use
// and the net graph, and exposes a read-only `window.tickwire` for tests. It knows no game.

import { GAMES } from '../games/index.js';
import { Backoff } from '../sdk/backoff.js';
import { playHint } from '../sdk/controls.js';
import { FixedStep } from '../sdk/fixedstep.js';
import { DeviceSampler } from '../sdk/device.js';
import { Connection } from '../sdk/net.js';
import { NetStats } from '../sdk/netstats.js';
import { RECONNECT_STOPPED, REJOINED_AS_NEW, UNREACHABLE, cannotPlay, describeError, listUnavailable, reconnectingIn } from '../sdk/refusals.js';
import { continuesStay, requestAfterWelcome } from '../sdk/resume.js';
import { GameSession, openSession } from '../sdk/session.js';
import { Canvas } from './canvas.js';
import { refusalCause, refusalMark } from './lobby_rules.js';
import { NetGraph } from './netgraph.js';
import { TouchControls } from './touch.js';
import { Ui } from './ui.js';

const LOBBY_LIST_INTERVAL_MS = 2000;
/** While the server does not answer, the lobby list is asked for again after 2, 4, 8, 16,
 * 16... s, and no more once it has failed for a minute (the player may try again). */
const LOBBY_LIST_BACKOFF = { firstMs: 2000, maxMs: 16000, giveUpAfterMs: 60000 };
const HUD_INTERVAL_MS = 250;

/** A decoded server message or a request; see sdk/codec.js for the shapes. */
/** @typedef {{type: string} & Record<string, any>} Msg */

class App {
  constructor() {
    this.ui = new Ui();
    this.canvas = new Canvas(this.ui.canvas);
    this.touch = new TouchControls(/** @type {HTMLElement} */ (document.getElementById('stage')), /** @type {HTMLElement} */ (document.getElementById('touch-controls')));
    this.devices = new DeviceSampler([this.touch], this.ui.canvas);
    /** @type {import('../sdk/device.js').DeviceKind | null} the device the shown hint is for */
    this.hintKind = null;
    this.conn = new Connection({
      url: `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`,
      onMessage: (msg) => this.onMessage(msg),
      onStatus: (status) => this.onStatus(status),
    });
    /** @type {'lobby' | 'game'} */
    this.screen = 'lobby';
    /** The request to send once welcomed. */
    /** @type {Msg | null} */
    this.pending = null;
    /** The latest lobby request, which a refusal answers. */
    /** @type {Msg | null} */
    this.asked = null;
    /** Name the current connection said Hello with. */
    this.helloName = '';
    this.clientId = 0;
    this.tickRate = 30;
    /** @type {GameSession | null} */
    this.session = null;
    /** Whether the current connection is in the session's lobby (inputs may be sent). */
    this.inLobby = false;
    /** Join code of the lobby to return to after a reconnect whose resume was refused. */
    /** @type {string | null} */
    this.rejoinCode = null;
    /** Whether the server refused to give back the seat on the current connection. */
    this.resumeRefused = false;
    /** @type {FixedStep | null} */
    this.ticks = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.tickTimer = undefined;
    /** The net graph's history, for the current stay (a resume keeps it). */
    this.netStats = new NetStats();
    this.netGraph = new NetGraph();
    this.lastHudMs = 0;
    /** The entities as last drawn (others interpolated, the own one predicted), for tests. */
    /** @type {import('../sdk/game_api.js').SceneEntity[]} */
    this.drawn = [];
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.bannerTimer = undefined;
    /** The next lobby list fetch, while the lobby screen shows. */
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.listTimer = undefined;
    /** Counts lobby list fetches, so only the latest one's answer is shown. */
    this.listFetches = 0;
    this.listBackoff = new Backoff(LOBBY_LIST_BACKOFF);
    this.ui.bind({
      request: (req) => this.request(req),
      leave: () => this.leave(),
      retryList: () => {
        this.listBackoff.reset();
        this.pollLobbies();
      },
      retryConnection: () => this.conn.retry(),
    });
    // Closing or reloading the page leaves the lobby, rather than have the server hold the
    // seat for a reconnect that will not come (the others would see it reconnecting).
    window.addEventListener('pagehide', () => this.inLobby && this.conn.send({ type: 'LeaveLobby' }));
    this.pollLobbies();
    requestAnimationFrame((t) => this.frame(t));
  }

  /**
   * Fetches the lobby list now and, while the lobby screen shows, again every
   * LOBBY_LIST_INTERVAL_MS; while the server does not answer, after a backoff that gives up.
   */
  async pollLobbies() {
    clearTimeout(this.listTimer);
    const mine = ++this.listFetches;
    const fetchedAt = performance.now();
    if (this.ui.games.length === 0) await this.fetchGames();
    let status = 0;
    try {
      const res = await fetch('/api/lobbies', { cache: 'no-store' });
      if (!res.ok) {
        status = res.status;
        throw new Error(`HTTP ${res.status}`);
      }
      const lobbies = await res.json();
      if (mine !== this.listFetches) return;
      this.listBackoff.reset();
      this.ui.lobbyList(lobbies, fetchedAt);
      this.nextList(LOBBY_LIST_INTERVAL_MS);
    } catch {
      if (mine !== this.listFetches) return;
      const delay = this.listBackoff.failed(performance.now());
      this.ui.listDown((seconds) => listUnavailable(status, seconds), delay === null ? null : performance.now() + delay);
      if (delay !== null) this.nextList(delay);
    }
  }

  /** @param {number} delayMs */
  nextList(delayMs) {
    clearTimeout(this.listTimer);
    if (this.screen === 'lobby') this.listTimer = setTimeout(() => this.pollLobbies(), delayMs);
  }

  /** The server's games for the create form and quick join. */
  async fetchGames() {
    try {
      const res = await fetch('/api/games', { cache: 'no-store' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      this.ui.gameList(await res.json());
    } catch {
      // Shown by the lobby list, fetched next; the games are asked for again with it.
    }
  }

  /**
   * Sends a lobby request, first connecting (or reconnecting under a new name) if needed.
   * @param {Msg} req
   */
  request(req) {
    this.asked = req;
    this.ui.changed({ type: 'request' });
    this.ui.busy(true);
    const name = this.ui.playerName();
    if (this.conn.ready && name === this.helloName) {
      this.conn.send(req);
      return;
    }
    this.pending = req;
    if (!this.conn.wanted || name !== this.helloName) {
      this.helloName = name;
      this.conn.open(name);
    }
  }

  leave() {
    this.rejoinCode = null;
    if (this.conn.send({ type: 'LeaveLobby' })) return;
    // Not connected: stop reconnecting (a resume in flight would put the player back in the
    // lobby just left). The server gives the held seat up when its grace period ends.
    this.conn.close();
    this.toLobby('');
  }

  /** @param {import('../sdk/net.js').Status} status */
  onStatus(status) {
    clearInterval(this.bannerTimer);
    if (status.state === 'open') this.ui.changed({ type: 'server-up' });
    if (status.state !== 'lost' && status.state !== 'stopped') {
      this.ui.banner('');
      return;
    }
    this.stopTicking();
    this.inLobby = false;
    if (this.session !== null) this.session.offline = true;
    if (this.screen === 'lobby') {
      // No seat to keep: stop, and say why if a request was on its way (the lobby list
      // shows whether the server is up; the next request connects again).
      const asking = this.ui.isBusy;
      this.conn.close();
      this.pending = null;
      this.ui.busy(false);
      if (asking) this.ui.lobbyMessage(UNREACHABLE, { about: 'server' });
      return;
    }
    if (status.state === 'stopped') {
      this.ui.banner(RECONNECT_STOPPED, true);
      return;
    }
    const show = () => this.ui.banner(reconnectingIn(Math.max(0, Math.ceil((status.retryAt - performance.now()) / 1000))));
    show();
    this.bannerTimer = setInterval(show, 250);
  }

  /** @param {any} msg a decoded server message */
  onMessage(msg) {
    switch (msg.type) {
      case 'Welcome': {
        this.clientId = msg.client_id;
        this.tickRate = msg.tick_rate;
        const req = requestAfterWelcome({ resumed: this.conn.resumed, rejoinCode: this.rejoinCode, pending: this.pending, ticket: this.conn.takeTicket() });
        if (req !== null) this.conn.send(req);
        this.pending = null;
        break;
      }
      case 'Joined':
        this.startGame(msg);
        break;
      case 'Roster':
        this.session?.onRoster(msg);
        break;
      case 'Snapshot':
        if (this.session?.onSnapshot(msg, performance.now())) this.conn.send({ type: 'RequestFull' });
        break;
      case 'Left':
        // After a stay this page refused (see startGame) the lobby screen is already up.
        if (this.session !== null) this.toLobby('');
        break;
      case 'Error':
        this.onRefusal(msg);
        break;
    }
  }

  /** @param {{code: string, message: string}} error */
  onRefusal(error) {
    if (error.code === 'ResumeRefused') {
      // The seat was not held (any more): a Welcome follows and the lobby is joined anew.
      this.resumeRefused = true;
      return;
    }
    const words = describeError(error);
    const askedAs = this.helloName;
    if (!this.conn.ready) {
      // Refused before Welcome: the handshake failed, so this connection is of no use.
      this.conn.close();
      this.helloName = '';
      this.pending = null;
    }
    const inGame = this.screen === 'game';
    const lostLobby = inGame && (error.code === 'LobbyClosed' || error.code === 'UnknownLobby' || error.code === 'LobbyFull');
    if (lostLobby) {
      this.toLobby(error.code === 'LobbyClosed' ? words : `Could not get back into the lobby: ${words}`);
    } else if (inGame) {
      this.ui.gameMessage(words);
    } else {
      const now = performance.now();
      const marked = refusalMark(this.asked, error.code, now);
      if (marked !== null) this.ui.markLobby(marked.id, marked.mark);
      this.ui.busy(false);
      this.ui.lobbyMessage(words, refusalCause(this.asked, error.code, askedAs, now));
    }
  }

  /** @param {Msg} msg */
  startGame(msg) {
    const joined = /** @type {import('../sdk/session.js').Joined} */ (msg);
    if (this.session !== null && continuesStay(this.session.joined, joined, this.conn.resumed)) {
      this.session.resume(joined);
    } else {
      const session = openSession(joined, GAMES, this.clientId, this.tickRate);
      if (typeof session === 'string') {
        // A lobby this page cannot play: leave it and say why.
        this.conn.send({ type: 'LeaveLobby' });
        this.session = null;
        this.toLobby(cannotPlay(session));
        return;
      }
      this.session = session;
      this.netStats = new NetStats();
    }
    const refused = this.resumeRefused;
    this.resumeRefused = false;
    this.rejoinCode = joined.code;
    this.inLobby = true;
    this.screen = 'game';
    this.ui.busy(false);
    this.ui.lobbyMessage('');
    this.touch.setControls(this.session.game.controls);
    this.hintKind = null;
    this.ui.joined(joined);
    if (refused) this.ui.gameMessage(REJOINED_AS_NEW);
    this.ui.show('game');
    this.ticks = new FixedStep(1000 / this.tickRate);
    this.stopTicking();
    this.tick();
  }

  /** @param {string} message shown on the lobby screen */
  toLobby(message) {
    this.stopTicking();
    this.session = null;
    this.drawn = [];
    this.touch.setControls(null);
    this.inLobby = false;
    this.rejoinCode = null;
    this.resumeRefused = false;
    this.conn.forgetSeat();
    this.screen = 'lobby';
    this.ui.show('lobby');
    this.ui.busy(false);
    this.ui.lobbyMessage(message);
    this.listBackoff.reset();
    this.pollLobbies();
  }

  stopTicking() {
    clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
  }

  /** Sends one Input per due tick, then sleeps until the next one. */
  tick() {
    const { session, ticks } = this;
    if (session === null || ticks === null || !this.inLobby) return;
    const due = ticks.advance(performance.now());
    for (let i = 0; i < due; i++) this.conn.send(session.tick(this.devices.sample()));
    this.tickTimer = setTimeout(() => this.tick(), Math.max(1, ticks.untilNextMs()));
  }

  /** @param {number} nowMs */
  frame(nowMs) {
    requestAnimationFrame((t) => this.frame(t));
    const { session } = this;
    if (session === null) return;
    if (this.tickTimer === undefined && this.inLobby) this.tick();
    const now = performance.now();
    const alpha = this.ticks?.alpha(now) ?? 1;
    const kind = this.devices.kind();
    this.touch.show(kind === 'touch');
    this.touch.render();
    if (kind !== this.hintKind) {
      this.hintKind = kind;
      this.ui.hint(playHint(session.game.controls, session.game.hint, kind));
    }
    const view = session.view(now, alpha);
    this.drawn = view.entities;
    session.game.draw(this.canvas.surface(this.touch.reserved()), view);
    if (nowMs - this.lastHudMs >= HUD_INTERVAL_MS) {
      this.lastHudMs = nowMs;
      this.updateHud(session);
    }
    if (this.netStats.sample(now, () => this.netReadings(session))) this.netGraph.update(this.netStats);
  }

  /** @param {GameSession} session */
  updateHud(session) {
    const hud = session.hud();
    this.ui.hud(hud.lines, hud.scores);
  }

  /**
   * What the net graph samples: levels as they are now, counters as totals.
   * @param {GameSession} session
   * @returns {import('../sdk/netstats.js').NetReadings}
   */
  netReadings(session) {
    return {
      rttMs: this.conn.rttMs,
      jitterMs: session.interpolator.jitterMs,
      snapshotsMissed: session.gaps.missed,
      fullRequests: session.fullRequests,
      delayMs: session.interpolator.delayMs,
      corrections: session.predictor?.corrections ?? null,
      bytesDown: this.conn.bytesDown,
      bytesUp: this.conn.bytesUp,
    };
  }

  /** What the browser tests read. */
  state() {
    const s = this.session;
    const world = s?.store.latest();
    return {
      screen: this.screen,
      connected: this.conn.ready,
      clientId: this.clientId,
      game: s?.joined.schema.game ?? null,
      lobby: s?.joined.lobby.name ?? null,
      code: s?.joined.code ?? null,
      entity: s?.joined.entity ?? null,
      tick: s?.store.newest ?? 0,
      corrections: s?.predictor?.corrections ?? 0,
      rttMs: this.conn.rttMs,
      bufferDepth: s?.interpolator.bufferDepth ?? 0,
      own: s?.ownState() ?? null,
      entities: structuredClone(world?.entities ?? []),
      drawn: this.drawn.map((e) => ({ id: e.id, components: structuredClone(e.components) })),
      roster: s?.roster.players.map((p) => ({ ...p })) ?? [],
      hud: s?.hud() ?? { lines: [], scores: [] },
      resumed: this.conn.resumed,
      lobbyMessage: document.getElementById('lobby-message')?.textContent ?? '',
      net: { shown: this.netGraph.shown, draws: this.netGraph.draws, ...this.netStats.figures() },
    };
  }
}

const app = new App();
Object.defineProperty(window, 'tickwire', { value: Object.freeze({ state: () => app.state() }) });
