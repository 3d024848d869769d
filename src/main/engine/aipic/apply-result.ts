/**
 * Turning the image aipic returned into the output file: check that it really is a cutout (it
 * decodes, it has an alpha channel, it has the photo's shape), take its alpha, and render it with
 * the user's output options through the shared compositor (imaging/compose), like the local
 * engine does with its model's mask.
 *
 * [Note: full-resolution remote output] The service works on the uploaded copy, which may have
 * been downscaled (above 25 MP by default) and re-encoded as JPEG. With `fullResolution` (the
 * `fullResolutionOutput` setting, on by default) only the returned ALPHA is used: it is resized
 * to the original's upright size and applied to the original's own pixels, so the output has the
 * original's resolution and colours. Without it, the returned picture is used as it came.
 */
import sharp, { type OutputInfo } from 'sharp'
import { KoutuError } from '../../../shared/errors'
import { composeCutout, type ComposedImage } from '../../imaging/compose'
import { decodeImage, type DecodedImage } from '../../imaging/decode'
import type { QualityFlag } from '../../../shared/batch'
import { resizeMask } from '../../imaging/mask'
import { qualityFlags } from '../../imaging/quality-flags'
import type { OutputOptions } from '../types'

/** The returned picture split into colour and alpha. */
export interface ReturnedCutout {
  rgb: Buffer
  alpha: Buffer
  width: number
  height: number
  /** True when every pixel is fully opaque (a suspicious, but possible, result). */
  opaque: boolean
}

/** Largest relative difference of aspect ratio between the photo and the returned cutout. */
const ASPECT_TOLERANCE = 0.03

/**
 * Decodes the bytes aipic returned. Rejects with `remote.result-unreadable` when they are not an
 * image and `remote.result-no-alpha` when the image has no alpha channel: an opaque picture saved
 * as a "cutout" would look like success and be useless.
 */
export async function readReturnedCutout(bytes: Uint8Array, maxMegapixels: number): Promise<ReturnedCutout> {
  let decoded: { data: Buffer; info: OutputInfo }
  let hasAlpha: boolean
  try {
    const image = sharp(bytes, { limitInputPixels: Math.floor(maxMegapixels * 1_000_000), failOn: 'error' })
    const meta = await image.metadata()
    hasAlpha = meta.hasAlpha === true
    if (!hasAlpha) {
      throw new KoutuError(
        'remote.result-no-alpha',
        `aipic returned a ${meta.width}x${meta.height} ${meta.format ?? ''} image without transparency; no cutout was saved.`,
        { detail: { width: meta.width ?? 0, height: meta.height ?? 0, format: meta.format ?? 'unknown' } },
      )
    }
    decoded = await image.toColourspace('srgb').ensureAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true })
  } catch (cause) {
    if (cause instanceof KoutuError) throw cause
    throw new KoutuError('remote.result-unreadable', `The cutout aipic returned could not be read (${firstLine(cause)}).`, { cause })
  }
  const { width, height, channels } = decoded.info
  if (channels !== 4) {
    throw new KoutuError('remote.result-unreadable', `The cutout aipic returned has ${channels} channels, expected 4.`)
  }
  const pixels = width * height
  const rgb = Buffer.allocUnsafe(pixels * 3)
  const alpha = Buffer.allocUnsafe(pixels)
  let opaque = true
  const data = decoded.data
  for (let i = 0, j = 0, k = 0; i < pixels; i++, j += 4, k += 3) {
    rgb[k] = data[j]!
    rgb[k + 1] = data[j + 1]!
    rgb[k + 2] = data[j + 2]!
    const a = data[j + 3]!
    alpha[i] = a
    if (a !== 255) opaque = false
  }
  return { rgb, alpha, width, height, opaque }
}

/** Rejects with `remote.result-mismatch` when the cutout cannot be the photo (other shape). */
export function checkShape(cutout: { width: number; height: number }, original: { width: number; height: number }): void {
  const expected = original.width / original.height
  const actual = cutout.width / cutout.height
  if (Math.abs(actual - expected) / expected > ASPECT_TOLERANCE) {
    throw new KoutuError(
      'remote.result-mismatch',
      `aipic returned a ${cutout.width}x${cutout.height} cutout for a ${original.width}x${original.height} photo; it was not saved.`,
      { detail: { width: cutout.width, height: cutout.height, originalWidth: original.width, originalHeight: original.height } },
    )
  }
}

/**
 * Renders the output file from the returned cutout; see [Note: full-resolution remote output].
 * `original` is the upright size of the photo (from the upload preparation).
 */
export async function renderRemoteCutout(
  inputPath: string,
  cutout: ReturnedCutout,
  original: { width: number; height: number },
  options: OutputOptions & { fullResolution: boolean },
): Promise<ComposedImage> {
  checkShape(cutout, original)
  if (!options.fullResolution) {
    const image: DecodedImage = { rgb: cutout.rgb, alpha: null, width: cutout.width, height: cutout.height, format: 'png', orientation: 1 }
    return composeCutout(image, cutout.alpha, options)
  }
  const image = await decodeImage(inputPath, { maxMegapixels: options.maxMegapixels })
  const mask = await resizeMask(cutout.alpha, cutout.width, cutout.height, image.width, image.height)
  return composeCutout(image, mask, options)
}

function firstLine(cause: unknown): string {
  return (cause instanceof Error ? cause.message : String(cause)).split('\n')[0] ?? ''
}

/** Everything the finishing stage needs; plain data, so it can cross to a worker thread. */
export interface FinishInput {
  inputPath: string
  /** The bytes downloaded from the result URL. */
  resultBytes: Uint8Array
  /** The photo's upright size (from the upload preparation). */
  original: { width: number; height: number }
  options: OutputOptions & { fullResolution: boolean }
  /** Largest returned image accepted, in megapixels. */
  maxResultMegapixels: number
}

export interface FinishOutput {
  data: Uint8Array
  format: ComposedImage['format']
  width: number
  height: number
  /** The returned cutout had no transparent pixel at all. */
  opaque: boolean
  /** Quality flags of the returned alpha (see imaging/quality-flags.ts). */
  flags: QualityFlag[]
}

/** The finishing stage: read the returned cutout, then render the output file. */
export async function finishRemoteCutout(input: FinishInput): Promise<FinishOutput> {
  const cutout = await readReturnedCutout(input.resultBytes, input.maxResultMegapixels)
  // Measured before rendering, which may take the alpha buffer over.
  const flags = qualityFlags(cutout.alpha, cutout.width, cutout.height)
  const composed = await renderRemoteCutout(input.inputPath, cutout, input.original, input.options)
  return { data: composed.data, format: composed.format, width: composed.width, height: composed.height, opaque: cutout.opaque, flags }
}
