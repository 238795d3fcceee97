// One stay in one lobby, from Joined to Left: the worlds received, the prediction of the own
// player, the interpolation of everyone else and the roster. It turns snapshots and stick
// samples into Input messages and scenes to draw; it does no I/O. A stay survives a dropped
// connection when the seat is taken back (`resume`).

import { entityById } from './delta.js';
import { Interpolator } from './interpolation.js';
import { Predictor } from './prediction.js';
import { SnapshotStore } from './snapshots.js';

/**
 * @typedef {import('./movement.js').MoveInput} MoveInput
 * @typedef {import('./movement.js').Vec2} Vec2
 * @typedef {{client_id: number, entity: number, name: string, connected: boolean}} PlayerInfo
 * @typedef {{type: 'Joined', lobby: {id: number, name: string, map: string, players: number, max_players: number},
 *   code: string, private: boolean, entity: number, tick: number,
 *   map: {name: string, width: number, height: number, walls: import('./movement.js').Aabb[], orb_radius: number},
 *   movement: import('./movement.js').MoveParams}} Joined
 * @typedef {import('./delta.js').World} World
 * @typedef {{id: number, kind: string, owner: number, pos: [number, number], score: number, own: boolean, away: boolean}} SceneEntity
 * @typedef {{client_id: number, name: string, score: number, own: boolean, host: boolean, away: boolean}} ScoreLine
 */

/** Longest a world is kept for a delta to build on (the server keeps about 2 s). */
const KEEP_WORLDS_SECONDS = 4;

export class GameSession {
  /** @param {Joined} joined @param {number} clientId @param {number} tickRate */
  constructor(joined, clientId, tickRate) {
    this.joined = joined;
    this.clientId = clientId;
    this.tickRate = tickRate;
    this.arena = { width: joined.map.width, height: joined.map.height, walls: joined.map.walls };
    this.store = new SnapshotStore(KEEP_WORLDS_SECONDS * tickRate);
    this.predictor = new Predictor(joined.movement, this.arena);
    this.interpolator = new Interpolator(tickRate, 2 * joined.movement.max_speed);
    this.seq = 0;
    this.clientTick = 0;
    this.snapshotsApplied = 0;
    /** @type {{host: number, players: PlayerInfo[]}} */
    this.roster = { host: 0, players: [] };
    /** Own predicted position before the latest input, for smoothing between ticks. */
    /** @type {Vec2 | null} */
    this.ownFrom = null;
    /** Newest world applied; unlike the store's, it outlives a resume (scores stay shown). */
    /** @type {World | undefined} */
    this.world = undefined;
    /** Whether this client's connection is down (its own player is shown as away). */
    this.offline = false;
    /** The own player as last drawn before a resume, drawn until prediction restarts. */
    /** @type {SceneEntity | null} */
    this.heldOwn = null;
  }

  /**
   * The seat was taken back after a dropped connection: same lobby, entity and score. The
   * server starts over with a full snapshot and discarded the inputs it had not applied, so
   * the worlds held and the inputs pending are dropped and prediction restarts from the
   * first snapshot with the own entity. Input seqs keep counting up (the server ignores any
   * not above the newest it received) and the correction count carries over. Interpolation
   * goes on: its clock follows the server's ticks, which did not stop.
   * @param {Joined} joined
   */
  resume(joined) {
    this.heldOwn = this.scene(0, 1, false).find((e) => e.own) ?? this.heldOwn;
    this.joined = joined;
    this.store = new SnapshotStore(KEEP_WORLDS_SECONDS * this.tickRate);
    this.predictor.restart();
    this.ownFrom = null;
    this.offline = false;
  }

  /**
   * Takes a Snapshot message; returns whether to send RequestFull.
   * @param {{last_input_seq: number, body: import('./snapshot_body.js').SnapshotBody}} msg @param {number} nowMs
   */
  onSnapshot(msg, nowMs) {
    const receipt = this.store.receive(msg.body, nowMs);
    if (receipt.kind === 'missing') return receipt.requestFull;
    if (receipt.kind === 'applied') {
      this.snapshotsApplied++;
      this.world = receipt.world;
      const own = entityById(receipt.world, this.joined.entity);
      this.predictor.reconcile(msg.last_input_seq, own);
      this.interpolator.push(receipt.world, nowMs);
    }
    return false;
  }

  /** @param {{host: number, players: PlayerInfo[]}} roster */
  onRoster(roster) {
    this.roster = { host: roster.host, players: roster.players };
  }

  /**
   * Whether a player's connection is down: from the roster, and for the own player from
   * this client's connection.
   * @param {number} clientId
   */
  away(clientId) {
    if (clientId === this.clientId) return this.offline;
    return this.roster.players.some((p) => p.client_id === clientId && !p.connected);
  }

  /**
   * Samples one tick: predicts it and returns the Input message to send.
   * @param {MoveInput} movement
   */
  tick(movement) {
    this.seq++;
    this.ownFrom = this.predictor.body?.pos ?? null;
    this.predictor.applyInput(this.seq, movement);
    return { type: 'Input', seq: this.seq, client_tick: this.clientTick++, movement, buttons: 0, ack: this.store.ack };
  }

  /** The own predicted position, `alpha` of the way through the current tick. */
  ownPos(alpha = 1) {
    const to = this.predictor.body?.pos;
    if (to === undefined) return null;
    const from = this.ownFrom ?? to;
    return /** @type {[number, number]} */ ([from[0] + (to[0] - from[0]) * alpha, from[1] + (to[1] - from[1]) * alpha]);
  }

  /** Names by client id. */
  names() {
    return new Map(this.roster.players.map((p) => [p.client_id, p.name]));
  }

  /**
   * Everything to draw at local time `nowMs`: others interpolated, the own player predicted
   * (or, after a resume and until prediction restarts, where it was last drawn).
   * @param {number} nowMs @param {number} alpha fraction of the current tick elapsed
   * @param {boolean} [others] whether to include the other entities (advances interpolation)
   * @returns {SceneEntity[]}
   */
  scene(nowMs, alpha, others = true) {
    const own = this.ownPos(alpha);
    const latestOwn = this.latestOwn();
    /** @type {SceneEntity[]} */
    const out = [];
    if (others) {
      for (const e of this.interpolator.sample(nowMs)) {
        if (e.id !== this.joined.entity) out.push({ ...e, own: false, away: this.away(e.owner) });
      }
    }
    if (own !== null && latestOwn !== undefined) {
      this.heldOwn = null;
      out.push({ ...latestOwn, pos: own, own: true, away: this.offline });
    } else if (this.heldOwn !== null) {
      out.push({ ...this.heldOwn, score: latestOwn?.score ?? this.heldOwn.score, away: this.offline });
    }
    return out;
  }

  /** The own entity in the newest world applied. */
  latestOwn() {
    return this.world === undefined ? undefined : entityById(this.world, this.joined.entity);
  }

  /**
   * The scoreboard: every player on the roster with the score of its entity, best first.
   * @returns {ScoreLine[]}
   */
  scores() {
    const world = this.world;
    return this.roster.players
      .map((p) => ({
        client_id: p.client_id,
        name: p.name,
        score: (world && entityById(world, p.entity)?.score) ?? 0,
        own: p.client_id === this.clientId,
        host: p.client_id === this.roster.host,
        away: this.away(p.client_id),
      }))
      .sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
  }
}
