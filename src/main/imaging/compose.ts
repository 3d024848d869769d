/**
 * Compositing and encoding a cutout from an original's pixels and an alpha mask of the same
 * size: the part of the pipeline both engines share (the local engine gets the mask from ISNet,
 * the aipic engine from the service). It owns what the output options mean: mask only, a
 * background colour instead of transparency, cropping to the subject, edge decontamination,
 * and PNG or lossless WebP.
 */
import sharp, { type PngOptions, type Sharp, type WebpOptions } from 'sharp'
import type { OutputOptions } from '../engine/types'
import type { OutputFormat } from '../../shared/settings'
import type { DecodedImage } from './decode'
import { clearTransparentPixels, decontaminateEdges, planEdgeRows, type LowResolutionView } from './foreground'
import { maskUpsizer, multiplyAlpha, resizeMask, subjectBox, type Box } from './mask'
import { encodePng, encodePngRows, type PngRow } from './png-encode'

/** The options that shape the output (the rest of OutputOptions concerns decoding). */
export type ComposeOptions = Pick<OutputOptions, 'format' | 'backgroundColor' | 'maskOnly' | 'cropMargin' | 'decontaminateEdges'>

export interface ComposedImage {
  data: Buffer
  format: OutputFormat
  width: number
  height: number
  /** True when a crop was asked for but the mask held no subject, so the full frame was kept. */
  emptyMask: boolean
}

/**
 * [Note: encoder settings] PNG cutouts go through our own encoder (png-encode.ts, see
 * [Note: fixed Up filter]): sharp's only filtering choice for PNG is "try all five filters on
 * every row", which made PNG encoding the largest cost after inference. sharp still encodes the
 * mask-only output (one small channel). Lossless WebP is several times slower than PNG at any
 * effort (effort 1 on 24 MP: ~6 s, 45 % fewer bytes than PNG); effort 1 is as small as the
 * default 4 and 30 % faster. `exact: false` (the default) lets libwebp store invisible pixels
 * however compresses best.
 */
const MASK_PNG_OPTIONS: PngOptions = { compressionLevel: 2, adaptiveFiltering: true }
const WEBP_OPTIONS: WebpOptions = { lossless: true, effort: 1 }

/**
 * Render the cutout of `image` with `alpha` (width * height bytes, upright like the image) and
 * encode it. Takes ownership of `image.rgb` and `alpha`: both are modified in place, which saves
 * copying tens of megabytes per photo. `lowResolution`, the same picture and mask at a lower
 * resolution when the caller has them, makes edge decontamination cheaper.
 */
export async function composeCutout(
  image: DecodedImage,
  alpha: Buffer,
  options: ComposeOptions,
  lowResolution?: LowResolutionView,
): Promise<ComposedImage> {
  const { width, height } = image
  if (alpha.length !== width * height) {
    throw new Error(`mask has ${alpha.length} pixels, image has ${width * height}`)
  }
  if (image.alpha) multiplyAlpha(alpha, image.alpha)

  let box: Box = { left: 0, top: 0, width, height }
  let emptyMask = false
  if (options.cropMargin !== null) {
    const found = subjectBox(alpha, width, height, options.cropMargin)
    if (found) box = found
    else emptyMask = true
  }

  if (options.maskOnly) {
    const mask = sharp(cropRaw(alpha, width, 1, box), { raw: { width: box.width, height: box.height, channels: 1 } })
    const data = await encode(mask.toColourspace('b-w'), options.format)
    return { data, format: options.format, width: box.width, height: box.height, emptyMask }
  }

  const transparent = options.backgroundColor === null
  // Invisible pixels are stored black; encodePng does that itself while packing rows.
  const clearTransparent = transparent && options.format !== 'png'
  if (options.decontaminateEdges) {
    // The view's mask lacks the original's own alpha, which the full-size mask now carries.
    const view = image.alpha ? undefined : lowResolution
    await decontaminateEdges(image.rgb, alpha, width, height, { clearTransparent, ...(view ? { lowResolution: view } : {}) })
  } else if (clearTransparent) {
    clearTransparentPixels(image.rgb, alpha)
  }

  // Painting and cropping happen on the raw buffers: sharp applies flatten() and extract()
  // before joinChannel() whatever the call order, and a second libvips pass would copy again.
  if (options.backgroundColor !== null) paintBackground(image.rgb, alpha, options.backgroundColor)
  const rgb = cropRaw(image.rgb, width, 3, box)
  const keptAlpha = transparent ? cropRaw(alpha, width, 1, box) : null
  const data = options.format === 'png' ? await encodePng(rgb, keptAlpha, box.width, box.height) : await encodeWebp(rgb, keptAlpha, box)
  return { data, format: options.format, width: box.width, height: box.height, emptyMask }
}

