/**
 * Foreground colour estimation for soft edges ("edge decontamination"): in a pixel that is 40 %
 * subject and 60 % old background, the photo's colour is a blend of both; painted with alpha 0.4
 * on a new background it leaves a halo of the old one. We estimate the pure subject colour F
 * there with blur-fusion foreground estimation (Forte & Pitié, "Approximate Fast Foreground
 * Colour Estimation", ICIP 2021): F = F̄ + α(I − αF̄ − (1−α)B̄), where F̄ and B̄ are the local
 * α-weighted means of foreground and background, run twice (a wide pass, then a narrow one).
 *
 * [Note: low-resolution blur fusion] F̄ and B̄ are smooth by construction (box means over tens of
 * pixels), so we compute both passes at a work resolution of at most WORK_LONG_EDGE pixels and
 * only evaluate the final formula at full resolution, and only where 0 < α < 255 (the edge band,
 * typically a few per cent of a photo). A 24 MP photo then costs little more than a 0.3 MP one,
 * which keeps this stage cheap beside inference on a 2-core machine. When the caller has the same
 * picture and alpha at a lower resolution anyway (the local engine's model input and mask), the
 * work grid is scaled from those instead of from the full-resolution buffers.
 */
import sharp from 'sharp'
import type { RowSpans } from './mask'

/**
 * The long edge of the grid on which the local means are computed. Measured on the test's red
 * disc over green at 1600 x 1200: edge colour error 5.37 at 640, 5.39 at 480, 5.50 at 400 (of
 * 255; 41.8 without decontamination), while the grid's cost falls with its area; 480 keeps the
 * estimate and costs half of 640.
 */
const WORK_LONG_EDGE = 480
/** Radii as fractions of the work grid's long edge: the paper's 90 px and 6 px at ~2000 px. */
const WIDE_RADIUS_FRACTION = 0.045
const NARROW_RADIUS_FRACTION = 0.003
const EPSILON = 1e-5
/** Float planes of the work grid's size that localMeans needs (see FloatSlab). */
const PLANES_PER_PHOTO = 17

/**
 * [Note: reused work buffers] The work grid needs 17 float planes per photo (~10 MB at 480 px).
 * Allocated afresh for every photo they made V8 run a full collection about once per photo (its
 * heuristic for external memory), so one slab, grown to the largest grid seen, is carved up
 * again for each photo. Nothing carved from it outlives one synchronous localMeans call: its
 * result is copied into the EdgeRows grid, which may be used across awaits (streaming).
 */
class FloatSlab {
  private buffer = new Float32Array(0)
  private used = 0

  begin(total: number): void {
    if (this.buffer.length < total) this.buffer = new Float32Array(total)
    this.used = 0
  }

  take(length: number): Float32Array {
    if (this.used + length > this.buffer.length) throw new Error('FloatSlab: more taken than begun')
    const view = this.buffer.subarray(this.used, this.used + length)
    this.used += length
    return view
  }
}

const slab = new FloatSlab()

/** The image and its alpha at a lower resolution (any aspect ratio: they are stretched back). */
export interface LowResolutionView {
  /** width * height * 3 bytes, RGB interleaved. */
  rgb: Uint8Array
  /** width * height bytes. */
  alpha: Uint8Array
  width: number
  height: number
}

export interface DecontaminateOptions {
  /** Set fully transparent pixels to black. */
  clearTransparent: boolean
  /** The same picture and alpha at lower resolution, to build the work grid from cheaply. */
  lowResolution?: LowResolutionView
}

/**
 * Replace the colour of every partly transparent pixel of `rgb` (in place) by its estimated
 * foreground colour. Fully opaque pixels are left untouched; fully transparent ones are set to
 * black when `clearTransparent` is true (invisible either way, and they compress far better).
 */
