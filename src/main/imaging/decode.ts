/**
 * Decoding originals into the one pixel layout every later stage works on: 8-bit sRGB, three
 * interleaved channels, upright (EXIF orientation applied), plus the original's own alpha when
 * it had one. Owned here so both engines (local ISNet, remote aipic) see the same pixels.
 *
 * Why normalise this early: CMYK JPEGs, 16-bit PNGs/TIFFs, grayscale and palette images all
 * reach the model and the compositor as plain RGB, so nothing downstream branches on the input.
 * HEIC/HEIF goes through libheif-js (heic-decode), because sharp's prebuilt libvips carries no
 * HEVC decoder (only AVIF).
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import sharp, { type Metadata } from 'sharp'
import { KoutuError } from '../../shared/errors'

/** An upright, 8-bit sRGB image with the original's alpha kept apart. */
export interface DecodedImage {
  /** width * height * 3 bytes, RGB interleaved, rows top to bottom. */
  rgb: Buffer
  /** width * height bytes when the original had an alpha channel, otherwise null. */
  alpha: Buffer | null
  width: number
  height: number
  /** The container format as sharp (or the HEIC path) reported it, e.g. 'jpeg', 'png', 'heif'. */
  format: string
  /** The EXIF orientation that was applied (1 when none). */
  orientation: number
}

export interface DecodeOptions {
  /** Refuse images with more pixels than this (in millions) before decoding them. */
  maxMegapixels: number
}

/** The brands libheif-js decodes (HEVC-coded HEIF); AVIF goes through sharp. */
const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'])

/** True when the bytes start an ISO-BMFF file whose brand says HEVC-coded HEIF. */
export function looksLikeHeic(head: Uint8Array): boolean {
  if (head.length < 12) return false
  const box = String.fromCharCode(...head.subarray(4, 8))
  if (box !== 'ftyp') return false
  const brand = String.fromCharCode(...head.subarray(8, 12))
  return HEIC_BRANDS.has(brand)
}

/**
 * Decode `path` into upright 8-bit sRGB. Rejects with `image.unreadable` (missing, corrupt or
 * not an image), `image.too-large` (over `maxMegapixels`) or `image.heic-unsupported`.
 */
export async function decodeImage(path: string, options: DecodeOptions): Promise<DecodedImage> {
  const bytes = await readImageFile(path)
  if (looksLikeHeic(bytes)) return decodeHeic(bytes, path, options)
  return decodeWithSharp(bytes, path, options)
}

/**
 * The pixel count of `path` from its header alone (no decoding), or null when sharp cannot tell
 * (HEIC, unreadable files: the decode that follows reports those properly). Lets a pipeline
 * budget memory before it decodes.
 */
export async function probePixels(path: string): Promise<number | null> {
  try {
    const { width, height } = await sharp(path, { limitInputPixels: false }).metadata()
    return width && height ? width * height : null
  } catch {
    return null
  }
}

function pixelLimit(options: DecodeOptions): number {
  return Math.floor(options.maxMegapixels * 1_000_000)
}

function refuseTooLarge(path: string, width: number, height: number, options: DecodeOptions): void {
  if (width * height > pixelLimit(options)) {
    const megapixels = Math.round((width * height) / 100_000) / 10
    throw new KoutuError(
      'image.too-large',
      `${path} has ${megapixels} megapixels, more than the limit of ${options.maxMegapixels}. ` +
        'Raise the limit in the settings or downscale the image first.',
      { detail: { path, megapixels, limit: options.maxMegapixels } },
    )
  }
}

async function decodeWithSharp(bytes: Buffer, path: string, options: DecodeOptions): Promise<DecodedImage> {
  let metadata: Metadata
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata()
  } catch (cause) {
    throw unreadable(path, cause)
  }
  const { width, height } = metadata
  if (!width || !height) throw unreadable(path, new Error('no dimensions'))
  refuseTooLarge(path, width, height, options)
  if (metadata.format === 'heif' && metadata.compression === 'hevc') {
    // A HEIF whose brand we did not recognise above, still HEVC inside.
    return decodeHeic(bytes, path, options)
  }

  const hasAlpha = metadata.hasAlpha === true
  try {
    // autoOrient: upright pixels; toColourspace('srgb'): CMYK (with its profile), grayscale and
    // 16-bit inputs all become sRGB; depth 'uchar' drops 16-bit to 8-bit after the conversion.
    const { data, info } = await sharp(bytes, { limitInputPixels: pixelLimit(options), failOn: 'error' })
      .autoOrient()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
    const orientation = metadata.orientation ?? 1
    if (info.channels === 3) {
      return { rgb: data, alpha: null, width: info.width, height: info.height, format: metadata.format ?? 'unknown', orientation }
    }
    if (info.channels === 4 && hasAlpha) {
      const { rgb, alpha } = splitAlpha(data, info.width * info.height)
      return { rgb, alpha: isOpaque(alpha) ? null : alpha, width: info.width, height: info.height, format: metadata.format ?? 'unknown', orientation }
    }
    throw new Error(`unexpected channel count ${info.channels}`)
  } catch (cause) {
    if (cause instanceof KoutuError) throw cause
    throw unreadable(path, cause)
  }
}

