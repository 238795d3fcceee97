// The page's DOM: the lobby screen (name, an invite link's one-click join, the lobby list
// with each lobby's game, map and host, join by code, the create form with the server's
// games and their maps, quick join into the chosen game), the game screen's HUD (lobby name,
// join code, the game's lines, scoreboard, leave, the hint for the device in use) and the
// connection banner. Forms are checked here and refusals are shown in words; each
// lobby-screen message clears once its cause is fixed (lobby_rules.js decides). What the
// requests do is up to the handlers given to `bind`. Nothing here knows any game.

import { MAX_LOBBY_NAME_CHARS, MAX_NAME_CHARS, MAX_PLAYERS, MIN_PLAYERS, isValidName } from '../sdk/limits.js';
import { describeLobby, inviteCode, inviteOffer, inviteUsed, marksAfterList, stillStands } from './lobby_rules.js';

const NAME_KEY = 'tickwire.name';
const GAME_MESSAGE_MS = 6000;
/** How often a countdown on the lobby screen is redrawn. */
const COUNTDOWN_MS = 250;

/**
 * @typedef {import('../sdk/session.js').LobbyInfo} LobbyInfo
 * @typedef {import('./lobby_rules.js').Cause} Cause
 * @typedef {import('./lobby_rules.js').Change} Change
 * @typedef {import('./lobby_rules.js').Mark} Mark
 * @typedef {{name: string, title: string, description: string, maps: string[], default_map: string}} GameInfo
 * @typedef {{type: string} & Record<string, any>} Request
 * @typedef {{request: (req: Request) => void, leave: () => void, retryList: () => void, retryConnection: () => void}} Handlers
 */

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const input = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ ($(id));
const select = (/** @type {string} */ id) => /** @type {HTMLSelectElement} */ ($(id));

/** @param {string} value @param {string} text */
const option = (value, text) => Object.assign(document.createElement('option'), { value, textContent: text });

/** Sets `el`'s text and shows it, or hides it when `text` is empty. */
function say(/** @type {HTMLElement} */ el, /** @type {string} */ text) {
  el.textContent = text;
  el.hidden = text === '';
}

/** Whole seconds from now until `at` (performance.now() ms), at least 0. */
const secondsUntil = (/** @type {number} */ at) => Math.max(0, Math.ceil((at - performance.now()) / 1000));

export class Ui {
  constructor() {
    this.canvas = /** @type {HTMLCanvasElement} */ ($('view'));
    /** @type {string | undefined} join code of the lobby being played */
    this.code = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.gameMessageTimer = undefined;
    /** The server's games, as last fetched. */
    /** @type {GameInfo[]} */
    this.games = [];
    /** What the lobby-screen message is about; null while none shows. */
    /** @type {Cause | null} */
    this.messageCause = null;
    /** The lobby list as last fetched; null before the first. */
    /** @type {LobbyInfo[] | null} */
    this.lobbies = null;
    /** Listed lobbies a refusal has just marked full or closed, by id. */
    /** @type {Map<number, Mark>} */
    this.marks = new Map();
    /** Whether a lobby request is on its way (the lobby buttons are disabled). */
    this.isBusy = false;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.listTimer = undefined;
    /** The join code of the invite link the page was opened with, until it is used. */
    this.invite = inviteCode(location.search);
    input('player-name').value = localStorage.getItem(NAME_KEY) ?? '';
    input('join-code').value = this.invite ?? '';
    this.showInvite();
    if (this.invite !== null) (this.nameIsValid() ? $('invite-join') : $('player-name')).focus();
  }

