// Getting back into the lobby after the connection dropped. The connection (net.js) asks
// for the held seat with the latest reconnect token; these decide, once a new connection is
// welcomed and joined, whether the stay goes on (the seat was taken back: same entity,
// same score) or starts afresh (the server refused the token, so the lobby is joined again
// by its code, as a new player). In cluster mode a Redirect may come in between: the
// connection follows it, and the seat ticket it brought is presented to the new node.

/**
 * @typedef {{type: string} & Record<string, any>} Msg
 * @typedef {import('./session.js').Joined} Joined
 */

/**
 * What to send once a connection is welcomed: nothing when it resumed a seat (the server
 * follows with Joined), else the seat ticket a Redirect brought (the seat reserved on this
 * node), else a join by code when a lobby was being played, else the lobby request the
 * player made while not yet connected.
 * @param {{resumed: boolean, rejoinCode: string | null, pending: Msg | null, ticket?: number[] | null}} state
 * @returns {Msg | null}
 */
export function requestAfterWelcome({ resumed, rejoinCode, pending, ticket = null }) {
  if (resumed) return null;
  if (ticket !== null) return { type: 'JoinLobby', target: { Ticket: ticket }, schema: null };
  if (rejoinCode !== null) return { type: 'JoinLobby', target: { Code: rejoinCode }, schema: null };
  return pending;
}

/**
 * Whether a Joined continues the stay in `current` (a resumed seat) rather than starting a
 * new one. Entity ids are never reused in a lobby, so the same lobby and the same entity
 * on a resumed connection is the same seat.
 * @param {Joined | null} current the Joined of the stay that was going on, if any
 * @param {Joined} joined @param {boolean} resumed whether the connection resumed a seat
 */
export function continuesStay(current, joined, resumed) {
  return resumed && current !== null && current.code === joined.code && current.lobby.id === joined.lobby.id && current.entity === joined.entity;
}