export async function decontaminateEdges(
  rgb: Buffer,
  alpha: Uint8Array,
  width: number,
  height: number,
  options: DecontaminateOptions = { clearTransparent: true },
): Promise<void> {
  if (!hasEdgeBand(alpha)) {
    if (options.clearTransparent) clearTransparentPixels(rgb, alpha)
    return
  }
  const { scale, ww, wh } = workGrid(width, height)
  // Shrinking a 1024² view costs a fraction of shrinking a 24 MP photo; a view smaller than the
  // grid would blur it, so then the full-resolution buffers are used.
  const view = options.lowResolution
  const source = view && view.width >= ww && view.height >= wh ? view : { rgb, alpha, width, height }
  const [smallRgb, smallAlpha] = await Promise.all([
    scale === 1 ? rgb : resizeRaw(source.rgb, source.width, source.height, 3, ww, wh),
    scale === 1 ? Buffer.from(alpha.buffer, alpha.byteOffset, alpha.byteLength) : resizeRaw(source.alpha, source.width, source.height, 1, ww, wh),
  ])
  const rows = edgeRows(smallRgb, smallAlpha, ww, wh, width, height, options.clearTransparent)
  for (let y = 0; y < height; y++) rows.apply(y, rgb, y * width * 3, alpha, y * width)
}

/**
 * Decontamination one full-resolution row at a time, for a caller that never holds the whole
 * full-resolution alpha (compose.ts' streaming path): the work grid comes from `view` alone.
 * Null when the photo is no larger than the work grid or the view is too small for it; the
 * caller then uses decontaminateEdges on whole buffers.
 */
export async function planEdgeRows(width: number, height: number, view: LowResolutionView, clearTransparent: boolean): Promise<EdgeRows | null> {
  const { scale, ww, wh } = workGrid(width, height)
  if (scale === 1 || view.width < ww || view.height < wh) return null
  const [smallRgb, smallAlpha] = await Promise.all([
    resizeRaw(view.rgb, view.width, view.height, 3, ww, wh),
    resizeRaw(view.alpha, view.width, view.height, 1, ww, wh),
  ])
  return edgeRows(smallRgb, smallAlpha, ww, wh, width, height, clearTransparent)
}

function workGrid(width: number, height: number): { scale: number; ww: number; wh: number } {
  const scale = Math.min(1, WORK_LONG_EDGE / Math.max(width, height))
  return { scale, ww: Math.max(1, Math.round(width * scale)), wh: Math.max(1, Math.round(height * scale)) }
}

/** The local means of a work grid, ready to be applied row by row at full resolution. */
function edgeRows(smallRgb: Uint8Array, smallAlpha: Uint8Array, ww: number, wh: number, width: number, height: number, clearTransparent: boolean): EdgeRows {
  slab.begin(PLANES_PER_PHOTO * ww * wh)
  // The grid is built from the slab's planes before anything else can take them again.
  return new EdgeRows(localMeans(smallRgb, smallAlpha, ww, wh), ww, wh, width, height, clearTransparent)
}

function hasEdgeBand(alpha: Uint8Array): boolean {
  for (let i = 0; i < alpha.length; i++) {
    const a = alpha[i]!
    if (a !== 0 && a !== 255) return true
  }
  return false
}

/** Set the colour of fully transparent pixels to black. */
export function clearTransparentPixels(rgb: Buffer, alpha: Uint8Array): void {
  for (let i = 0, k = 0; i < alpha.length; i++, k += 3) {
    if (alpha[i] === 0) {
      rgb[k] = 0
      rgb[k + 1] = 0
      rgb[k + 2] = 0
    }
  }
}

async function resizeRaw(data: Uint8Array, width: number, height: number, channels: 1 | 3, w: number, h: number): Promise<Buffer> {
  const resized = sharp(data, { raw: { width, height, channels } }).resize(w, h, { fit: 'fill', kernel: 'linear' })
  // One-band raw input is treated as sRGB on output unless told otherwise.
  return (channels === 1 ? resized.toColourspace('b-w') : resized).raw()
    .toBuffer()
}

/** The final pass's F̄ and B̄ on the work grid, planar RGB in [0, 1]. */
interface LocalMeans {
  fg: Float32Array
  bg: Float32Array
}