  /** @param {Handlers} handlers */
  bind(handlers) {
    /** Runs `make` when the player's name is valid, sending the request it builds. */
    const withName = (/** @type {() => Request | null} */ make) => {
      const name = this.playerName();
      if (!this.nameIsValid()) {
        this.lobbyMessage(`Pick a name first: 1 to ${MAX_NAME_CHARS} characters, no control characters.`, { about: 'name', name });
        input('player-name').focus();
        return;
      }
      localStorage.setItem(NAME_KEY, name);
      const req = make();
      if (req !== null) handlers.request(req);
    };
    /** A join by the code in the code field. */
    const joinByCode = () => {
      const code = input('join-code').value.trim();
      if (code === '') return this.refuse('Enter the join code you were given.', { about: 'code', code });
      return { type: 'JoinLobby', target: { Code: code }, schema: null };
    };
    $('player-name').addEventListener('input', () => {
      const name = this.playerName();
      // Remembered for the next visit (and for invite links) as soon as it is valid.
      if (this.nameIsValid()) localStorage.setItem(NAME_KEY, name);
      this.showInvite();
      this.changed({ type: 'name', name });
    });
    $('join-code').addEventListener('input', () => this.changed({ type: 'code', code: input('join-code').value }));
    $('create-form').addEventListener('input', () => this.changed({ type: 'create', valid: this.checkCreate() === null }));
    $('quick-join').addEventListener('click', () => withName(() => ({ type: 'QuickJoin', game: select('lobby-game').value, schema: null })));
    $('invite-join').addEventListener('click', () => {
      input('join-code').value = this.invite ?? '';
      withName(joinByCode);
    });
    $('lobby-game').addEventListener('change', () => this.showMaps());
    $('join-form').addEventListener('submit', (e) => {
      e.preventDefault();
      withName(joinByCode);
    });
    $('create-form').addEventListener('submit', (e) => {
      e.preventDefault();
      withName(() => {
        const wrong = this.checkCreate();
        if (wrong !== null) return this.refuse(wrong, { about: 'create' });
        return {
          type: 'CreateLobby',
          game: select('lobby-game').value,
          name: input('lobby-name').value.trim(),
          map: select('lobby-map').value,
          max_players: Number(input('lobby-max').value),
          private: input('lobby-private').checked,
        };
      });
    });
    $('lobby-rows').addEventListener('click', (e) => {
      const button = /** @type {HTMLElement} */ (e.target).closest('button[data-lobby]');
      if (button instanceof HTMLButtonElement) withName(() => ({ type: 'JoinLobby', target: { Id: Number(button.dataset.lobby) }, schema: null }));
    });
    $('lobby-retry').addEventListener('click', () => handlers.retryList());
    $('banner-retry').addEventListener('click', () => handlers.retryConnection());
    $('leave').addEventListener('click', () => handlers.leave());
    $('copy-invite').addEventListener('click', () => {
      this.copyInvite();
      // Give the keys back to the game (Space would press the button again).
      $('copy-invite').blur();
    });
  }

  playerName() {
    return input('player-name').value.trim();
  }

  nameIsValid() {
    return isValidName(this.playerName(), MAX_NAME_CHARS);
  }

  /** What is wrong with the create form, in words, or null when the page's checks pass. */
  checkCreate() {
    const name = input('lobby-name').value.trim();
    const max = Number(input('lobby-max').value);
    if (!isValidName(name, MAX_LOBBY_NAME_CHARS)) return `Lobby names are 1 to ${MAX_LOBBY_NAME_CHARS} characters, no control characters.`;
    if (!Number.isInteger(max) || max < MIN_PLAYERS || max > MAX_PLAYERS) return `Max players must be a whole number from ${MIN_PLAYERS} to ${MAX_PLAYERS}.`;
    if (select('lobby-game').value === '') return 'The server has not said which games it offers yet: wait a moment.';
    return null;
  }

  /**
   * Shows a refusal on the lobby screen and builds no request.
   * @param {string} text @param {Cause} cause
   */
  refuse(text, cause) {
    this.lobbyMessage(text, cause);
    return null;
  }

  /** @param {'lobby' | 'game'} screen */
  show(screen) {
    if (screen === 'game' && document.activeElement instanceof HTMLElement) document.activeElement.blur();
    $('lobby-screen').hidden = screen !== 'lobby';
    $('game-screen').hidden = screen !== 'game';
    if (screen === 'lobby') {
      this.gameMessage('');
      document.title = 'Tickwire';
    }
  }

  /**
   * Shows a message on the lobby screen until its cause is fixed (see lobby_rules.js).
   * @param {string} text empty to clear @param {Cause} [cause] what it is about
   */
  lobbyMessage(text, cause = { about: 'notice' }) {
    say($('lobby-message'), text);
    this.messageCause = text === '' ? null : cause;
  }

