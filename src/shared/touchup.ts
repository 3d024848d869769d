/**
 * The touch-up brushes: strokes recorded in the photo's own pixel coordinates, and the one
 * function that paints them onto a cutout. Main renders the saved edit with it at full
 * resolution (src/main/review/touchup-service.ts); the editor paints the same strokes onto its
 * screen-sized preview with a scale, so what is seen is what is saved, only sharper. Plain
 * arrays only: no Node, no DOM.
 *
 * [Note: brush model] A stroke is a polyline of brush stamps (a round brush of `size` pixels,
 * fully on inside `1 - softness` of its radius and fading smoothly to nothing at the rim). Its
 * coverage is the strongest stamp at each pixel, not their sum, so going over a spot twice in
 * one stroke does not build up. Erase multiplies alpha by (1 - coverage); restore raises alpha
 * towards 255 by the coverage and brings back the ORIGINAL photo's colour in proportion to the
 * alpha it adds (the cutout's invisible pixels are stored black and carry no colour). With
 * `edgeAware`, each stamp only reaches pixels whose colour in the original is close to the colour
 * under its centre, so the brush stops where the photo's colour changes: at the subject's edge.
 */

export const TOUCHUP_MODES = ['erase', 'restore'] as const
export type TouchUpMode = (typeof TOUCHUP_MODES)[number]

export interface TouchUpStroke {
  mode: TouchUpMode
  /** Brush diameter in photo pixels. */
  size: number
  /** 0: hard rim; 1: fades from the centre. */
  softness: number
  edgeAware: boolean
  /** x0, y0, x1, y1, … in photo pixels (upright, as the cutout is stored). */
  points: number[]
}

/** Bounds that the bridge validates strokes against. */
export const MAX_BRUSH_SIZE = 2000
export const MAX_STROKES = 1000
export const MAX_STROKE_POINTS = 20_000
/** Colour distance (RGB, Euclidean, 0-441) beyond which an edge-aware stamp has no effect. */
export const EDGE_TOLERANCE = 70

/** An RGBA raster (a cutout, or the editor's canvas). */
export interface RgbaRaster {
  data: Uint8Array | Uint8ClampedArray
  width: number
  height: number
}

/** The original photo's colours at the raster's size: RGB or RGBA. */
export interface ColourSource {
  data: Uint8Array | Uint8ClampedArray
  channels: 3 | 4
}

/**
 * Paint `strokes` in order onto `cutout` (in place), reading colours from `original` (same size).
 * `scale` maps photo pixels to the raster's (the editor's preview is smaller than the photo).
 */
export function applyStrokes(cutout: RgbaRaster, original: ColourSource, strokes: readonly TouchUpStroke[], scale = 1): void {
  for (const stroke of strokes) applyStroke(cutout, original, stroke, scale)
}

export function applyStroke(cutout: RgbaRaster, original: ColourSource, stroke: TouchUpStroke, scale = 1): void {
  const coverage = strokeCoverage(cutout.width, cutout.height, original, stroke, scale)
  if (coverage === null) return
  const { data, width } = cutout
  const { left, top, right, bottom, values } = coverage
  const span = right - left
  const channels = original.channels
  const source = original.data
  for (let y = top; y < bottom; y++) {
    for (let x = left; x < right; x++) {
      const c = values[(y - top) * span + (x - left)]!
      if (c <= 0) continue
      const i = (y * width + x) * 4
      const a = data[i + 3]!
      if (stroke.mode === 'erase') {
        data[i + 3] = Math.round(a * (1 - c))
        continue
      }
      const next = a + (255 - a) * c
      if (next <= a) continue
      const added = next - a
      const j = (y * width + x) * channels
      data[i] = Math.round((data[i]! * a + source[j]! * added) / next)
      data[i + 1] = Math.round((data[i + 1]! * a + source[j + 1]! * added) / next)
      data[i + 2] = Math.round((data[i + 2]! * a + source[j + 2]! * added) / next)
      data[i + 3] = Math.round(next)
    }
  }
}

