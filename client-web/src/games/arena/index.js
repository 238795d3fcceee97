// The orb arena's client module: players (Body + Score) run around a walled map grabbing
// orbs (Body + Orb). It maps the stick (turned with the map as drawn) onto the input
// {x, y}, predicts the own Body with the engine's movement step, draws the map, orbs and
// players, and scores by Score.points. Its only control is the stick.

import { step } from '../../sdk/movement.js';
import { drawMap, drawPlayer, ownLast, screenToMap } from '../topdown/view.js';

/**
 * @typedef {import('../../sdk/game_api.js').GameModule} GameModule
 * @typedef {import('../../sdk/game_api.js').Game} Game
 * @typedef {import('../../sdk/game_api.js').View} View
 * @typedef {import('../../sdk/prediction.js').PredictedState} PredictedState
 * @typedef {import('../../sdk/movement.js').MoveMap} MoveMap
 * @typedef {import('../../sdk/movement.js').MoveParams} MoveParams
 * @typedef {{map: MoveMap & {name: string}, orb_radius: number, movement: MoveParams}} ArenaConfig
 */

/**
 * The arena's prediction step: one movement step of the Body per input.
 * @param {ArenaConfig} config
 * @returns {(state: PredictedState, input: Record<string, number>) => PredictedState}
 */
export const arenaStep = (config) => (state, input) => ({
  ...state,
  Body: step(/** @type {any} */ (state.Body), { x: input.x, y: input.y }, config.movement, config.map),
});

/** @type {GameModule} */
export default {
  name: 'arena',
  title: 'Orb arena',
  start({ config }) {
    const cfg = /** @type {ArenaConfig} */ (config);
    /** @type {import('../topdown/view.js').MapTransform | null} the map as last drawn */
    let shown = null;
    return {
      input: (sample) => screenToMap(sample.stick, shown),
      predict: { components: { Body: ['x', 'y', 'vx', 'vy'] }, step: arenaStep(cfg) },
      interpolate: { components: { Body: ['x', 'y'] }, teleportPerTick: 2 * cfg.movement.max_speed },
      controls: {},
      hint: 'Grab the orbs.',
      draw(surface, view) {
        const { ctx } = surface;
        shown = drawMap(surface, cfg.map);
        const { scale, at } = shown;
        const r = Math.max(2, cfg.orb_radius * scale);
        for (const e of view.entities) {
          const b = e.components.Body;
          if (b === undefined || !('Orb' in e.components)) continue;
          const o = at(b.x, b.y);
          drawOrb(ctx, o.x, o.y, r);
        }
        const half = cfg.movement.half_size * scale;
        for (const e of ownLast(view.entities.filter((e) => 'Score' in e.components && 'Body' in e.components))) {
          const b = at(e.components.Body.x, e.components.Body.y);
          const p = e.player;
          const label = `${p?.name ?? `#${e.id}`} · ${e.components.Score.points}`;
          drawPlayer(surface, b.x, b.y, half, p?.color ?? '#888', label, { own: e.own, away: p?.away ?? false });
        }
      },
      hud(view) {
        return {
          lines: [],
          scores: view.entities.filter((e) => 'Score' in e.components).map((e) => ({ entity: e.id, score: e.components.Score.points })),
        };
      },
    };
  },
};

/** @param {CanvasRenderingContext2D} ctx @param {number} x @param {number} y @param {number} r */
function drawOrb(ctx, x, y, r) {
  const glow = ctx.createRadialGradient(x, y, 0, x, y, r * 2);
  glow.addColorStop(0, 'rgba(255, 214, 90, 0.45)');
  glow.addColorStop(1, 'rgba(255, 214, 90, 0)');
  ctx.fillStyle = glow;
  ctx.beginPath();
  ctx.arc(x, y, r * 2, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = '#ffd65a';
  ctx.beginPath();
  ctx.arc(x, y, r, 0, Math.PI * 2);
  ctx.fill();
}