  /**
   * Something changed on the lobby screen: the message clears if that fixed its cause.
   * @param {Change} change
   */
  changed(change) {
    if (this.messageCause !== null && !stillStands(this.messageCause, change)) this.lobbyMessage('');
  }

  /** @param {string} text shown for a few seconds; empty to clear */
  gameMessage(text) {
    say($('game-message'), text);
    clearTimeout(this.gameMessageTimer);
    if (text !== '') this.gameMessageTimer = setTimeout(() => say($('game-message'), ''), GAME_MESSAGE_MS);
  }

  /**
   * The connection banner above everything, taking its own room.
   * @param {string} text empty to hide @param {boolean} [retry] whether to offer Try again
   */
  banner(text, retry = false) {
    $('banner-text').textContent = text;
    $('banner').hidden = text === '';
    $('banner-retry').hidden = !retry;
  }

  /** @param {boolean} busy whether a request is on its way (disables the lobby buttons) */
  busy(busy) {
    this.isBusy = busy;
    for (const b of document.querySelectorAll('#lobby-screen button')) {
      const button = /** @type {HTMLButtonElement} */ (b);
      button.disabled = busy || button.dataset.joinable === 'false';
    }
  }

  /**
   * Offers the server's games (keeping the one chosen) and the chosen game's maps.
   * @param {GameInfo[]} games
   */
  gameList(games) {
    const chosen = select('lobby-game').value;
    if (JSON.stringify(games) === JSON.stringify(this.games)) return;
    this.games = games;
    select('lobby-game').replaceChildren(...games.map((g) => option(g.name, g.title)));
    if (games.some((g) => g.name === chosen)) select('lobby-game').value = chosen;
    this.showMaps();
    this.showLobbies();
  }

  /** The chosen game's maps in the map list, its default chosen, and its description. */
  showMaps() {
    const game = this.games.find((g) => g.name === select('lobby-game').value);
    select('lobby-map').replaceChildren(...(game?.maps ?? []).map((m) => option(m, m)));
    if (game !== undefined) select('lobby-map').value = game.default_map;
    $('game-description').textContent = game?.description ?? '';
  }

  /** @param {string} name */
  gameTitle(name) {
    return this.games.find((g) => g.name === name)?.title ?? name;
  }

  /**
   * A fresh lobby list, fetched at `fetchedAt` (performance.now() ms): the server is up.
   * @param {LobbyInfo[]} lobbies @param {number} fetchedAt
   */
  lobbyList(lobbies, fetchedAt) {
    clearInterval(this.listTimer);
    $('lobbies').classList.remove('down');
    this.lobbies = lobbies;
    this.marks = marksAfterList(this.marks, fetchedAt);
    this.showLobbies();
    this.changed({ type: 'server-up' });
    this.changed({ type: 'listed', lobbies, fetchedAt });
  }

  /**
   * The lobby list could not be fetched: its rows are hidden and the words say why, with
   * a countdown to the next try, or a Try again button once trying stopped.
   * @param {(seconds: number | null) => string} words @param {number | null} retryAt performance.now() ms; null: stopped
   */
  listDown(words, retryAt) {
    clearInterval(this.listTimer);
    this.lobbies = null;
    this.showLobbies();
    $('lobbies').classList.add('down');
    const show = () => say($('lobby-list-text'), words(retryAt === null ? null : secondsUntil(retryAt)));
    show();
    if (retryAt !== null) this.listTimer = setInterval(show, COUNTDOWN_MS);
    $('lobby-retry').hidden = retryAt !== null;
  }

  /**
   * A refusal said what a listed lobby's row should show at once (full, or closed), before
   * the list says so.
   * @param {number} id @param {Mark} mark
   */
  markLobby(id, mark) {
    this.marks.set(id, mark);
    this.showLobbies();
  }

