// The page's DOM: the lobby screen (name, lobby list, join by code, create form, quick
// join), the game screen's HUD (lobby name, join code, scoreboard, leave, net graph) and
// the connection banner. Forms are checked here and refusals are shown in words; what the
// requests do is up to the handlers given to `bind`.

import { MAX_LOBBY_NAME_CHARS, MAX_NAME_CHARS, MAX_PLAYERS, MIN_PLAYERS, isValidName } from './limits.js';
import { playerColor } from './render.js';

const NAME_KEY = 'tickwire.name';
const GAME_MESSAGE_MS = 6000;

/**
 * @typedef {{id: number, name: string, map: string, players: number, max_players: number}} LobbyInfo
 * @typedef {{type: string} & Record<string, any>} Request
 * @typedef {{request: (req: Request) => void, leave: () => void}} Handlers
 */

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const input = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ ($(id));

/** Sets `el`'s text and shows it, or hides it when `text` is empty. */
function say(/** @type {HTMLElement} */ el, /** @type {string} */ text) {
  el.textContent = text;
  el.hidden = text === '';
}

export class Ui {
  constructor() {
    this.canvas = /** @type {HTMLCanvasElement} */ ($('view'));
    this.netgraph = $('netgraph');
    /** @type {string | undefined} join code of the lobby being played */
    this.code = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.gameMessageTimer = undefined;
    input('player-name').value = localStorage.getItem(NAME_KEY) ?? '';
    input('join-code').value = new URLSearchParams(location.search).get('code') ?? '';
  }

  /** @param {Handlers} handlers */
  bind(handlers) {
    /** Runs `make` when the player's name is valid, sending the request it builds. */
    const withName = (/** @type {() => Request | null} */ make) => {
      const name = this.playerName();
      if (!isValidName(name, MAX_NAME_CHARS)) {
        this.lobbyMessage(`Pick a name first: 1 to ${MAX_NAME_CHARS} characters, no control characters.`);
        input('player-name').focus();
        return;
      }
      localStorage.setItem(NAME_KEY, name);
      const req = make();
      if (req !== null) handlers.request(req);
    };
    $('quick-join').addEventListener('click', () => withName(() => ({ type: 'QuickJoin' })));
    $('join-form').addEventListener('submit', (e) => {
      e.preventDefault();
      withName(() => {
        const code = input('join-code').value.trim();
        if (code === '') return this.refuse('Enter the join code you were given.');
        return { type: 'JoinLobby', target: { Code: code } };
      });
    });
    $('create-form').addEventListener('submit', (e) => {
      e.preventDefault();
      withName(() => {
        const name = input('lobby-name').value.trim();
        const max = Number(input('lobby-max').value);
        if (!isValidName(name, MAX_LOBBY_NAME_CHARS)) return this.refuse(`Lobby names are 1 to ${MAX_LOBBY_NAME_CHARS} characters, no control characters.`);
        if (!Number.isInteger(max) || max < MIN_PLAYERS || max > MAX_PLAYERS) return this.refuse(`Max players must be a whole number from ${MIN_PLAYERS} to ${MAX_PLAYERS}.`);
        return { type: 'CreateLobby', name, map: /** @type {HTMLSelectElement} */ ($('lobby-map')).value, max_players: max, private: input('lobby-private').checked };
      });
    });
    $('lobby-rows').addEventListener('click', (e) => {
      const button = /** @type {HTMLElement} */ (e.target).closest('button[data-lobby]');
      if (button instanceof HTMLButtonElement) withName(() => ({ type: 'JoinLobby', target: { Id: Number(button.dataset.lobby) } }));
    });
    $('leave').addEventListener('click', () => handlers.leave());
    $('copy-invite').addEventListener('click', () => this.copyInvite());
    window.addEventListener('keydown', (e) => {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement;
      if (e.code === 'F3' || (e.code === 'KeyN' && !typing)) {
        e.preventDefault();
        this.netgraph.hidden = !this.netgraph.hidden;
      }
    });
  }

  playerName() {
    return input('player-name').value.trim();
  }

