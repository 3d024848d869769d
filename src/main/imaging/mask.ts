/**
 * Alpha masks: scaling a model's (or a remote service's) low-resolution mask to the original's
 * size, and finding the subject's bounding box for cropping. Masks are 8-bit, one byte a pixel.
 */
import sharp from 'sharp'

/**
 * Scale a mask to `width` x `height` with a high-quality filter. The mask need not have the
 * original's aspect ratio: models see a squashed square, so it is stretched back.
 *
 * Upsizing (the usual case: a 1024² model mask onto a photo of many megapixels) is done here by
 * upsizeMask; an axis that shrinks (small photos) first goes through libvips' reduce, whose
 * Mitchell kernel low-passes properly, and is then left alone by upsizeMask.
 */
export async function resizeMask(
  mask: Uint8Array,
  maskWidth: number,
  maskHeight: number,
  width: number,
  height: number,
): Promise<Buffer> {
  if (maskWidth === width && maskHeight === height) return Buffer.from(mask)
  if (width >= maskWidth && height >= maskHeight) return upsizeMask(mask, maskWidth, maskHeight, width, height)
  const reducedWidth = Math.min(width, maskWidth)
  const reducedHeight = Math.min(height, maskHeight)
  const reduced = await sharp(mask, { raw: { width: maskWidth, height: maskHeight, channels: 1 } })
    .resize(reducedWidth, reducedHeight, { fit: 'fill', kernel: 'mitchell' })
    // One-band raw input is treated as sRGB on output unless told otherwise.
    .toColourspace('b-w')
    .raw()
    .toBuffer()
  return upsizeMask(reduced, reducedWidth, reducedHeight, width, height)
}

/**
 * [Note: mask upsizing] Bicubic (Catmull-Rom) interpolation in libvips' fixed-point arithmetic:
 * 12-bit weights truncated from the same coefficient formula, sub-pixel positions rounded to
 * 1/64, each of the four row sums rounded before the column sum, the result clipped to 0-255.
 * This is exactly what sharp's `resize` computes when it enlarges (libvips upsizes with its
 * "bicubic" interpolator whatever the kernel), except for one deliberate difference: libvips up
 * to 8.18 samples half an input pixel off centre (fixed upstream in libvips#4909, March 2026),
 * which shifts the mask up and left by up to half a mask pixel (several photo pixels) against the
 * subject; here output pixel x samples the mask at (x + 0.5) / scale - 0.5, centre on centre. The
 * test pins both: with libvips' old offset the result is byte-identical to sharp's.
 *
 * Why not libvips: its affine path evaluates all 16 taps for every output pixel; done
 * separately (1024 rows across, then every output row down, from a four-row ring) and skipping
 * the flat runs that make up most of a mask, the same result costs about a third of the CPU,
 * and on two cores every millisecond outside inference slows the whole batch.
 */
export function upsizeMask(
  mask: Uint8Array,
  maskWidth: number,
  maskHeight: number,
  width: number,
  height: number,
  options: { legacyOffset?: boolean } = {},
): Buffer {
  const rows = maskUpsizer(mask, maskWidth, maskHeight, width, height, options)
  const out = Buffer.allocUnsafe(width * height)
  for (let y = 0; y < height; y++) rows.row(y, out, y * width)
  return out
}

/** An enlarged mask produced one row at a time (cheapest in increasing row order). */
export interface MaskRows {
  /**
   * Write row `y` (width bytes) into `out` at `offset`, and describe it: the spans returned stay
   * valid until the next call.
   */
  row(y: number, out: Uint8Array, offset: number): RowSpans
}

/**
 * [Note: row spans] A row of an enlarged mask cut into runs: most of a cutout's row is exactly 0
 * (background) or 255 (subject), and the soft edge between them is a few per cent of it. The
 * upsizer knows where those runs are from the mask itself, so it fills them natively instead of
 * weighting every pixel, and hands the runs on: decontamination then visits only the soft
 * pixels and the PNG packer packs opaque runs without reading alpha, where each would otherwise
 * scan the whole row byte by byte again.
 */
export interface RowSpans {
  /** Spans in the row, left to right, covering it: span i is [i ? ends[i - 1] : 0, ends[i]). */
  count: number
  ends: Int32Array
  /** Every pixel of span i has alpha values[i] (0-255), or values[i] is VARYING: read them. */
  values: Int16Array
}

/** The value of a span whose pixels differ from one another. */
export const VARYING = -1

/**
 * The rows of upsizeMask without the whole enlarged mask in memory: a caller that consumes the
 * mask row by row (compose.ts' streaming path) never holds the 24 MB of a 24 MP photo's alpha.
 */
