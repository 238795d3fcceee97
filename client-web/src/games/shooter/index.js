// The shooter's client module: players (Body + Fighter + Shot) on a map several screens
// wide. The camera follows the own player; it aims with the mouse, a gamepad's right stick
// or the touch aim stick and fires with a click, Space, A or the right trigger, the Fire
// button, or an aim stick pushed to its rim. A shot is drawn at once when the gun will
// fire it (its cooldown is counted as the server counts it), and carries the moment the
// others were drawn at (`moment.seen`) for the server's lag compensation; the server's
// verdict comes back as state (each Shot, each Fighter) and shows as markers, a flash, the
// kill feed and the scoreboard (kills, with deaths as the note).

import { aimFields, aimFrom, rayLength, seenFields, Trigger } from './aim.js';
import { cameraFor } from './camera.js';
import { drawAim, drawFighter, drawMinimap, drawOverlay, drawShots, drawWorld } from './draw.js';
import { Feed } from './feed.js';
import { shooterStep } from './step.js';

/**
 * @typedef {import('../../sdk/game_api.js').GameModule} GameModule
 * @typedef {import('../../sdk/game_api.js').View} View
 * @typedef {import('../../sdk/movement.js').MoveMap} MoveMap
 * @typedef {import('../../sdk/movement.js').MoveParams} MoveParams
 * @typedef {{x: number, y: number}} Vec
 * @typedef {{map: MoveMap & {name: string}, movement: MoveParams, gun: {damage: number, range: number, cooldown: number},
 *   health: number, respawn_ticks: number, radius: number, view: number}} ShooterConfig
 */

/**
 * The HUD's lines for the own player: health or the respawn countdown, kills and deaths.
 * @param {View} view @param {ShooterConfig} cfg
 */
export function ownLines(view, cfg) {
  const f = view.own?.components.Fighter;
  if (f === undefined) return [];
  const state = f.health > 0 ? `Health: ${f.health} / ${cfg.health}` : `Dead: respawn in ${Math.ceil(f.respawn / view.tickRate)} s`;
  return [state, `Kills: ${f.kills} · Deaths: ${f.deaths}`];
}

/**
 * The scoreboard: every player's line (a `Tally`, which everyone receives wherever its
 * player is, while the players themselves reach only those near them).
 * @param {{components: Record<string, Record<string, number>>}[]} entities
 */
export const scoreboard = (entities) =>
  entities.flatMap((e) => {
    const t = e.components.Tally;
    return t === undefined ? [] : [{ entity: t.player, score: t.kills, note: deathsNote(t.deaths) }];
  });

/**
 * The scoreboard's note: deaths, once there are any.
 * @param {number} deaths
 */
export const deathsNote = (deaths) => (deaths === 0 ? undefined : `${deaths} ${deaths === 1 ? 'death' : 'deaths'}`);

/** Room around the view in which a player is still drawn (its label and bar), subunits. */
const VIEW_MARGIN = 16 * 16;

/**
 * Whether a point is in the camera's view or just outside it.
 * @param {import('./camera.js').Camera} cam @param {Vec} p
 */
const inView = (cam, p) => {
  const v = cam.visible;
  return p.x >= v.minX - VIEW_MARGIN && p.x <= v.maxX + VIEW_MARGIN && p.y >= v.minY - VIEW_MARGIN && p.y <= v.maxY + VIEW_MARGIN;
};

