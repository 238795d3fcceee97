// The game canvas: its backing store follows its CSS size and devicePixelRatio so drawing
// stays sharp; each frame it hands the game a surface that draws in CSS pixels, with the
// bands that on-screen controls cover.

export class Canvas {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    this.cssWidth = 0;
    this.cssHeight = 0;
    this.dpr = 1;
  }

  /**
   * Fits the backing store and returns the surface to draw this frame on.
   * @param {import('../sdk/game_api.js').Insets} reserved the bands touch controls cover
   * @returns {import('../sdk/game_api.js').Surface}
   */
  surface(reserved) {
    const rect = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    if (rect.width !== this.cssWidth || rect.height !== this.cssHeight || dpr !== this.dpr) {
      this.cssWidth = rect.width;
      this.cssHeight = rect.height;
      this.dpr = dpr;
      this.canvas.width = Math.max(1, Math.round(rect.width * dpr));
      this.canvas.height = Math.max(1, Math.round(rect.height * dpr));
    }
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return { ctx: this.ctx, width: this.cssWidth, height: this.cssHeight, reserved };
  }
}
