// The page's DOM: the lobby screen (name, lobby list, join by code, the create form with
// the server's games and their maps, quick join into the chosen game), the game screen's
// HUD (lobby name, join code, the game's lines, scoreboard, leave) and the
// connection banner. Forms are checked here and refusals are shown in words; what the
// requests do is up to the handlers given to `bind`. Nothing here knows any game.

import { MAX_LOBBY_NAME_CHARS, MAX_NAME_CHARS, MAX_PLAYERS, MIN_PLAYERS, isValidName } from '../sdk/limits.js';

const NAME_KEY = 'tickwire.name';
const GAME_MESSAGE_MS = 6000;

/**
 * @typedef {import('../sdk/session.js').LobbyInfo} LobbyInfo
 * @typedef {{name: string, title: string, description: string, maps: string[], default_map: string}} GameInfo
 * @typedef {{type: string} & Record<string, any>} Request
 * @typedef {{request: (req: Request) => void, leave: () => void}} Handlers
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
    $('quick-join').addEventListener('click', () => withName(() => ({ type: 'QuickJoin', game: select('lobby-game').value, schema: null })));
    $('lobby-game').addEventListener('change', () => this.showMaps());
    $('join-form').addEventListener('submit', (e) => {
      e.preventDefault();
      withName(() => {
        const code = input('join-code').value.trim();
        if (code === '') return this.refuse('Enter the join code you were given.');
        return { type: 'JoinLobby', target: { Code: code }, schema: null };
      });
    });
    $('create-form').addEventListener('submit', (e) => {
      e.preventDefault();
      withName(() => {
        const name = input('lobby-name').value.trim();
        const max = Number(input('lobby-max').value);
        if (!isValidName(name, MAX_LOBBY_NAME_CHARS)) return this.refuse(`Lobby names are 1 to ${MAX_LOBBY_NAME_CHARS} characters, no control characters.`);
        if (!Number.isInteger(max) || max < MIN_PLAYERS || max > MAX_PLAYERS) return this.refuse(`Max players must be a whole number from ${MIN_PLAYERS} to ${MAX_PLAYERS}.`);
        const game = select('lobby-game').value;
        if (game === '') return this.refuse('The server has not said which games it offers yet: wait a moment.');
        return { type: 'CreateLobby', game, name, map: select('lobby-map').value, max_players: max, private: input('lobby-private').checked };
      });
    });
    $('lobby-rows').addEventListener('click', (e) => {
      const button = /** @type {HTMLElement} */ (e.target).closest('button[data-lobby]');
      if (button instanceof HTMLButtonElement) withName(() => ({ type: 'JoinLobby', target: { Id: Number(button.dataset.lobby) }, schema: null }));
    });
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

  /** Shows a refusal on the lobby screen and builds no request. */
  refuse(/** @type {string} */ text) {
    this.lobbyMessage(text);
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
        for (const text of [l.name, this.gameTitle(l.game), l.map, `${l.players} / ${l.max_players}`]) tr.append(Object.assign(document.createElement('td'), { textContent: text }));
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
    $('lobby-game-title').textContent = this.gameTitle(joined.lobby.game);
    document.title = `${joined.lobby.name} · Tickwire`;
    $('lobby-code').textContent = joined.code;
    this.code = joined.code;
    this.gameMessage('');
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
