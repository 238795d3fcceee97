// What the shooter shows of shots as they are decided: the server sends state, not events
// (each player's last Shot, each Fighter's health and who hit it last), so this watches that
// state change from frame to frame and turns it into what a player sees for a moment:
// tracers of others' shots, hit and kill markers for the own shots, a flash when the own
// player is hit, and a kill feed. The own shots' tracers are added at once, when fired.

/** How long each thing shows, ms. */
export const TRACER_MS = 220;
export const MARKER_MS = 700;
export const HURT_MS = 400;
export const FEED_MS = 6000;
const FEED_LINES = 5;

/** Shot.outcome values (its Enum variants are ["miss", "hit", "kill"]). */
export const MISS = 0;
export const HIT = 1;
export const KILL = 2;

/**
 * @typedef {{x: number, y: number}} Vec
 * @typedef {import('../../sdk/game_api.js').View} View
 * @typedef {{from: Vec, to: Vec, at: number, own: boolean}} Tracer
 * @typedef {{to: Vec, outcome: number, at: number}} Marker
 * @typedef {{killer: string, victim: string, own: boolean, at: number}} FeedLine
 */

export class Feed {
  constructor() {
    /** Shot.fired per entity, as last seen. */
    /** @type {Map<number, number>} */
    this.fired = new Map();
    /** @type {number | null} the own health as last seen */
    this.ownHealth = null;
    /** @type {Tracer[]} */
    this.tracers = [];
    /** @type {Marker[]} the own shots' outcomes */
    this.markers = [];
    /** @type {FeedLine[]} */
    this.kills = [];
    /** When the own player was last hit, ms (-Infinity: not yet), and by whom. */
    this.hurtAt = -Infinity;
    this.hurtBy = '';
  }

  /**
   * A shot the own player just fired, drawn at once.
   * @param {Vec} from @param {Vec} to @param {number} nowMs
   */
  ownShot(from, to, nowMs) {
    this.tracers.push({ from, to, at: nowMs, own: true });
  }

  /**
   * Takes the entities as drawn now and adds what changed since the last frame.
   * @param {View} view @param {number} nowMs
   */
  observe(view, nowMs) {
    const name = (/** @type {number} */ id) => view.players.get(id)?.name ?? `#${id}`;
    const present = new Set();
    for (const e of view.entities) {
      const shot = e.components.Shot;
      const body = e.components.Body;
      if (shot === undefined || body === undefined) continue;
      present.add(e.id);
      const before = this.fired.get(e.id);
      this.fired.set(e.id, shot.fired);
      if (before === undefined || before === shot.fired) continue;
      const to = { x: shot.to_x, y: shot.to_y };
      if (!e.own) this.tracers.push({ from: { x: body.x, y: body.y }, to, at: nowMs, own: false });
      if (e.own && shot.outcome !== MISS) this.markers.push({ to, outcome: shot.outcome, at: nowMs });
      if (shot.outcome === KILL) {
        const ownVictim = view.own?.id === shot.target;
        this.kills.push({ killer: name(e.id), victim: name(shot.target), own: e.own || ownVictim, at: nowMs });
        if (this.kills.length > FEED_LINES) this.kills.shift();
      }
    }
    for (const id of this.fired.keys()) if (!present.has(id)) this.fired.delete(id);
    const fighter = view.own?.components.Fighter;
    if (fighter !== undefined) {
      if (this.ownHealth !== null && fighter.health < this.ownHealth) {
        this.hurtAt = nowMs;
        this.hurtBy = name(fighter.hit_by);
      }
      this.ownHealth = fighter.health;
    }
    this.forget(nowMs);
  }

  /** @param {number} nowMs */
  forget(nowMs) {
    this.tracers = this.tracers.filter((t) => nowMs - t.at < TRACER_MS);
    this.markers = this.markers.filter((m) => nowMs - m.at < MARKER_MS);
    this.kills = this.kills.filter((k) => nowMs - k.at < FEED_MS);
  }
}
