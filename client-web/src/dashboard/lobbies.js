// The lobby table: one row per lobby, kept by id from snapshot to snapshot (so buttons stay
// put under the pointer), with its figures, and for the admin a Close button and a line of
// its players, each with a Kick button. Cells carry `data-field`, and numbers their raw
// value in `data-value`.

import { bytes, count, ms, rate } from './format.js';

/**
 * @typedef {import('./types.js').Lobby} Lobby
 * @typedef {{onClose: (lobby: Lobby) => void, onKick: (lobby: Lobby, player: import('./types.js').Player) => void}} Actions
 * @typedef {{row: HTMLTableRowElement, roster: HTMLTableRowElement, cells: Record<string, HTMLTableCellElement>, close: HTMLButtonElement, rosterKey: string, lobby: Lobby}} Entry
 */

/** Column: field name, header, whether numeric. */
const COLUMNS = /** @type {const} */ ([
  ['name', 'Lobby', false],
  ['game', 'Game', false],
  ['map', 'Map', false],
  ['players', 'Players', true],
  ['tick', 'Tick', true],
  ['tick_ms', 'Tick time (mean / max)', true],
  ['missed', 'Missed', true],
  ['out', 'Out', true],
  ['in', 'In', true],
  ['actions', '', false],
]);

/**
 * The table's header row.
 * @param {HTMLTableSectionElement} thead
 */
export function header(thead) {
  const tr = thead.insertRow();
  for (const [, title, numeric] of COLUMNS) {
    const th = document.createElement('th');
    th.textContent = title;
    if (numeric) th.className = 'num';
    tr.append(th);
  }
}

/**
 * @param {HTMLTableCellElement} cell @param {string} text @param {number} [value]
 */
function set(cell, text, value) {
  if (cell.textContent !== text) cell.textContent = text;
  if (value !== undefined) cell.dataset.value = String(value);
}

export class LobbyTable {
  /** @param {HTMLTableSectionElement} tbody @param {Actions} actions */
  constructor(tbody, actions) {
    this.tbody = tbody;
    this.actions = actions;
    /** @type {Map<number, Entry>} */
    this.entries = new Map();
  }

  /** @param {Lobby} lobby @returns {Entry} */
  create(lobby) {
    const row = document.createElement('tr');
    row.className = 'lobby';
    row.dataset.lobby = String(lobby.id);
    /** @type {Record<string, HTMLTableCellElement>} */
    const cells = {};
    for (const [field, title, numeric] of COLUMNS) {
      const td = row.insertCell();
      td.dataset.field = field;
      td.dataset.label = title.replace(/ \(.*\)/, '');
      if (numeric) td.className = 'num';
      cells[field] = td;
    }
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'danger';
    close.textContent = 'Close';
    close.addEventListener('click', () => this.actions.onClose(entry.lobby));
    cells.actions.append(close);
    const roster = document.createElement('tr');
    roster.className = 'roster';
    roster.dataset.roster = String(lobby.id);
    roster.insertCell().colSpan = COLUMNS.length;
    /** @type {Entry} */
    const entry = { row, roster, cells, close, rosterKey: '', lobby };
    return entry;
  }

  /**
   * Shows `lobbies` in their order; the admin's copy (`admin`) adds the actions and players.
   * @param {Lobby[]} lobbies @param {boolean} admin
   */
  render(lobbies, admin) {
    const seen = new Set();
    let before = this.tbody.firstChild;
    for (const lobby of lobbies) {
      seen.add(lobby.id);
      let entry = this.entries.get(lobby.id);
      if (entry === undefined) {
        entry = this.create(lobby);
        this.entries.set(lobby.id, entry);
      }
      entry.lobby = lobby;
      this.fill(entry, admin);
      // Keep the order of the snapshot, moving rows only when needed.
      if (before !== entry.row) this.tbody.insertBefore(entry.row, before);
      if (entry.row.nextSibling !== entry.roster) this.tbody.insertBefore(entry.roster, entry.row.nextSibling);
      before = entry.roster.nextSibling;
    }
    for (const [id, entry] of this.entries) {
      if (seen.has(id)) continue;
      entry.row.remove();
      entry.roster.remove();
      this.entries.delete(id);
    }
  }

  /** @param {Entry} entry @param {boolean} admin */
  fill(entry, admin) {
    const { cells, lobby } = entry;
    const name = lobby.name ?? 'private lobby';
    const nameCell = cells.name;
    if (nameCell.dataset.name !== name || nameCell.dataset.private !== String(lobby.private)) {
      nameCell.replaceChildren();
      const title = document.createElement('span');
      title.className = lobby.name === null ? 'lobby-name muted' : 'lobby-name';
      title.textContent = name;
      const id = document.createElement('span');
      id.className = 'lobby-id';
      id.textContent = `#${lobby.id}`;
      nameCell.append(title, ' ', id);
      if (lobby.private) {
        const badge = document.createElement('span');
        badge.className = 'badge';
        badge.textContent = 'private';
        nameCell.append(' ', badge);
      }
      nameCell.dataset.name = name;
      nameCell.dataset.private = String(lobby.private);
    }
    set(cells.game, lobby.game);
    set(cells.map, lobby.map);
    set(cells.players, `${lobby.players} / ${lobby.max_players}`, lobby.players);
    set(cells.tick, count(lobby.tick), lobby.tick);
    const t = lobby.tick_ms;
    set(cells.tick_ms, t === null ? '–' : `${ms(t.mean)} / ${ms(t.max)}`, t?.mean ?? 0);
    set(cells.missed, count(lobby.missed_ticks), lobby.missed_ticks);
    cells.missed.classList.toggle('warn', lobby.missed_ticks > 0);
    set(cells.out, bytes(lobby.bytes_out_per_s, '/s'), lobby.bytes_out_per_s);
    set(cells.in, bytes(lobby.bytes_in_per_s, '/s'), lobby.bytes_in_per_s);
    cells.in.title = `${rate(lobby.inputs_per_s)} inputs/s`;
    entry.close.hidden = !admin;
    entry.row.classList.toggle('admin', admin);
    this.fillRoster(entry, admin);
  }

  /** @param {Entry} entry @param {boolean} admin */
  fillRoster(entry, admin) {
    const players = admin ? (entry.lobby.roster ?? []) : [];
    entry.roster.hidden = players.length === 0;
    const key = players.map((p) => `${p.client}:${p.connected}:${p.host}:${p.name}`).join('\n');
    if (key === entry.rosterKey) return;
    entry.rosterKey = key;
    const cell = entry.roster.cells[0];
    cell.replaceChildren();
    for (const player of players) {
      const chip = document.createElement('span');
      chip.className = player.connected ? 'player' : 'player away';
      chip.dataset.client = String(player.client);
      const name = document.createElement('span');
      name.textContent = player.name;
      chip.append(name);
      if (player.host) chip.append(tag('host'));
      if (!player.connected) chip.append(tag('away'));
      const kick = document.createElement('button');
      kick.type = 'button';
      kick.className = 'kick';
      kick.textContent = 'Kick';
      kick.title = `Remove ${player.name} (client ${player.client}) from the lobby`;
      kick.addEventListener('click', () => this.actions.onKick(entry.lobby, player));
      chip.append(kick);
      cell.append(chip);
    }
  }
}

/** @param {string} text */
function tag(text) {
  const span = document.createElement('span');
  span.className = 'tag';
  span.textContent = text;
  return span;
}
