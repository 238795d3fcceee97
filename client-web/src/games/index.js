// The game modules this page can play, by name (`Joined.schema.game`).

import arena from './arena/index.js';
import shooter from './shooter/index.js';
import tag from './tag/index.js';

/** @type {Map<string, import('../sdk/game_api.js').GameModule>} */
export const GAMES = new Map([arena, tag, shooter].map((g) => [g.name, g]));