function localMeans(rgb8: Uint8Array, alpha8: Uint8Array, w: number, h: number): LocalMeans {
  const n = w * h
  const image = slab.take(n * 3)
  const alpha = slab.take(n)
  for (let i = 0, k = 0; i < n; i++, k += 3) {
    image[i] = rgb8[k]! / 255
    image[n + i] = rgb8[k + 1]! / 255
    image[2 * n + i] = rgb8[k + 2]! / 255
    alpha[i] = alpha8[i]! / 255
  }
  const longEdge = Math.max(w, h)
  const wide = Math.max(2, Math.round(longEdge * WIDE_RADIUS_FRACTION))
  const narrow = Math.max(1, Math.round(longEdge * NARROW_RADIUS_FRACTION))
  const scratch = new FusionScratch(w, h)
  const fg = slab.take(n * 3)
  const bg = slab.take(n * 3)

  // Pass 1: F = B = I; fg receives the foreground estimate, bg the background mean.
  blurFusion(image, image, image, alpha, wide, scratch, fg, bg, true)
  // Pass 2: F from pass 1, B is pass 1's background mean; both updated in place to the means.
  blurFusion(image, fg, bg, alpha, narrow, scratch, fg, bg, false)
  return { fg, bg }
}

/** Buffers one blur-fusion pass needs, taken from the slab once per image rather than per channel. */
class FusionScratch {
  readonly blur: BoxBlur
  readonly sumAlpha: Float32Array
  readonly count: Float32Array
  readonly weightedFg: Float32Array
  readonly weightedBg: Float32Array
  readonly sumFg: Float32Array
  readonly sumBg: Float32Array

  constructor(w: number, h: number) {
    const n = w * h
    this.blur = new BoxBlur(w, h)
    this.sumAlpha = slab.take(n)
    this.count = slab.take(n)
    this.weightedFg = slab.take(n)
    this.weightedBg = slab.take(n)
    this.sumFg = slab.take(n)
    this.sumBg = slab.take(n)
  }
}

/**
 * One blur-fusion step: the α-weighted local means F̄ (or, with `estimate`, the resulting
 * foreground estimate) into `fgOut` and B̄ into `bgOut`. The outputs may be the inputs: each
 * channel's inputs are consumed before that channel's outputs are written.
 */
function blurFusion(
  image: Float32Array,
  fgIn: Float32Array,
  bgIn: Float32Array,
  alpha: Float32Array,
  radius: number,
  scratch: FusionScratch,
  fgOut: Float32Array,
  bgOut: Float32Array,
  estimate: boolean,
): void {
  const { blur, sumAlpha, count, weightedFg, weightedBg, sumFg, sumBg } = scratch
  const n = alpha.length
  blur.sum(alpha, radius, sumAlpha)
  blur.count(radius, count)
  // The two denominators are the same for all three channels: store their reciprocals in place
  // (sumAlpha becomes 1 / Σα, count becomes 1 / Σ(1-α)), so the channel loops multiply.
  const inverseFgWeight = sumAlpha
  const inverseBgWeight = count
  for (let i = 0; i < n; i++) {
    const weight = sumAlpha[i]!
    inverseBgWeight[i] = 1 / (count[i]! - weight + EPSILON)
    inverseFgWeight[i] = 1 / (weight + EPSILON)
  }
  for (let c = 0; c < 3; c++) {
    const offset = c * n
    for (let i = 0; i < n; i++) {
      const a = alpha[i]!
      weightedFg[i] = fgIn[offset + i]! * a
      weightedBg[i] = bgIn[offset + i]! * (1 - a)
    }
    blur.sum(weightedFg, radius, sumFg)
    blur.sum(weightedBg, radius, sumBg)
    // Every read of channel c's inputs happened above, so the outputs may overwrite them.
    for (let i = 0; i < n; i++) {
      const f = sumFg[i]! * inverseFgWeight[i]!
      const b = sumBg[i]! * inverseBgWeight[i]!
      bgOut[offset + i] = b
      if (!estimate) {
        fgOut[offset + i] = f
        continue
      }
      const a = alpha[i]!
      const value = f + a * (image[offset + i]! - a * f - (1 - a) * b)
      fgOut[offset + i] = value < 0 ? 0 : value > 1 ? 1 : value
    }
  }
}