  /** The rows of the lobby list as last fetched, with the marks on them; none while it is down. */
  showLobbies() {
    /** @type {LobbyInfo[]} */
    const lobbies = this.lobbies ?? [];
    $('lobby-rows').replaceChildren(
      ...lobbies.map((l) => {
        const d = describeLobby(l, this.gameTitle(l.game), this.marks.get(l.id));
        const tr = document.createElement('tr');
        tr.classList.toggle('closing', d.closing);
        const name = document.createElement('td');
        name.append(
          Object.assign(document.createElement('div'), { className: 'lobby-name', textContent: d.name }),
          Object.assign(document.createElement('div'), { className: 'lobby-detail muted', textContent: d.detail }),
        );
        const button = Object.assign(document.createElement('button'), { type: 'button', textContent: d.button });
        button.dataset.lobby = String(l.id);
        button.dataset.joinable = String(d.joinable);
        button.disabled = this.isBusy || !d.joinable;
        const action = document.createElement('td');
        action.append(button);
        tr.append(name, Object.assign(document.createElement('td'), { className: 'lobby-players', textContent: d.players }), action);
        return tr;
      }),
    );
    $('lobby-table').hidden = lobbies.length === 0;
    if (this.lobbies === null) return;
    $('lobby-retry').hidden = true;
    say($('lobby-list-text'), lobbies.length === 0 ? 'No public lobbies yet: create one or quick join.' : '');
  }

  /** The invite link's line and its one button, or neither without an invite. */
  showInvite() {
    const offer = this.invite === null ? null : inviteOffer(this.invite, this.playerName());
    say($('invite'), offer?.line ?? '');
    say($('invite-join'), offer?.button ?? '');
    // One obvious button: quick join steps back while an invite is on offer.
    $('quick-join').classList.toggle('primary', offer === null);
  }

  /** @param {{lobby: LobbyInfo, code: string, private: boolean}} joined */
  joined(joined) {
    $('lobby-title').textContent = `${joined.lobby.name}${joined.private ? ' (private)' : ''}`;
    $('lobby-game-title').textContent = this.gameTitle(joined.lobby.game);
    document.title = `${joined.lobby.name} · Tickwire`;
    $('lobby-code').textContent = joined.code;
    this.code = joined.code;
    this.gameMessage('');
    if (inviteUsed(this.invite, joined.code)) {
      // Used: back on the lobby screen it is not offered again, nor on a reload.
      this.invite = null;
      const url = new URL(location.href);
      url.searchParams.delete('code');
      history.replaceState(history.state, '', url);
      this.showInvite();
    }
  }

  /** @param {string} text how to play, in words for the device in use */
  hint(text) {
    $('game-hint').textContent = text;
  }

  copyInvite() {
    const url = new URL(location.href);
    url.search = new URLSearchParams({ code: this.code ?? '' }).toString();
    const failed = () => this.gameMessage(`Could not copy: share the code ${this.code} or ${url}`);
    if (navigator.clipboard === undefined) return failed();
    navigator.clipboard.writeText(url.toString()).then(() => this.gameMessage('Invite link copied.'), failed);
  }

  /**
   * The game's HUD lines and the scoreboard.
   * @param {string[]} lines @param {import('../sdk/session.js').ScoreLine[]} scores
   */
  hud(lines, scores) {
    $('hud-lines').replaceChildren(...lines.map((l) => Object.assign(document.createElement('div'), { textContent: l })));
    this.scores(scores);
  }

  /** @param {import('../sdk/session.js').ScoreLine[]} lines */
  scores(lines) {
    $('score-rows').replaceChildren(
      ...lines.map((l) => {
        const tr = document.createElement('tr');
        tr.classList.toggle('own', l.own);
        tr.classList.toggle('away', l.away);
        const name = document.createElement('td');
        const swatch = Object.assign(document.createElement('span'), { className: 'swatch' });
        swatch.style.background = l.color;
        name.append(swatch, `${l.name}${l.host ? ' ★' : ''}`);
        if (l.note !== '') name.append(Object.assign(document.createElement('span'), { className: 'score-note', textContent: ` ${l.note}` }));
        if (l.away) {
          name.append(Object.assign(document.createElement('span'), { className: 'away-note', textContent: ' reconnecting…' }));
          tr.title = `${l.name}'s connection dropped; their place is held for a while.`;
        }
        tr.append(name, Object.assign(document.createElement('td'), { textContent: String(l.score) }));
        return tr;
      }),
    );
  }
}
