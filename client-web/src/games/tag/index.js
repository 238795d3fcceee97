// The tag game's client module: runners (Body + Runner) on a walled map; the one who is
// "it" (Runner.it) passes it on by touching another, everyone else scores a point a second,
// and a round clock (Round) counts down. It maps the stick (turned with the map as drawn)
// and the action button, "Dash", onto the input {x, y, dash}, predicts the own Body and
// dash with `tagStep`, draws runners as circles with "it" in red and labelled, and shows
// the clock, the own dash and the scores.

import { drawMap, drawPlayer, ownLast, screenToMap } from '../topdown/view.js';
import { tagStep } from './step.js';

/**
 * @typedef {import('../../sdk/game_api.js').GameModule} GameModule
 * @typedef {import('../../sdk/game_api.js').View} View
 * @typedef {import('./step.js').TagConfig} TagConfig
 */

/** Runner.it's value for the one who is it (its Enum variants are ["runner", "it"]). */
export const IT = 1;
const IT_COLOR = '#ff4d4d';
/** Room above the map the round clock needs. */
const CLOCK_ROOM_PX = 40;

/**
 * The round clock's seconds left, from the one entity with a Round; null if none.
 * @param {View} view
 */
export function secondsLeft(view) {
  const round = view.entities.find((e) => 'Round' in e.components)?.components.Round;
  return round === undefined ? null : Math.max(0, Math.ceil(round.ticks_left / view.tickRate));
}

/**
 * The own dash as words: ready, dashing or cooling down for so many seconds.
 * @param {View} view
 */
export function dashStatus(view) {
  const runner = view.own?.components.Runner;
  if (runner === undefined) return '';
  if (runner.dash > 0) return 'Dash: dashing!';
  if (runner.cooldown > 0) return `Dash: ready in ${(runner.cooldown / view.tickRate).toFixed(1)} s`;
  return 'Dash: ready';
}

/** @type {GameModule} */
export default {
  name: 'tag',
  title: 'Tag',
  start({ config }) {
    const cfg = /** @type {TagConfig} */ (config);
    /** @type {import('../topdown/view.js').MapTransform | null} the map as last drawn */
    let shown = null;
    return {
      input: (sample) => ({ ...screenToMap(sample.stick, shown), dash: sample.buttons.action ? 1 : 0 }),
      predict: {
        components: { Body: ['x', 'y', 'vx', 'vy'], Runner: ['dash', 'cooldown'] },
        step: (state, input) => tagStep(/** @type {any} */ (state), /** @type {any} */ (input), cfg),
      },
      interpolate: { components: { Body: ['x', 'y'] }, teleportPerTick: (2 * cfg.movement.max_speed * cfg.dash.speed_percent) / 100 },
      controls: { buttons: [{ button: 'action', label: 'Dash' }] },
      hint: 'Red is it: touch someone to pass it on.',
      draw(surface, view) {
        const { ctx } = surface;
        shown = drawMap(surface, cfg.map);
        const { scale, at, rect } = shown;
        const half = cfg.movement.half_size * scale;
        for (const e of ownLast(view.entities.filter((e) => 'Runner' in e.components && 'Body' in e.components))) {
          const b = at(e.components.Body.x, e.components.Body.y);
          const it = e.components.Runner.it === IT;
          const p = e.player;
          const label = `${it ? 'IT · ' : ''}${p?.name ?? `#${e.id}`}`;
          if (it) drawReach(ctx, b.x, b.y, cfg.tag_reach * scale);
          drawPlayer(surface, b.x, b.y, half, it ? IT_COLOR : (p?.color ?? '#888'), label, {
            own: e.own, away: p?.away ?? false, shape: 'circle', ring: it ? '#ffd0d0' : undefined,
          });
        }
        // Above the map where there is room (the HUD's lines show it too).
        const left = secondsLeft(view);
        if (left !== null && rect.y >= CLOCK_ROOM_PX) drawClock(surface, left, rect.y - CLOCK_ROOM_PX + 6);
      },
      hud(view) {
        const left = secondsLeft(view);
        const own = view.own?.components.Runner;
        const lines = [left === null ? '' : `Round: ${left} s left`, own?.it === IT ? 'You are it! Touch someone.' : '', dashStatus(view)].filter((l) => l !== '');
        const scores = view.entities
          .filter((e) => 'Runner' in e.components)
          .map((e) => ({ entity: e.id, score: e.components.Runner.score, note: e.components.Runner.it === IT ? 'it' : undefined }));
        return { lines, scores };
      },
    };
  },
};

/** @param {CanvasRenderingContext2D} ctx @param {number} x @param {number} y @param {number} r */
function drawReach(ctx, x, y, r) {
  ctx.save();
  ctx.fillStyle = 'rgba(255, 77, 77, 0.12)';
  ctx.beginPath();
  ctx.arc(x, y, r, 0, Math.PI * 2);
  ctx.fill();
  ctx.restore();
}

/**
 * The round clock centred at the top, `top` CSS pixels down.
 * @param {import('../../sdk/game_api.js').Surface} surface @param {number} seconds @param {number} top
 */
function drawClock({ ctx, width }, seconds, top) {
  const text = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  ctx.save();
  ctx.font = 'bold 20px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ctx.lineWidth = 4;
  ctx.strokeStyle = 'rgba(10, 12, 20, 0.85)';
  ctx.strokeText(text, width / 2, top);
  ctx.fillStyle = seconds <= 10 ? IT_COLOR : '#e3e8f4';
  ctx.fillText(text, width / 2, top);
  ctx.restore();
}