/**
 * Window sums over (2r+1)² boxes clipped to the image, in O(pixels) whatever the radius.
 * Sums rather than means: every quantity above is a ratio of two sums over the same window,
 * so the clipped border needs no separate normalisation.
 */
class BoxBlur {
  private readonly temp: Float32Array
  private readonly acc: Float64Array

  constructor(
    private readonly w: number,
    private readonly h: number,
  ) {
    this.temp = slab.take(w * h)
    this.acc = new Float64Array(w)
  }

  /** The number of pixels in each clipped window (what sum() of an all-ones image would give). */
  count(r: number, out: Float32Array): void {
    const { w, h } = this
    const span = (i: number, size: number): number => Math.min(size - 1, i + r) - Math.max(0, i - r) + 1
    for (let y = 0; y < h; y++) {
      const rows = span(y, h)
      for (let x = 0; x < w; x++) out[y * w + x] = rows * span(x, w)
    }
  }

  sum(src: Float32Array, r: number, out: Float32Array): void {
    const { w, h, temp, acc } = this
    // Horizontal: a sliding window along each row (add the pixel entering, drop the one leaving),
    // in three stretches so the middle one, most of the row, has no bounds tests.
    const grown = Math.min(w, r + 1)
    const slideEnd = Math.max(grown, w - r)
    for (let y = 0; y < h; y++) {
      const base = y * w
      let sum = 0
      for (let x = 0; x < r && x < w; x++) sum += src[base + x]!
      let x = 0
      for (; x < grown; x++) {
        if (x + r < w) sum += src[base + x + r]!
        temp[base + x] = sum
      }
      for (; x < slideEnd; x++) {
        sum += src[base + x + r]!
        sum -= src[base + x - r - 1]!
        temp[base + x] = sum
      }
      for (; x < w; x++) {
        sum -= src[base + x - r - 1]!
        temp[base + x] = sum
      }
    }
    // Vertical: the same with whole rows, so memory is read row by row rather than down columns.
    acc.fill(0)
    for (let y = 0; y < r && y < h; y++) {
      const base = y * w
      for (let x = 0; x < w; x++) acc[x] = acc[x]! + temp[base + x]!
    }
    for (let y = 0; y < h; y++) {
      const entering = (y + r) * w
      const leaving = (y - r - 1) * w
      const base = y * w
      if (y + r < h && leaving >= 0) {
        for (let x = 0; x < w; x++) {
          const value = acc[x]! + temp[entering + x]! - temp[leaving + x]!
          acc[x] = value
          out[base + x] = value
        }
        continue
      }
      if (y + r < h) for (let x = 0; x < w; x++) acc[x] = acc[x]! + temp[entering + x]!
      if (leaving >= 0) for (let x = 0; x < w; x++) acc[x] = acc[x]! - temp[leaving + x]!
      for (let x = 0; x < w; x++) out[base + x] = acc[x]!
    }
  }
}

/**
 * The final blur-fusion formula at full resolution, one row at a time (rows in increasing order:
 * two interpolated grid rows are cached). Fully opaque pixels are left alone; fully transparent
 * ones are set to black when clearTransparent is true.
 */
export class EdgeRows {
  /** F̄ and B̄ interleaved per grid point (fr, fg, fb, br, bg, bb), scaled to 0-255. */
  private readonly grid: Float32Array
  private readonly col0: Int32Array
  private readonly col1: Int32Array
  private readonly colT: Float32Array
  private upper: Float32Array
  private lower: Float32Array
  private upperRow = -1
  private lowerRow = -1
  /** The alpha buffer seen as 32-bit words (for skipping four flat pixels at a time). */
  private words: Uint32Array | undefined