interface Coverage {
  left: number
  top: number
  right: number
  bottom: number
  values: Float32Array
}

/** The stroke's coverage (0-1) over its bounding box, or null when it misses the raster. */
export function strokeCoverage(
  width: number,
  height: number,
  original: ColourSource,
  stroke: TouchUpStroke,
  scale: number,
): Coverage | null {
  const points = stroke.points
  if (points.length < 2) return null
  const radius = Math.max(0.5, (stroke.size * scale) / 2)
  const hard = radius * (1 - Math.min(1, Math.max(0, stroke.softness)))
  let minX = Infinity
  let minY = Infinity
  let maxX = -Infinity
  let maxY = -Infinity
  for (let k = 0; k + 1 < points.length; k += 2) {
    const x = points[k]! * scale
    const y = points[k + 1]! * scale
    if (x < minX) minX = x
    if (x > maxX) maxX = x
    if (y < minY) minY = y
    if (y > maxY) maxY = y
  }
  const left = Math.max(0, Math.floor(minX - radius))
  const top = Math.max(0, Math.floor(minY - radius))
  const right = Math.min(width, Math.ceil(maxX + radius) + 1)
  const bottom = Math.min(height, Math.ceil(maxY + radius) + 1)
  if (left >= right || top >= bottom) return null
  const span = right - left
  const values = new Float32Array(span * (bottom - top))
  const channels = original.channels
  const source = original.data
  const stamp = (cx: number, cy: number): void => {
    const x0 = Math.max(left, Math.floor(cx - radius))
    const x1 = Math.min(right, Math.ceil(cx + radius) + 1)
    const y0 = Math.max(top, Math.floor(cy - radius))
    const y1 = Math.min(bottom, Math.ceil(cy + radius) + 1)
    let r0 = 0
    let g0 = 0
    let b0 = 0
    if (stroke.edgeAware) {
      const px = Math.min(width - 1, Math.max(0, Math.floor(cx)))
      const py = Math.min(height - 1, Math.max(0, Math.floor(cy)))
      const j = (py * width + px) * channels
      r0 = source[j]!
      g0 = source[j + 1]!
      b0 = source[j + 2]!
    }
    for (let y = y0; y < y1; y++) {
      // Pixel centres are at +0.5.
      const dy = y + 0.5 - cy
      for (let x = x0; x < x1; x++) {
        const dx = x + 0.5 - cx
        const d = Math.sqrt(dx * dx + dy * dy)
        if (d >= radius) continue
        let f = d <= hard ? 1 : smoothFade((radius - d) / (radius - hard))
        if (stroke.edgeAware) {
          const j = (y * width + x) * channels
          const dr = source[j]! - r0
          const dg = source[j + 1]! - g0
          const db = source[j + 2]! - b0
          const similarity = 1 - Math.sqrt(dr * dr + dg * dg + db * db) / EDGE_TOLERANCE
          if (similarity <= 0) continue
          f *= similarity
        }
        const index = (y - top) * span + (x - left)
        if (f > values[index]!) values[index] = f
      }
    }
  }
  // Stamps a quarter of a radius apart (at least half a pixel) along each segment.
  const step = Math.max(0.5, radius / 4)
  let px = points[0]! * scale
  let py = points[1]! * scale
  stamp(px, py)
  for (let k = 2; k + 1 < points.length; k += 2) {
    const qx = points[k]! * scale
    const qy = points[k + 1]! * scale
    const length = Math.hypot(qx - px, qy - py)
    const count = Math.ceil(length / step)
    for (let s = 1; s <= count; s++) stamp(px + ((qx - px) * s) / count, py + ((qy - py) * s) / count)
    px = qx
    py = qy
  }
  return { left, top, right, bottom, values }
}

/** 0 → 0, 1 → 1, flat at both ends. */
function smoothFade(t: number): number {
  const c = Math.min(1, Math.max(0, t))
  return c * c * (3 - 2 * c)
}