/** An upright, 8-bit sRGB image squashed to a square for a model, plus the original's size. */
export interface ModelInputImage {
  /** size * size * 3 bytes, RGB interleaved. */
  rgb: Buffer
  size: number
  /** The upright original's size (after EXIF orientation). */
  width: number
  height: number
}

/**
 * Decode `path` straight to a size x size model input (aspect ratio not kept), with the same
 * orientation and colour handling as decodeImage. For JPEG, libvips decodes at 1/2, 1/4 or 1/8
 * scale ("shrink on load"), so this costs a fraction of a full decode and holds no full-size
 * pixels: the full decode happens later, only for compositing (see pipeline.ts).
 */
export async function decodeForModel(path: string, size: number, options: DecodeOptions): Promise<ModelInputImage> {
  const bytes = await readImageFile(path)
  let metadata: Metadata | null = null
  if (!looksLikeHeic(bytes)) {
    try {
      metadata = await sharp(bytes, { limitInputPixels: false }).metadata()
    } catch (cause) {
      throw unreadable(path, cause)
    }
  }
  if (!metadata || (metadata.format === 'heif' && metadata.compression === 'hevc')) {
    const full = await decodeHeic(bytes, path, options)
    const rgb = await sharp(full.rgb, { raw: { width: full.width, height: full.height, channels: 3 } })
      .resize(size, size, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer()
    return { rgb, size, width: full.width, height: full.height }
  }
  const { width, height } = metadata
  if (!width || !height) throw unreadable(path, new Error('no dimensions'))
  refuseTooLarge(path, width, height, options)
  // EXIF orientations 5-8 swap the axes.
  const swapped = (metadata.orientation ?? 1) >= 5
  try {
    const rgb = await sharp(bytes, { limitInputPixels: pixelLimit(options), failOn: 'error' })
      .autoOrient()
      .resize(size, size, { fit: 'fill', kernel: 'linear' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer()
    if (rgb.length !== size * size * 3) throw new Error(`unexpected model input of ${rgb.length} bytes`)
    return { rgb, size, width: swapped ? height : width, height: swapped ? width : height }
  } catch (cause) {
    throw unreadable(path, cause)
  }
}

/** De-interleave RGBA into RGB and A. Runs only for inputs that carry alpha. */
function splitAlpha(rgba: Buffer, pixels: number): { rgb: Buffer; alpha: Buffer } {
  const rgb = Buffer.allocUnsafe(pixels * 3)
  const alpha = Buffer.allocUnsafe(pixels)
  for (let i = 0, j = 0, k = 0; i < pixels; i++, j += 4, k += 3) {
    rgb[k] = rgba[j]!
    rgb[k + 1] = rgba[j + 1]!
    rgb[k + 2] = rgba[j + 2]!
    alpha[i] = rgba[j + 3]!
  }
  return { rgb, alpha }
}

function isOpaque(alpha: Buffer): boolean {
  for (let i = 0; i < alpha.length; i++) if (alpha[i] !== 255) return false
  return true
}

interface HeicDecoded {
  width: number
  height: number
  data: Uint8ClampedArray
}
type HeicDecode = (input: { buffer: Uint8Array }) => Promise<HeicDecoded>

let heicDecoder: HeicDecode | null | undefined

/** heic-decode is CommonJS and optional at run time: a packaging slip must not break JPEGs. */
function loadHeicDecoder(): HeicDecode | null {
  if (heicDecoder !== undefined) return heicDecoder
  try {
    heicDecoder = createRequire(import.meta.url)('heic-decode') as HeicDecode
  } catch {
    heicDecoder = null
  }
  return heicDecoder
}

async function decodeHeic(bytes: Buffer, path: string, options: DecodeOptions): Promise<DecodedImage> {
  const decode = loadHeicDecoder()
  if (!decode) {
    throw new KoutuError('image.heic-unsupported', `${path} is HEIC, and this build has no HEIC decoder.`, {
      detail: { path },
    })
  }
  let decoded: HeicDecoded
  try {
    decoded = await decode({ buffer: bytes })
  } catch (cause) {
    throw new KoutuError(
      'image.heic-unsupported',
      `${path} is HEIC and could not be decoded (${(cause as Error).message}). Convert it to JPEG first.`,
      { detail: { path }, cause },
    )
  }
  refuseTooLarge(path, decoded.width, decoded.height, options)
  // libheif applies the container's rotation/mirror properties itself, so no EXIF step here.
  const pixels = decoded.width * decoded.height
  const rgba = Buffer.from(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength)
  const { rgb, alpha } = splitAlpha(rgba, pixels)
  return { rgb, alpha: isOpaque(alpha) ? null : alpha, width: decoded.width, height: decoded.height, format: 'heif', orientation: 1 }
}

/**
 * The file's bytes, or `image.unreadable`. Reading the file ourselves (rather than handing sharp
 * the path) lets the HEIC check look at the header without a second read; the bytes are freed
 * as soon as decoding finishes.
 */
async function readImageFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (cause) {
    throw new KoutuError('image.unreadable', `Cannot read ${path}: ${(cause as Error).message}`, {
      detail: { path },
      cause,
    })
  }
}

function unreadable(path: string, cause: unknown): KoutuError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new KoutuError('image.unreadable', `${path} is not an image this app can read (${reason}).`, {
    detail: { path },
    cause,
  })
}
