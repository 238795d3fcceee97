// The interface between the engine's client and a game's module (types only). A game
// module's default export is a GameModule; the page finds it by `Joined.schema.game`.
// See README.md, "Writing a game's module".

/**
 * @typedef {import('./schema.js').Schema} Schema
 * @typedef {import('./device.js').DeviceSample} DeviceSample
 * @typedef {import('./prediction.js').PredictionSpec} PredictionSpec
 * @typedef {import('./interpolation.js').InterpolationSpec} InterpolationSpec
 * @typedef {import('./players.js').Player} Player
 * @typedef {Record<string, Record<string, number>>} Components
 */

/**
 * One entity as drawn: its components (interpolated fields fractional), whether it is this
 * client's own (predicted) entity, and the player controlling it, if any.
 * @typedef {{id: number, components: Components, own: boolean, player: Player | null}} SceneEntity
 */

/**
 * What a game draws and shows at one moment.
 * @typedef {{
 *   entities: SceneEntity[],
 *   own: SceneEntity | null,
 *   players: Map<number, Player>,
 *   tickRate: number,
 * }} View
 * `entities` includes `own`; `players` is keyed by entity id.
 */

/**
 * A canvas fitted to the window: `ctx` draws in CSS pixels (high-DPI handled), `width` and
 * `height` are its CSS size.
 * @typedef {{ctx: CanvasRenderingContext2D, width: number, height: number}} Surface
 */

/**
 * The game's part of the HUD: lines of text (a clock, a cooldown) and a score per player
 * entity with an optional short note (a role). Players without a score line score 0.
 * @typedef {{lines: string[], scores: {entity: number, score: number, note?: string}[]}} Hud
 */

/**
 * One stay's game, built by `GameModule.start` for a lobby's config.
 * @typedef {{
 *   input: (sample: DeviceSample) => Record<string, number>,
 *   predict?: PredictionSpec,
 *   interpolate: InterpolationSpec,
 *   draw: (surface: Surface, view: View) => void,
 *   hud: (view: View) => Hud,
 *   hint: string,
 * }} Game
 */

/**
 * @typedef {{schema: Schema, config: any, tickRate: number}} GameContext
 * `config` is `Joined.config` parsed from JSON.
 * @typedef {{name: string, title: string, start: (ctx: GameContext) => Game}} GameModule
 */

export {};