/**
 * composeCutout for a mask at another resolution than the image (a model's 1024² output): the
 * mask is scaled to the image first. `lowResolution` is the picture and this mask at the mask's
 * resolution (the model's input).
 *
 * [Note: streaming composition] The default output (transparent PNG, no crop, an original
 * without alpha of its own, larger than the decontamination work grid) is produced row by row:
 * each row's alpha is enlarged, its edge colours decontaminated and the row packed into the PNG
 * in one go. The full-size alpha (24 MB for a 24 MP photo) then never exists, and each row is
 * still in cache when the next step reads it. Every other combination scales the whole mask and
 * goes through composeCutout; both give the same bytes (tested).
 */
export async function composeCutoutFromMask(
  image: DecodedImage,
  mask: Uint8Array,
  maskWidth: number,
  maskHeight: number,
  options: ComposeOptions,
  lowResolution?: LowResolutionView,
): Promise<ComposedImage> {
  const { width, height } = image
  const streamable =
    options.format === 'png' &&
    options.backgroundColor === null &&
    !options.maskOnly &&
    options.cropMargin === null &&
    image.alpha === null &&
    width >= maskWidth &&
    height >= maskHeight
  const edges = streamable && options.decontaminateEdges && lowResolution ? await planEdgeRows(width, height, lowResolution, false) : null
  if (!streamable || (options.decontaminateEdges && !edges)) {
    const alpha = await resizeMask(mask, maskWidth, maskHeight, width, height)
    return composeCutout(image, alpha, options, lowResolution)
  }
  const alphaRows = maskUpsizer(mask, maskWidth, maskHeight, width, height)
  const rowAlpha = new Uint8Array(width)
  const row: PngRow = { rgb: image.rgb, rgbOffset: 0, alpha: rowAlpha, alphaOffset: 0 }
  const data = await encodePngRows(width, height, true, (y) => {
    const spans = alphaRows.row(y, rowAlpha, 0)
    row.rgbOffset = y * width * 3
    row.spans = spans
    // Transparent pixels need no clearing: the PNG writer stores them as 0,0,0,0 itself.
    edges?.apply(y, image.rgb, row.rgbOffset, rowAlpha, 0, spans)
    return row
  })
  return { data, format: 'png', width, height, emptyMask: false }
}

/** Blend `rgb` (in place) over a flat '#rrggbb' colour by `alpha`. */
function paintBackground(rgb: Buffer, alpha: Uint8Array, color: string): void {
  const background = [1, 3, 5].map((start) => Number.parseInt(color.slice(start, start + 2), 16))
  const [br, bg, bb] = background as [number, number, number]
  for (let i = 0, k = 0; i < alpha.length; i++, k += 3) {
    const a = alpha[i]!
    if (a === 255) continue
    if (a === 0) {
      rgb[k] = br
      rgb[k + 1] = bg
      rgb[k + 2] = bb
      continue
    }
    const inverse = 255 - a
    rgb[k] = Math.round((rgb[k]! * a + br * inverse) / 255)
    rgb[k + 1] = Math.round((rgb[k + 1]! * a + bg * inverse) / 255)
    rgb[k + 2] = Math.round((rgb[k + 2]! * a + bb * inverse) / 255)
  }
}

/** The pixels of `box` from an interleaved raw buffer (the buffer itself for the full frame). */
function cropRaw(data: Buffer, width: number, channels: number, box: Box): Buffer {
  if (box.left === 0 && box.top === 0 && box.width === width && box.width * box.height * channels === data.length) return data
  const out = Buffer.allocUnsafe(box.width * box.height * channels)
  const rowBytes = box.width * channels
  for (let y = 0; y < box.height; y++) {
    const start = ((box.top + y) * width + box.left) * channels
    data.copy(out, y * rowBytes, start, start + rowBytes)
  }
  return out
}

function encode(pipeline: Sharp, format: OutputFormat): Promise<Buffer> {
  return format === 'png' ? pipeline.png(MASK_PNG_OPTIONS).toBuffer() : pipeline.webp(WEBP_OPTIONS).toBuffer()
}

function encodeWebp(rgb: Buffer, alpha: Buffer | null, box: Box): Promise<Buffer> {
  const raw = { width: box.width, height: box.height }
  let pipeline: Sharp = sharp(rgb, { raw: { ...raw, channels: 3 } })
  if (alpha) pipeline = pipeline.joinChannel(alpha, { raw: { ...raw, channels: 1 } })
  return pipeline.webp(WEBP_OPTIONS).toBuffer()
}