/** @type {GameModule} */
export default {
  name: 'shooter',
  title: 'Shooter',
  start({ config }) {
    const cfg = /** @type {ShooterConfig} */ (config);
    const trigger = new Trigger(cfg.gun.cooldown);
    const feed = new Feed();
    /** @type {Vec | null} the own player on the screen and on the map, as last drawn */
    let ownAt = null;
    /** @type {Vec | null} */
    let ownPos = null;
    /** @type {Vec | null} */
    let aim = null;
    let alive = true;
    /** Where a shot from the own player along `dir` stops. @param {Vec} from @param {Vec} dir */
    const shotEnd = (from, dir) => {
      const len = rayLength(cfg.map, from, dir, cfg.gun.range);
      const d = Math.hypot(dir.x, dir.y);
      return { x: from.x + (dir.x / d) * len, y: from.y + (dir.y / d) * len };
    };
    return {
      input(sample, moment) {
        const aimed = aimFrom(sample, ownAt, aim);
        aim = aimed.aim;
        if (trigger.input(aimed.fire, alive, aim !== null) && ownPos !== null && aim !== null) {
          feed.ownShot(ownPos, shotEnd(ownPos, aim), performance.now());
        }
        return { x: sample.stick.x, y: sample.stick.y, ...aimFields(aim), fire: aimed.fire ? 1 : 0, ...seenFields(moment.seen, aimed.fire) };
      },
      predict: { components: { Body: ['x', 'y', 'vx', 'vy'], Fighter: [] }, step: shooterStep(cfg) },
      interpolate: { components: { Body: ['x', 'y'] }, teleportPerTick: 2 * cfg.movement.max_speed },
      controls: { aim: 'aim', buttons: [{ button: 'action', label: 'Fire' }] },
      hint: 'A click, or an aim stick pushed to its rim, fires too. Four hits kill; walls stop shots.',
      draw(surface, view) {
        const now = performance.now();
        const own = view.own;
        const ownBody = own?.components.Body;
        const centre = ownBody === undefined ? { x: cfg.map.width / 2, y: cfg.map.height / 2 } : { x: ownBody.x, y: ownBody.y };
        const cam = cameraFor(surface, centre, cfg.view);
        feed.observe(view, now);
        drawWorld(surface, cam, cfg.map);
        const r = Math.max(4, cfg.radius * cam.scale);
        /** @type {{x: number, y: number, own: boolean, color: string}[]} */
        const dots = [];
        const fighters = view.entities.filter((e) => 'Fighter' in e.components && 'Body' in e.components);
        // The dead under the living, the own player on top.
        fighters.sort((a, b) => Number(a.components.Fighter.health > 0) - Number(b.components.Fighter.health > 0) || Number(a.own) - Number(b.own));
        for (const e of fighters) {
          const { Body: b, Fighter: f } = e.components;
          const p = e.player;
          const living = f.health > 0;
          if (living) dots.push({ x: b.x, y: b.y, own: e.own, color: p?.color ?? '#888' });
          if (!inView(cam, { x: b.x, y: b.y })) continue;
          drawFighter(surface, cam.at(b.x, b.y), r, {
            color: p?.color ?? '#888', name: p?.name ?? `#${e.id}`, own: e.own, away: p?.away ?? false,
            health: f.health, maxHealth: cfg.health, alive: living,
          });
        }
        const fighter = own?.components.Fighter;
        alive = (fighter?.health ?? 0) > 0;
        if (ownBody !== undefined) {
          ownPos = centre;
          ownAt = cam.at(centre.x, centre.y);
          if (alive && aim !== null) {
            const end = shotEnd(centre, aim);
            drawAim(surface.ctx, ownAt, cam.at(end.x, end.y), trigger.left <= 1);
          }
        }
        drawShots(surface.ctx, cam, feed, now);
        drawMinimap(surface, cam, cfg.map, dots);
        const respawnSeconds = fighter !== undefined && !alive ? Math.ceil(fighter.respawn / view.tickRate) : null;
        const killedBy = fighter === undefined || fighter.hit_by === 0 ? '' : (view.players.get(fighter.hit_by)?.name ?? `#${fighter.hit_by}`);
        drawOverlay(surface, feed, now, { health: fighter?.health ?? 0, maxHealth: cfg.health, respawnSeconds, killedBy });
      },
      hud(view) {
        return { lines: ownLines(view, cfg), scores: scoreboard(view.entities) };
      },
    };
  },
};