export function maskUpsizer(
  mask: Uint8Array,
  maskWidth: number,
  maskHeight: number,
  width: number,
  height: number,
  options: { legacyOffset?: boolean } = {},
): MaskRows {
  if (width < maskWidth || height < maskHeight) throw new Error('upsizeMask only enlarges')
  const columns = sampling(width, maskWidth, options.legacyOffset === true)
  const rows = sampling(height, maskHeight, options.legacyOffset === true)
  const bases = columns.starts.length - 1
  // Rows of the horizontal pass, computed once each as output rows first need them. Values may
  // overshoot 0-255 (Catmull-Rom rings slightly), as in libvips, so they are kept as int16.
  const ring = [0, 1, 2, 3].map(() => new Int16Array(width))
  // Per cached row and column base: the value of its four taps when they are equal, else VARYING.
  const ringFlat = [0, 1, 2, 3].map(() => new Int16Array(bases))
  const ringRow = [-1, -1, -1, -1]
  const across = (row: number): number => {
    const slot = row & 3
    if (ringRow[slot] !== row) {
      upsizeRow(mask, row * maskWidth, maskWidth, columns, ring[slot]!, ringFlat[slot]!)
      ringRow[slot] = row
    }
    return slot
  }
  const last = maskHeight - 1
  // The spans of the current band of output rows (those sharing one base row, so four taps).
  const spans: RowSpans = { count: 0, ends: new Int32Array(bases), values: new Int16Array(bases) }
  let spansBase = Number.NaN
  return {
    row(y, out, offset) {
      const t = y * 4
      const base = rows.base[y]!
      const s0 = across(clamp(base - 1, last))
      const s1 = across(clamp(base, last))
      const s2 = across(clamp(base + 1, last))
      const s3 = across(clamp(base + 2, last))
      if (base !== spansBase) {
        bandSpans(ringFlat[s0]!, ringFlat[s1]!, ringFlat[s2]!, ringFlat[s3]!, columns.starts, spans)
        spansBase = base
      }
      const r0 = ring[s0]!
      const r1 = ring[s1]!
      const r2 = ring[s2]!
      const r3 = ring[s3]!
      const w0 = rows.weights[t]!
      const w1 = rows.weights[t + 1]!
      const w2 = rows.weights[t + 2]!
      const w3 = rows.weights[t + 3]!
      const { count, ends, values } = spans
      for (let i = 0, start = 0; i < count; start = ends[i]!, i++) {
        const end = ends[i]!
        const value = values[i]!
        // Where the four taps of all four rows are one value, the weighted sum is that value
        // (the weights sum to 1 within fixed-point rounding, which cannot move a value of
        // -2048..2047).
        if (value !== VARYING) {
          // fill() is native but costs a call: short runs are cheaper stored one by one.
          if (end - start > 32) out.fill(value, offset + start, offset + end)
          else for (let x = offset + start; x < offset + end; x++) out[x] = value
          continue
        }
        for (let x = start; x < end; x++) {
          const v = (w0 * r0[x]! + w1 * r1[x]! + w2 * r2[x]! + w3 * r3[x]! + ROUND) >> WEIGHT_BITS
          out[offset + x] = v < 0 ? 0 : v > 255 ? 255 : v
        }
      }
      return spans
    },
  }
}

/**
 * The spans of one band of output rows: a column base whose four taps are flat at one value in
 * all four rows gives that value to all its output columns; runs of equal bases are merged.
 */
function bandSpans(f0: Int16Array, f1: Int16Array, f2: Int16Array, f3: Int16Array, starts: Int32Array, spans: RowSpans): void {
  const { ends, values } = spans
  let count = 0
  for (let k = 0; k < f0.length; k++) {
    const end = starts[k + 1]!
    if (end === starts[k]) continue
    const flat = f0[k]!
    const value = flat === f1[k] && flat === f2[k] && flat === f3[k] ? flat : VARYING
    if (count > 0 && values[count - 1] === value) {
      ends[count - 1] = end
      continue
    }
    values[count] = value
    ends[count] = end
    count++
  }
  spans.count = count
}

/** libvips' VIPS_INTERPOLATE_SHIFT and VIPS_TRANSFORM_SCALE. */
const WEIGHT_BITS = 12
const ROUND = 1 << (WEIGHT_BITS - 1)
const SUBPIXELS = 64

/** Catmull-Rom weights of the four taps at each sub-pixel position 0/64 ... 64/64. */
const CATMULL_ROM = (() => {
  const table = new Int32Array((SUBPIXELS + 1) * 4)
  for (let i = 0; i <= SUBPIXELS; i++) {
    const x = i / SUBPIXELS
    const a = 1 - x
    const b = -0.5 * x
    const ab = a * b
    const first = a * ab
    const fourth = x * ab
    const d = fourth - first
    const weights = [first, a - first + d, x - fourth - d, fourth]
    // Truncated towards zero like libvips' int conversion, so the sums match its to the unit.
    for (let k = 0; k < 4; k++) table[i * 4 + k] = Math.trunc(weights[k]! * (1 << WEIGHT_BITS))
  }
  return table
})()

