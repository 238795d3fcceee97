// One stay in one lobby, from Joined to Left, for any game: the schema checked, the worlds
// received, the prediction of the own entity, the interpolation of everyone else and the
// roster. It turns device samples into Input messages (through the game's input mapping)
// and snapshots into views for the game to draw; it does no I/O. A stay survives a dropped
// connection when the seat is taken back (`resume`).

import { entityById } from './delta.js';
import { Interpolator, blend } from './interpolation.js';
import { TickGaps } from './netstats.js';
import { playersByEntity } from './players.js';
import { Predictor } from './prediction.js';
import { noGameModule } from './refusals.js';
import { CompiledSchema, SchemaError, schemaHashProblem } from './schema.js';
import { SnapshotStore } from './snapshots.js';

/**
 * @typedef {import('./schema.js').Schema} Schema
 * @typedef {{id: number, game: string, name: string, map: string, players: number, max_players: number, host: string}} LobbyInfo
 * @typedef {{type: 'Joined', lobby: LobbyInfo, code: string, private: boolean, entity: number, tick: number,
 *   schema: Schema, schema_hash: bigint, config: string}} Joined
 * @typedef {import('./players.js').Roster} Roster
 * @typedef {import('./delta.js').World} World
 * @typedef {import('./game_api.js').Game} Game
 * @typedef {import('./game_api.js').View} View
 * @typedef {import('./game_api.js').SceneEntity} SceneEntity
 * @typedef {import('./device.js').DeviceSample} DeviceSample
 * @typedef {import('./prediction.js').PredictedState} PredictedState
 * @typedef {{entity: number, client_id: number, name: string, score: number, note: string, own: boolean, host: boolean, away: boolean, color: string}} ScoreLine
 */

/** Longest a world is kept for a delta to build on (the server keeps about 2 s). */
const KEEP_WORLDS_SECONDS = 4;

/**
 * The schema of a Joined, checked against its hash and the client's limits; throws a
 * SchemaError saying why it cannot be used.
 * @param {Joined} joined
 */
export function checkedSchema(joined) {
  const problem = schemaHashProblem(joined.schema, joined.schema_hash);
  if (problem !== null) throw new SchemaError(problem);
  return new CompiledSchema(joined.schema);
}

/**
 * A session for a Joined, played with the module of its game from `games`, or the words
 * for why this page cannot play it (no module for the game, a schema that does not match
 * its hash or is beyond this client's limits, a config that is not JSON).
 * @param {Joined} joined @param {Map<string, import('./game_api.js').GameModule>} games
 * @param {number} clientId @param {number} tickRate
 * @returns {GameSession | string}
 */
