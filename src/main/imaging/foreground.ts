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
 * which keeps this stage cheap beside inference on a 2-core machine.
 */
import sharp from 'sharp'

/** The long edge of the grid on which the local means are computed. */
const WORK_LONG_EDGE = 640
/** Radii as fractions of the work grid's long edge: the paper's 90 px and 6 px at ~2000 px. */
const WIDE_RADIUS_FRACTION = 0.045
const NARROW_RADIUS_FRACTION = 0.003
const EPSILON = 1e-5

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
  options: { clearTransparent: boolean } = { clearTransparent: true },
): Promise<void> {
  if (!hasEdgeBand(alpha)) {
    if (options.clearTransparent) clearTransparentPixels(rgb, alpha)
    return
  }
  const scale = Math.min(1, WORK_LONG_EDGE / Math.max(width, height))
  const ww = Math.max(1, Math.round(width * scale))
  const wh = Math.max(1, Math.round(height * scale))
  const [smallRgb, smallAlpha] = await Promise.all([
    scale === 1 ? rgb : resizeRaw(rgb, width, height, 3, ww, wh),
    scale === 1 ? Buffer.from(alpha.buffer, alpha.byteOffset, alpha.byteLength) : resizeRaw(alpha, width, height, 1, ww, wh),
  ])
  const means = localMeans(smallRgb, smallAlpha, ww, wh)
  applyAtFullResolution(rgb, alpha, width, height, means, ww, wh, options.clearTransparent)
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

function localMeans(rgb8: Buffer, alpha8: Buffer, w: number, h: number): LocalMeans {
  const n = w * h
  const image = new Float32Array(n * 3)
  const alpha = new Float32Array(n)
  for (let i = 0, k = 0; i < n; i++, k += 3) {
    image[i] = rgb8[k]! / 255
    image[n + i] = rgb8[k + 1]! / 255
    image[2 * n + i] = rgb8[k + 2]! / 255
    alpha[i] = alpha8[i]! / 255
  }
  const longEdge = Math.max(w, h)
  const wide = Math.max(2, Math.round(longEdge * WIDE_RADIUS_FRACTION))
  const narrow = Math.max(1, Math.round(longEdge * NARROW_RADIUS_FRACTION))
  const blur = new BoxBlur(w, h)

  // Pass 1: F = B = I.
  const first = blurFusion(image, image, image, alpha, wide, blur, n)
  // Pass 2: F from pass 1, B is pass 1's background mean.
  const second = blurFusion(image, first.estimate, first.bg, alpha, narrow, blur, n)
  return { fg: second.fg, bg: second.bg }
}

/** One blur-fusion step: the α-weighted local means and the resulting foreground estimate. */
function blurFusion(
  image: Float32Array,
  fgIn: Float32Array,
  bgIn: Float32Array,
  alpha: Float32Array,
  radius: number,
  blur: BoxBlur,
  n: number,
): { fg: Float32Array; bg: Float32Array; estimate: Float32Array } {
  const sumAlpha = blur.sum(alpha, radius)
  const count = blur.count(radius)
  const fg = new Float32Array(n * 3)
  const bg = new Float32Array(n * 3)
  const estimate = new Float32Array(n * 3)
  const weighted = new Float32Array(n)
  for (let c = 0; c < 3; c++) {
    const offset = c * n
    for (let i = 0; i < n; i++) weighted[i] = fgIn[offset + i]! * alpha[i]!
    const sumFg = blur.sum(weighted, radius)
    for (let i = 0; i < n; i++) fg[offset + i] = sumFg[i]! / (sumAlpha[i]! + EPSILON)
    for (let i = 0; i < n; i++) weighted[i] = bgIn[offset + i]! * (1 - alpha[i]!)
    const sumBg = blur.sum(weighted, radius)
    for (let i = 0; i < n; i++) bg[offset + i] = sumBg[i]! / (count[i]! - sumAlpha[i]! + EPSILON)
    for (let i = 0; i < n; i++) {
      const a = alpha[i]!
      const f = fg[offset + i]!
      const value = f + a * (image[offset + i]! - a * f - (1 - a) * bg[offset + i]!)
      estimate[offset + i] = value < 0 ? 0 : value > 1 ? 1 : value
    }
  }
  return { fg, bg, estimate }
}

/**
 * Window sums over (2r+1)² boxes clipped to the image, in O(pixels) whatever the radius.
 * Sums rather than means: every quantity above is a ratio of two sums over the same window,
 * so the clipped border needs no separate normalisation.
 */
class BoxBlur {
  private readonly row: Float64Array
  private readonly temp: Float32Array

  constructor(
    private readonly w: number,
    private readonly h: number,
  ) {
    this.row = new Float64Array(Math.max(w, h) + 1)
    this.temp = new Float32Array(w * h)
  }

  /** The number of pixels in each clipped window (what sum() of an all-ones image would give). */
  count(r: number): Float32Array {
    const { w, h } = this
    const out = new Float32Array(w * h)
    const span = (i: number, size: number): number => Math.min(size - 1, i + r) - Math.max(0, i - r) + 1
    for (let y = 0; y < h; y++) {
      const rows = span(y, h)
      for (let x = 0; x < w; x++) out[y * w + x] = rows * span(x, w)
    }
    return out
  }

  sum(src: Float32Array, r: number): Float32Array {
    const { w, h, temp, row } = this
    const out = new Float32Array(w * h)
    // Horizontal: prefix sums per row.
    for (let y = 0; y < h; y++) {
      const base = y * w
      row[0] = 0
      for (let x = 0; x < w; x++) row[x + 1] = row[x]! + src[base + x]!
      for (let x = 0; x < w; x++) {
        const lo = x - r < 0 ? 0 : x - r
        const hi = x + r + 1 > w ? w : x + r + 1
        temp[base + x] = row[hi]! - row[lo]!
      }
    }
    // Vertical: prefix sums per column.
    for (let x = 0; x < w; x++) {
      row[0] = 0
      for (let y = 0; y < h; y++) row[y + 1] = row[y]! + temp[y * w + x]!
      for (let y = 0; y < h; y++) {
        const lo = y - r < 0 ? 0 : y - r
        const hi = y + r + 1 > h ? h : y + r + 1
        out[y * w + x] = row[hi]! - row[lo]!
      }
    }
    return out
  }
}

function applyAtFullResolution(
  rgb: Buffer,
  alpha: Uint8Array,
  width: number,
  height: number,
  means: LocalMeans,
  ww: number,
  wh: number,
  clearTransparent: boolean,
): void {
  const n = ww * wh
  const { fg, bg } = means
  // Bilinear sampling positions on the work grid (pixel centres aligned), per column and row.
  const sx = ww / width
  const sy = wh / height
  const col0 = new Int32Array(width)
  const col1 = new Int32Array(width)
  const colT = new Float32Array(width)
  for (let x = 0; x < width; x++) {
    const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), ww - 1)
    const x0 = Math.floor(fx)
    col0[x] = x0
    col1[x] = x0 + 1 < ww ? x0 + 1 : x0
    colT[x] = fx - x0
  }
  for (let y = 0; y < height; y++) {
    const rowBase = y * width
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), wh - 1)
    const y0 = Math.floor(fy)
    const r0 = y0 * ww
    const r1 = (y0 + 1 < wh ? y0 + 1 : y0) * ww
    const dy = fy - y0
    for (let x = 0; x < width; x++) {
      const i = rowBase + x
      const a8 = alpha[i]!
      if (a8 === 255) continue
      const k = i * 3
      if (a8 === 0) {
        if (clearTransparent) {
          rgb[k] = 0
          rgb[k + 1] = 0
          rgb[k + 2] = 0
        }
        continue
      }
      const a = a8 / 255
      const dx = colT[x]!
      const w11 = dx * dy
      const w10 = dy - w11
      const w01 = dx - w11
      const w00 = 1 - dx - dy + w11
      const p00 = r0 + col0[x]!
      const p01 = r0 + col1[x]!
      const p10 = r1 + col0[x]!
      const p11 = r1 + col1[x]!
      for (let c = 0, o = 0; c < 3; c++, o += n) {
        const f = fg[o + p00]! * w00 + fg[o + p01]! * w01 + fg[o + p10]! * w10 + fg[o + p11]! * w11
        const b = bg[o + p00]! * w00 + bg[o + p01]! * w01 + bg[o + p10]! * w10 + bg[o + p11]! * w11
        const value = f + a * (rgb[k + c]! / 255 - a * f - (1 - a) * b)
        rgb[k + c] = value <= 0 ? 0 : value >= 1 ? 255 : (value * 255 + 0.5) | 0
      }
    }
  }
}
