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
 * @typedef {import('./interpolation.js').SeenAt} SeenAt
 */

/**
 * When an input is sampled: `seen` is the moment on the server's timeline the other
 * entities were last drawn at (the interpolation tick and its fraction; null before the
 * first frame). A game that judges shots with the server's lag compensation sends it with
 * a shot.
 * @typedef {{seen: SeenAt | null}} InputMoment
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
 * Bands along a surface's edges, in CSS pixels.
 * @typedef {{top: number, right: number, bottom: number, left: number}} Insets
 */

/**
 * A canvas fitted to the window: `ctx` draws in CSS pixels (high-DPI handled), `width` and
 * `height` are its CSS size. `reserved` are the bands on-screen touch controls cover (all 0
 * without them): draw what matters outside them where there is room.
 * @typedef {{ctx: CanvasRenderingContext2D, width: number, height: number, reserved: Insets}} Surface
 */

/**
 * A button the game uses, and its word on screen and in the hint ("Dash").
 * @typedef {{button: keyof import('./device.js').Buttons, label: string}} ButtonControl
 */

/**
 * What the game's player works, for on-screen touch controls and the hint: `move` is what
 * the stick does ("move" unless given); `aim`, given when the game reads
 * `DeviceSample.aim`, what a second stick does ("aim"); `buttons` the buttons it reads,
 * the main one first.
 * @typedef {{move?: string, aim?: string, buttons?: ButtonControl[]}} Controls
 */

/**
 * The game's part of the HUD: lines of text (a clock, a cooldown) and a score per player
 * entity with an optional short note (a role). Players without a score line score 0.
 * @typedef {{lines: string[], scores: {entity: number, score: number, note?: string}[]}} Hud
 */

/**
 * One stay's game, built by `GameModule.start` for a lobby's config.
 * @typedef {{
 *   input: (sample: DeviceSample, moment: InputMoment) => Record<string, number>,
 *   predict?: PredictionSpec,
 *   interpolate: InterpolationSpec,
 *   draw: (surface: Surface, view: View) => void,
 *   hud: (view: View) => Hud,
 *   controls: Controls,
 *   hint: string,
 * }} Game
 * `hint` is how to play beyond the controls ("Grab the orbs."); the page puts the controls
 * in words for the device in use before it.
 */

/**
 * @typedef {{schema: Schema, config: any, tickRate: number}} GameContext
 * `config` is `Joined.config` parsed from JSON.
 * @typedef {{name: string, title: string, start: (ctx: GameContext) => Game}} GameModule
 */

export {};
