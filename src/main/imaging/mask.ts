/**
 * Alpha masks: scaling a model's (or a remote service's) low-resolution mask to the original's
 * size, and finding the subject's bounding box for cropping. Masks are 8-bit, one byte a pixel.
 */
import sharp from 'sharp'

/**
 * Scale a mask to `width` x `height` with a high-quality filter (Mitchell: smooth edges without
 * the ringing that Lanczos leaves around a hard 0-to-255 step). The mask need not have the
 * original's aspect ratio: models see a squashed square, so it is stretched back.
 */
export async function resizeMask(
  mask: Uint8Array,
  maskWidth: number,
  maskHeight: number,
  width: number,
  height: number,
): Promise<Buffer> {
  if (maskWidth === width && maskHeight === height) return Buffer.from(mask)
  return sharp(mask, { raw: { width: maskWidth, height: maskHeight, channels: 1 } })
    .resize(width, height, { fit: 'fill', kernel: 'mitchell' })
    // One-band raw input is treated as sRGB on output unless told otherwise.
    .toColourspace('b-w')
    .raw()
    .toBuffer()
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