  constructor(
    means: LocalMeans,
    private readonly ww: number,
    private readonly wh: number,
    private readonly width: number,
    private readonly height: number,
    private readonly clearTransparent: boolean,
  ) {
    const n = ww * wh
    // Copied out of the slab, so a sample reads one run and the slab is free again.
    const grid = new Float32Array(n * 6)
    for (let i = 0, o = 0; i < n; i++, o += 6) {
      grid[o] = means.fg[i]! * 255
      grid[o + 1] = means.fg[n + i]! * 255
      grid[o + 2] = means.fg[2 * n + i]! * 255
      grid[o + 3] = means.bg[i]! * 255
      grid[o + 4] = means.bg[n + i]! * 255
      grid[o + 5] = means.bg[2 * n + i]! * 255
    }
    this.grid = grid
    // Bilinear sampling positions on the work grid (pixel centres aligned), per column.
    const sx = ww / width
    this.col0 = new Int32Array(width)
    this.col1 = new Int32Array(width)
    this.colT = new Float32Array(width)
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), ww - 1)
      const x0 = Math.floor(fx)
      this.col0[x] = x0
      this.col1[x] = x0 + 1 < ww ? x0 + 1 : x0
      this.colT[x] = fx - x0
    }
    this.upper = new Float32Array(width * 6)
    this.lower = new Float32Array(width * 6)
  }

  /**
   * Row `y`: the pixels of `rgb` from `rgbOffset` and their alpha in `alpha` from `alphaOffset`
   * (any buffers: the whole image, or one row). With the row's `spans` (from the mask upsizer)
   * only its soft spans are visited; without, the whole row is scanned for soft pixels.
   */
  apply(y: number, rgb: Uint8Array, rgbOffset: number, alpha: Uint8Array, alphaOffset: number, spans?: RowSpans): void {
    if (!spans) {
      this.scan(y, rgb, rgbOffset, alpha, alphaOffset)
      return
    }
    const { count, ends, values } = spans
    for (let i = 0, start = 0; i < count; start = ends[i]!, i++) {
      const value = values[i]!
      if (value === 255) continue
      if (value === 0) {
        if (this.clearTransparent) rgb.fill(0, rgbOffset + start * 3, rgbOffset + ends[i]! * 3)
        continue
      }
      this.blendRange(y, rgb, rgbOffset, alpha, alphaOffset, start, ends[i]!)
    }
  }

  /** apply() without spans: skip opaque (and, unless clearing, transparent) pixels as found. */
  private scan(y: number, rgb: Uint8Array, rgbOffset: number, alpha: Uint8Array, alphaOffset: number): void {
    const { width, clearTransparent } = this
    // Four alpha bytes at a time where they are aligned: most of a photo is fully opaque or
    // fully transparent, and skipping those runs word by word is most of this loop's saving.
    if (this.words?.buffer !== alpha.buffer) this.words = new Uint32Array(alpha.buffer, 0, alpha.buffer.byteLength >> 2)
    const words = this.words
    const first = alpha.byteOffset + alphaOffset
    for (let x = 0; x < width; x++) {
      const byte = first + x
      if ((byte & 3) === 0 && x + 4 <= width) {
        const word = words[byte >> 2]!
        if (word === 0xffffffff || (word === 0 && !clearTransparent)) {
          x += 3
          continue
        }
      }
      const a8 = alpha[alphaOffset + x]!
      if (a8 === 255) continue
      if (a8 === 0) {
        if (clearTransparent) {
          const k = rgbOffset + x * 3
          rgb[k] = 0
          rgb[k + 1] = 0
          rgb[k + 2] = 0
        }
        continue
      }
      // A run of soft pixels: blended together, so the grid rows are looked up once per run.
      let end = x + 1
      while (end < width && alpha[alphaOffset + end] !== 0 && alpha[alphaOffset + end] !== 255) end++
      this.blendRange(y, rgb, rgbOffset, alpha, alphaOffset, x, end)
      x = end - 1
    }
  }

  /** The blur-fusion formula on pixels [from, to) of row y; opaque or clear ones among them are kept. */
  private blendRange(y: number, rgb: Uint8Array, rgbOffset: number, alpha: Uint8Array, alphaOffset: number, from: number, to: number): void {
    const dy = this.sampleRows(y)
    const { upper, lower, clearTransparent } = this
    for (let x = from; x < to; x++) {
      const a8 = alpha[alphaOffset + x]!
      if (a8 === 255) continue
      const k = rgbOffset + x * 3
      if (a8 === 0) {
        if (clearTransparent) {
          rgb[k] = 0
          rgb[k + 1] = 0
          rgb[k + 2] = 0
        }
        continue
      }
      const kf = KEEP_FOREGROUND[a8]!
      const ki = KEEP_IMAGE[a8]!
      const db = DROP_BACKGROUND[a8]!
      const o = x * 6
      // Unrolled over the three channels: this is the innermost loop of the whole stage.
      const u0 = upper[o]!
      const u1 = upper[o + 1]!
      const u2 = upper[o + 2]!
      const u3 = upper[o + 3]!
      const u4 = upper[o + 4]!
      const u5 = upper[o + 5]!
      const r = kf * (u0 + dy * (lower[o]! - u0)) + ki * rgb[k]! - db * (u3 + dy * (lower[o + 3]! - u3))
      const g = kf * (u1 + dy * (lower[o + 1]! - u1)) + ki * rgb[k + 1]! - db * (u4 + dy * (lower[o + 4]! - u4))
      const b = kf * (u2 + dy * (lower[o + 2]! - u2)) + ki * rgb[k + 2]! - db * (u5 + dy * (lower[o + 5]! - u5))
      rgb[k] = r <= 0 ? 0 : r >= 255 ? 255 : (r + 0.5) | 0
      rgb[k + 1] = g <= 0 ? 0 : g >= 255 ? 255 : (g + 0.5) | 0
      rgb[k + 2] = b <= 0 ? 0 : b >= 255 ? 255 : (b + 0.5) | 0
    }
  }

  /**
   * [Note: separable sampling] A grid row interpolated across the full width serves the ~10
   * full-resolution rows between two grid rows, so each edge pixel only blends two cached rows
   * instead of reading and weighting four grid points per channel. Returns the vertical weight.
   */
  private sampleRows(y: number): number {
    const { wh } = this
    const fy = Math.min(Math.max((y + 0.5) * (wh / this.height) - 0.5, 0), wh - 1)
    const y0 = Math.floor(fy)
    const y1 = y0 + 1 < wh ? y0 + 1 : y0
    if (this.upperRow !== y0) {
      if (this.lowerRow === y0) {
        const swap = this.upper
        this.upper = this.lower
        this.lower = swap
        this.upperRow = y0
        this.lowerRow = -1
      } else {
        this.interpolateRow(y0, this.upper)
        this.upperRow = y0
      }
    }
    if (this.lowerRow !== y1) {
      this.interpolateRow(y1, this.lower)
      this.lowerRow = y1
    }
    return fy - y0
  }

  private interpolateRow(gridRow: number, into: Float32Array): void {
    const { grid, col0, col1, colT, width } = this
    const base = gridRow * this.ww * 6
    for (let x = 0, o = 0; x < width; x++, o += 6) {
      const a = base + col0[x]! * 6
      const b = base + col1[x]! * 6
      const t = colT[x]!
      // Unrolled: this runs for every pixel of ~400 full-width rows per photo.
      const a0 = grid[a]!
      const a1 = grid[a + 1]!
      const a2 = grid[a + 2]!
      const a3 = grid[a + 3]!
      const a4 = grid[a + 4]!
      const a5 = grid[a + 5]!
      into[o] = a0 + t * (grid[b]! - a0)
      into[o + 1] = a1 + t * (grid[b + 1]! - a1)
      into[o + 2] = a2 + t * (grid[b + 2]! - a2)
      into[o + 3] = a3 + t * (grid[b + 3]! - a3)
      into[o + 4] = a4 + t * (grid[b + 4]! - a4)
      into[o + 5] = a5 + t * (grid[b + 5]! - a5)
    }
  }
}

/** F = F̄ + α(I − αF̄ − (1−α)B̄) = (1−α²)F̄ + αI − α(1−α)B̄: three factors per alpha value. */
const KEEP_FOREGROUND = new Float32Array(256)
const KEEP_IMAGE = new Float32Array(256)
const DROP_BACKGROUND = new Float32Array(256)
for (let v = 0; v < 256; v++) {
  const a = v / 255
  KEEP_FOREGROUND[v] = 1 - a * a
  KEEP_IMAGE[v] = a
  DROP_BACKGROUND[v] = a * (1 - a)
}