/** For each output pixel along one axis: the mask pixel left of (or at) it and four tap weights. */
interface Sampling {
  base: Int32Array
  weights: Int32Array
  /** Output pixels [starts[k], starts[k + 1]) share the base base[0] + k. */
  starts: Int32Array
}

function sampling(outSize: number, inSize: number, legacyOffset: boolean): Sampling {
  const base = new Int32Array(outSize)
  const weights = new Int32Array(outSize * 4)
  const step = inSize / outSize
  const offset = legacyOffset ? 0.5 : 0.5 * (1 - step)
  for (let o = 0; o < outSize; o++) {
    // Shifted by +2 as libvips' embedded input is, so truncation is a floor and the fraction is
    // quantised exactly as there.
    const position = o * step - offset + 2
    const subpixel = ((Math.trunc(position * SUBPIXELS * 2) & (SUBPIXELS * 2 - 1)) + 1) >> 1
    base[o] = Math.trunc(position) - 2
    weights.set(CATMULL_ROM.subarray(subpixel * 4, subpixel * 4 + 4), o * 4)
  }
  const first = base[0]!
  const starts = new Int32Array(base[outSize - 1]! - first + 2)
  for (let k = 0, o = 0; k < starts.length; k++) {
    while (o < outSize && base[o]! < first + k) o++
    starts[k] = o
  }
  return { base, weights, starts }
}

/**
 * One mask row across: output pixels sharing a base share their four taps, so each run loads
 * them once, and a run over a flat stretch (all four taps equal: weights sum to 1) is a fill.
 */
function upsizeRow(mask: Uint8Array, offset: number, maskWidth: number, columns: Sampling, out: Int16Array, flat: Int16Array): void {
  const { base, weights, starts } = columns
  const last = maskWidth - 1
  const first = base[0]!
  for (let k = 0; k + 1 < starts.length; k++) {
    const x0 = starts[k]!
    const x1 = starts[k + 1]!
    if (x0 === x1) continue
    const b = first + k
    const m0 = mask[offset + clamp(b - 1, last)]!
    const m1 = mask[offset + clamp(b, last)]!
    const m2 = mask[offset + clamp(b + 1, last)]!
    const m3 = mask[offset + clamp(b + 2, last)]!
    if (m0 === m1 && m1 === m2 && m2 === m3) {
      flat[k] = m0
      // A loop, not fill(): these runs are a few pixels long, shorter than a call's overhead.
      for (let x = x0; x < x1; x++) out[x] = m0
      continue
    }
    flat[k] = VARYING
    for (let x = x0, t = x0 * 4; x < x1; x++, t += 4) {
      out[x] = (weights[t]! * m0 + weights[t + 1]! * m1 + weights[t + 2]! * m2 + weights[t + 3]! * m3 + ROUND) >> WEIGHT_BITS
    }
  }
}

function clamp(index: number, last: number): number {
  return index < 0 ? 0 : index > last ? last : index
}

/** A rectangle in pixels. */
export interface Box {
  left: number
  top: number
  width: number
  height: number
}

/** Alpha at or above this counts as subject when cropping (ignores faint mask noise). */
export const SUBJECT_ALPHA_THRESHOLD = 16

/**
 * The smallest box holding every pixel with alpha >= SUBJECT_ALPHA_THRESHOLD, grown by `margin`
 * on each side and clipped to the image; null when the mask holds no subject at all.
 */
export function subjectBox(alpha: Uint8Array, width: number, height: number, margin: number): Box | null {
  let top = -1
  let bottom = -1
  let left = width
  let right = -1
  for (let y = 0; y < height; y++) {
    const base = y * width
    let rowLeft = -1
    let rowRight = -1
    for (let x = 0; x < width; x++) {
      if (alpha[base + x]! >= SUBJECT_ALPHA_THRESHOLD) {
        rowLeft = x
        break
      }
    }
    if (rowLeft < 0) continue
    for (let x = width - 1; x >= rowLeft; x--) {
      if (alpha[base + x]! >= SUBJECT_ALPHA_THRESHOLD) {
        rowRight = x
        break
      }
    }
    if (top < 0) top = y
    bottom = y
    if (rowLeft < left) left = rowLeft
    if (rowRight > right) right = rowRight
  }
  if (top < 0) return null
  const x0 = Math.max(0, left - margin)
  const y0 = Math.max(0, top - margin)
  const x1 = Math.min(width - 1, right + margin)
  const y1 = Math.min(height - 1, bottom + margin)
  return { left: x0, top: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 }
}

/** Multiply `mask` (in place) by the original's own alpha, so transparent inputs stay transparent. */
export function multiplyAlpha(mask: Uint8Array, original: Uint8Array): void {
  for (let i = 0; i < mask.length; i++) {
    mask[i] = Math.round((mask[i]! * original[i]!) / 255)
  }
}