  /** Shows a refusal on the lobby screen and builds no request. */
  refuse(/** @type {string} */ text) {
    this.lobbyMessage(text);
    return null;
  }

  /** @param {'lobby' | 'game'} screen */
  show(screen) {
    $('lobby-screen').hidden = screen !== 'lobby';
    $('game-screen').hidden = screen !== 'game';
    if (screen === 'lobby') {
      this.gameMessage('');
      document.title = 'Tickwire';
    }
  }

  /** @param {string} text empty to clear */
  lobbyMessage(text) {
    say($('lobby-message'), text);
  }

  /** @param {string} text shown for a few seconds; empty to clear */
  gameMessage(text) {
    say($('game-message'), text);
    clearTimeout(this.gameMessageTimer);
    if (text !== '') this.gameMessageTimer = setTimeout(() => say($('game-message'), ''), GAME_MESSAGE_MS);
  }

  /** @param {string} text empty to hide */
  banner(text) {
    say($('banner'), text);
  }

  /** @param {boolean} busy whether a request is on its way (disables the lobby buttons) */
  busy(busy) {
    for (const b of document.querySelectorAll('#lobby-screen button')) /** @type {HTMLButtonElement} */ (b).disabled = busy;
  }

  /**
   * @param {LobbyInfo[] | null} lobbies null when the list could not be fetched
   * @param {string} [error] why it could not
   */
  lobbyList(lobbies, error = '') {
    const rows = $('lobby-rows');
    if (lobbies === null) {
      say($('lobby-list-status'), error);
      return;
    }
    rows.replaceChildren(
      ...lobbies.map((l) => {
        const tr = document.createElement('tr');
        const full = l.players >= l.max_players;
        for (const text of [l.name, l.map, `${l.players} / ${l.max_players}`]) tr.append(Object.assign(document.createElement('td'), { textContent: text }));
        const button = Object.assign(document.createElement('button'), { type: 'button', textContent: full ? 'Full' : 'Join', disabled: full });
        button.dataset.lobby = String(l.id);
        const td = document.createElement('td');
        td.append(button);
        tr.append(td);
        return tr;
      }),
    );
    say($('lobby-list-status'), lobbies.length === 0 ? 'No public lobbies yet: create one or quick join.' : '');
  }

  /** @param {{lobby: LobbyInfo, code: string, private: boolean}} joined */
  joined(joined) {
    $('lobby-title').textContent = `${joined.lobby.name}${joined.private ? ' (private)' : ''}`;
    document.title = `${joined.lobby.name} · Tickwire`;
    $('lobby-code').textContent = joined.code;
    this.code = joined.code;
    this.gameMessage('');
  }

  copyInvite() {
    const url = new URL(location.href);
    url.search = new URLSearchParams({ code: this.code ?? '' }).toString();
    const failed = () => this.gameMessage(`Could not copy: share the code ${this.code} or ${url}`);
    if (navigator.clipboard === undefined) return failed();
    navigator.clipboard.writeText(url.toString()).then(() => this.gameMessage('Invite link copied.'), failed);
  }

  /** @param {import('./game.js').ScoreLine[]} lines */
  scores(lines) {
    $('score-rows').replaceChildren(
      ...lines.map((l) => {
        const tr = document.createElement('tr');
        tr.classList.toggle('own', l.own);
        tr.classList.toggle('away', l.away);
        const name = document.createElement('td');
        const swatch = Object.assign(document.createElement('span'), { className: 'swatch' });
        swatch.style.background = playerColor(l.client_id);
        name.append(swatch, `${l.name}${l.host ? ' ★' : ''}`);
        if (l.away) {
          name.append(Object.assign(document.createElement('span'), { className: 'away-note', textContent: ' reconnecting…' }));
          tr.title = `${l.name}'s connection dropped; their place is held for a while.`;
        }
        tr.append(name, Object.assign(document.createElement('td'), { textContent: String(l.score) }));
        return tr;
      }),
    );
  }

  /** @param {string} text */
  netGraph(text) {
    if (!this.netgraph.hidden) this.netgraph.textContent = text;
  }
}
