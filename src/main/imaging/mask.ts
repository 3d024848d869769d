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
  /** Write row `y` (width bytes) into `out` at `offset`. */
  row(y: number, out: Uint8Array, offset: number): void
}

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
  // Rows of the horizontal pass, computed once each as output rows first need them. Values may
  // overshoot 0-255 (Catmull-Rom rings slightly), as in libvips, so they are kept as int16.
  const ring = [0, 1, 2, 3].map(() => new Int16Array(width))
  // The same rows read two values at a time, to spot flat pairs (see the loop below).
  const ringPairs = ring.map((values) => new Int32Array(values.buffer, 0, width >> 1))
  const ringRow = [-1, -1, -1, -1]
  // Each cached row's run of zeros at its start and end: [0, lead) and [trail, width).
  const ringLead = [0, 0, 0, 0]
  const ringTrail = [0, 0, 0, 0]
  const across = (row: number): number => {
    const slot = row & 3
    if (ringRow[slot] !== row) {
      const values = ring[slot]!
      upsizeRow(mask, row * maskWidth, maskWidth, columns, values)
      ringRow[slot] = row
      let lead = 0
      while (lead < width && values[lead] === 0) lead++
      let trail = width
      while (trail > lead && values[trail - 1] === 0) trail--
      ringLead[slot] = lead
      // A row of zeros throughout is all tail as well as all lead.
      ringTrail[slot] = lead === width ? 0 : trail
    }
    return slot
  }
  const last = maskHeight - 1
  const pairs = width >> 1
  return {
    row(y, out, offset) {
      const t = y * 4
      const base = rows.base[y]!
      const s0 = across(clamp(base - 1, last))
      const s1 = across(clamp(base, last))
      const s2 = across(clamp(base + 1, last))
      const s3 = across(clamp(base + 2, last))
      const r0 = ring[s0]!
      const r1 = ring[s1]!
      const r2 = ring[s2]!
      const r3 = ring[s3]!
      const q0 = ringPairs[s0]!
      const q1 = ringPairs[s1]!
      const q2 = ringPairs[s2]!
      const q3 = ringPairs[s3]!
      const w0 = rows.weights[t]!
      const w1 = rows.weights[t + 1]!
      const w2 = rows.weights[t + 2]!
      const w3 = rows.weights[t + 3]!
      // Where all four rows are 0 (the background at both ends of most rows), so is the result.
      const from = Math.min(ringLead[s0]!, ringLead[s1]!, ringLead[s2]!, ringLead[s3]!) & ~1
      const to = Math.min(pairs * 2, (Math.max(ringTrail[s0]!, ringTrail[s1]!, ringTrail[s2]!, ringTrail[s3]!) + 1) & ~1)
      out.fill(0, offset, offset + from)
      out.fill(0, offset + Math.max(from, to), offset + (to === pairs * 2 ? pairs * 2 : width))
      // Two output pixels per step. Where all four rows agree on both (most of a mask is flat),
      // the weighted sum is that value (the weights sum to 1 within fixed-point rounding, which
      // cannot move a value of -2048..2047), so it is copied.
      for (let x = from; x < to; x += 2) {
        const pair = x >> 1
        const word = q0[pair]!
        if (word === q1[pair] && word === q2[pair] && word === q3[pair]) {
          const a = r0[x]!
          const b = r0[x + 1]!
          out[offset + x] = a < 0 ? 0 : a > 255 ? 255 : a
          out[offset + x + 1] = b < 0 ? 0 : b > 255 ? 255 : b
          continue
        }
        const a = (w0 * r0[x]! + w1 * r1[x]! + w2 * r2[x]! + w3 * r3[x]! + ROUND) >> WEIGHT_BITS
        const b = (w0 * r0[x + 1]! + w1 * r1[x + 1]! + w2 * r2[x + 1]! + w3 * r3[x + 1]! + ROUND) >> WEIGHT_BITS
        out[offset + x] = a < 0 ? 0 : a > 255 ? 255 : a
        out[offset + x + 1] = b < 0 ? 0 : b > 255 ? 255 : b
      }
      if (width & 1 && to === pairs * 2) {
        const x = width - 1
        const a = (w0 * r0[x]! + w1 * r1[x]! + w2 * r2[x]! + w3 * r3[x]! + ROUND) >> WEIGHT_BITS
        out[offset + x] = a < 0 ? 0 : a > 255 ? 255 : a
      }
    },
  }
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
function upsizeRow(mask: Uint8Array, offset: number, maskWidth: number, columns: Sampling, out: Int16Array): void {
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
      for (let x = x0; x < x1; x++) out[x] = m0
      continue
    }
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
