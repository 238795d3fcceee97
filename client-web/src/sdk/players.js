// The players of a lobby as a game sees them: who controls which entity, their names,
// whether they are the host, this client, or away (connection down, seat held), and a
// stable colour per client id.

/**
 * @typedef {{client_id: number, entity: number, name: string, connected: boolean}} PlayerInfo
 * @typedef {{host: number, players: PlayerInfo[]}} Roster
 * @typedef {{clientId: number, entity: number, name: string, host: boolean, own: boolean, away: boolean, color: string}} Player
 */

/** A stable colour per client id; consecutive ids are a golden angle apart in hue. */
export function playerColor(/** @type {number} */ clientId) {
  return `hsl(${((clientId * 137.508) % 360).toFixed(1)} 70% 58%)`;
}

/**
 * Every player on the roster by the entity it controls. The own player is away when this
 * client's connection is down; the others when the roster says so.
 * @param {Roster} roster @param {number} ownClientId @param {boolean} offline
 * @returns {Map<number, Player>}
 */
export function playersByEntity(roster, ownClientId, offline) {
  return new Map(
    roster.players.map((p) => {
      const own = p.client_id === ownClientId;
      return [p.entity, {
        clientId: p.client_id,
        entity: p.entity,
        name: p.name,
        host: p.client_id === roster.host,
        own,
        away: own ? offline : !p.connected,
        color: playerColor(p.client_id),
      }];
    }),
  );
}
