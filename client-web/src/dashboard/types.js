// The shape of one dashboard snapshot, as the server sends it on /api/dashboard/stream
// (server/src/net/dashboard/snapshot.rs is its source of truth). Types only.

/**
 * @typedef {{mean: number, max: number}} Spread milliseconds per run of steps
 * @typedef {{client: number, name: string, connected: boolean, host: boolean}} Player
 * @typedef {{
 *   id: number, game: string, name: string | null, private: boolean, map: string,
 *   players: number, max_players: number, tick: number, ticks_per_s: number,
 *   tick_ms: Spread | null, encode_ms: Spread | null, missed_ticks: number,
 *   bytes_out_per_s: number, bytes_in_per_s: number, inputs_per_s: number,
 *   snapshots_dropped: number, roster: Player[] | null,
 * }} Lobby
 * @typedef {{
 *   bytes_in: number, bytes_out: number, messages_in: number, messages_out: number,
 *   snapshots_dropped: number, inputs_dropped: number, missed_ticks: number,
 * }} Rates per second over the interval
 * @typedef {Rates & {http_refused: number}} Totals since the server started
 * @typedef {{
 *   window_s: number, bounds_ms: number[], tick: number[], encode: number[],
 *   tick_p50_ms: number | null, tick_p99_ms: number | null, encode_p99_ms: number | null,
 * }} Histograms
 * @typedef {{
 *   id: string, version: string, uptime_s: number, tick_rate: number, admin_actions: boolean,
 *   interval_s: number, connections: number, dashboard_viewers: number, lobby_count: number,
 *   player_count: number, rates: Rates, totals: Totals, histograms: Histograms, lobbies: Lobby[],
 * }} Node
 * @typedef {{format: number, time_ms: number, access: 'viewer' | 'admin', node: Node}} Snapshot
 */

export {};