export function openSession(joined, games, clientId, tickRate) {
  const module = games.get(joined.schema.game);
  if (module === undefined) return noGameModule(joined.schema.game);
  try {
    const config = JSON.parse(joined.config);
    return new GameSession(joined, clientId, tickRate, (schema) => module.start({ schema: schema.schema, config, tickRate }));
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

export class GameSession {
  /**
   * @param {Joined} joined @param {number} clientId @param {number} tickRate
   * @param {(schema: CompiledSchema) => Game} startGame builds the game for this stay
   */
  constructor(joined, clientId, tickRate, startGame) {
    this.joined = joined;
    this.clientId = clientId;
    this.tickRate = tickRate;
    this.schema = checkedSchema(joined);
    this.game = startGame(this.schema);
    this.store = new SnapshotStore(this.schema, KEEP_WORLDS_SECONDS * tickRate);
    /** Null for a game that predicts nothing: its own entity is drawn like the others. */
    this.predictor = this.game.predict === undefined ? null : new Predictor(this.game.predict);
    this.interpolator = new Interpolator(tickRate, this.game.interpolate);
    this.seq = 0;
    this.clientTick = 0;
    this.snapshotsApplied = 0;
    /** Ticks this stay got no snapshot for (the server replaced it for a slow reader, or it was lost). */
    this.gaps = new TickGaps();
    /** Full snapshots asked for (RequestFull sent) in this stay. */
    this.fullRequests = 0;
    /** @type {Roster} */
    this.roster = { host: 0, players: [] };
    /** Own predicted state before the latest input, for smoothing between ticks. */
    /** @type {PredictedState | null} */
    this.ownFrom = null;
    /** Newest world applied; unlike the store's, it outlives a resume (scores stay shown). */
    /** @type {World | undefined} */
    this.world = undefined;
    /** Whether this client's connection is down (its own player is shown as away). */
    this.offline = false;
    /** The own entity as last drawn before a resume, drawn until prediction restarts. */
    /** @type {SceneEntity | null} */
    this.heldOwn = null;
  }

  /**
   * The seat was taken back after a dropped connection: same lobby, entity and score. The
   * server starts over with a full snapshot and discarded the inputs it had not applied, so
   * the worlds held and the inputs pending are dropped and prediction restarts from the
   * first snapshot with the own entity. Input seqs keep counting up (the server ignores any
   * not above the newest it received) and the correction count carries over. Interpolation
   * goes on: its clock follows the server's ticks, which did not stop. The ticks missed
   * while the connection was down are not counted as missed snapshots.
   * @param {Joined} joined
   */
  resume(joined) {
    this.gaps.restart();
    this.heldOwn = this.view(0, 1, 'none').own ?? this.heldOwn;
    this.joined = joined;
    this.store = new SnapshotStore(this.schema, KEEP_WORLDS_SECONDS * this.tickRate);
    this.predictor?.restart();
    this.ownFrom = null;
    this.offline = false;
  }

  /**
   * Takes a Snapshot message; returns whether to send RequestFull (counted as sent).
   * @param {{last_input_seq: number, body: Uint8Array}} msg @param {number} nowMs
   */
  onSnapshot(msg, nowMs) {
    const receipt = this.store.receive(msg.body, nowMs);
    if (receipt.tick !== null) this.gaps.see(receipt.tick);
    if (receipt.kind === 'missing') {
      if (receipt.requestFull) this.fullRequests++;
      return receipt.requestFull;
    }
    if (receipt.kind === 'applied') {
      this.snapshotsApplied++;
      this.world = receipt.world;
      this.predictor?.reconcile(msg.last_input_seq, entityById(receipt.world, this.joined.entity));
      this.interpolator.push(receipt.world, nowMs);
    }
    return false;
  }

  /** @param {Roster} roster */
  onRoster(roster) {
    this.roster = { host: roster.host, players: roster.players };
  }

  /** The players by entity id. */
  players() {
    return playersByEntity(this.roster, this.clientId, this.offline);
  }

  /**
   * Samples one tick: maps the devices to the game's input, predicts it and returns the
   * Input message to send.
   * @param {DeviceSample} sample
   */
  tick(sample) {
    const { values, input } = this.schema.encodeInput(this.game.input(sample, { seen: this.interpolator.seen }));
    this.seq++;
    if (this.predictor !== null) {
      this.ownFrom = this.predictor.state;
      this.predictor.applyInput(this.seq, input);
    }
    return { type: 'Input', seq: this.seq, client_tick: this.clientTick++, ack: this.store.ack, values };
  }

  /**
   * The own predicted components, `alpha` of the way through the current tick in the fields
   * the game interpolates; null while nothing is predicted.
   * @returns {PredictedState | null}
   */
  ownState(alpha = 1) {
    const to = this.predictor?.state ?? null;
    if (to === null) return null;
    return blend(this.ownFrom ?? to, to, alpha, this.game.interpolate.components) ?? to;
  }

  /**
   * Everything to draw at local time `nowMs`: others interpolated, the own entity predicted
   * (or, after a resume and until prediction restarts, where it was last drawn).
   * @param {number} nowMs @param {number} alpha fraction of the current tick elapsed
   * @param {'interpolated' | 'latest' | 'none'} [others] the other entities: as drawn
   *   (advances interpolation), as in the newest world (for the HUD), or none
   * @returns {View}
   */
  view(nowMs, alpha, others = 'interpolated') {
    const players = this.players();
    const ownId = this.joined.entity;
    const predicted = this.ownState(alpha);
    const latestOwn = this.world === undefined ? undefined : entityById(this.world, ownId);
    /** @type {SceneEntity[]} */
    const entities = [];
    if (others !== 'none') {
      const source = others === 'latest' ? (this.world?.entities ?? []) : this.interpolator.sample(nowMs);
      for (const e of source) {
        if (e.id !== ownId || this.predictor === null) entities.push({ ...e, own: e.id === ownId, player: players.get(e.id) ?? null });
      }
    }
    /** @type {SceneEntity | null} */
    let own = entities.find((e) => e.own) ?? null;
    if (predicted !== null && latestOwn !== undefined) {
      this.heldOwn = null;
      own = { id: ownId, components: { ...latestOwn.components, ...predicted }, own: true, player: players.get(ownId) ?? null };
      entities.push(own);
    } else if (this.heldOwn !== null) {
      own = { ...this.heldOwn, components: { ...this.heldOwn.components, ...latestOwn?.components, ...pick(this.heldOwn.components, this.predictor) }, player: players.get(ownId) ?? null };
      entities.push(own);
    }
    return { entities, own, players, tickRate: this.tickRate };
  }

  /**
   * The HUD from the newest world: the game's lines, and the scoreboard (every player on the
   * roster with its score and note from the game, best first).
   * @returns {{lines: string[], scores: ScoreLine[]}}
   */
  hud() {
    const view = this.view(0, 1, 'latest');
    const hud = this.game.hud(view);
    const byEntity = new Map(hud.scores.map((s) => [s.entity, s]));
    const scores = [...view.players.values()]
      .map((p) => ({
        entity: p.entity,
        client_id: p.clientId,
        name: p.name,
        score: byEntity.get(p.entity)?.score ?? 0,
        note: byEntity.get(p.entity)?.note ?? '',
        own: p.own,
        host: p.host,
        away: p.away,
        color: p.color,
      }))
      .sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
    return { lines: hud.lines, scores };
  }
}

/**
 * The predicted components of `components` (where the held own entity was drawn).
 * @param {Record<string, Record<string, number>>} components @param {Predictor | null} predictor
 */
function pick(components, predictor) {
  if (predictor === null) return {};
  return Object.fromEntries(Object.keys(predictor.spec.components).filter((c) => c in components).map((c) => [c, components[c]]));
}
