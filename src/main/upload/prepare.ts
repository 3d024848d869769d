/**
 * Before-upload preparation: turns an original photo into something every host and the aipic
 * API take, and says exactly what was done so the remote engine can map the returned cutout
 * back onto the original (full-resolution output).
 *
 * - EXIF orientation is applied, so the API sees the photo upright and the returned mask lines
 *   up with the upright original.
 * - Formats the API may not take (HEIC, TIFF, BMP, AVIF, WebP, GIF, 16-bit, CMYK) become a
 *   high-quality JPEG, or a PNG when the original has real transparency.
 * - Images above `maxMegapixels` (default 25) are downscaled for the upload only.
 * - Metadata (EXIF with GPS position, XMP, IPTC) never leaves the machine: a file goes up
 *   byte-for-byte only when it is already a plain upright 8-bit sRGB JPEG or PNG within the
 *   limit and carries none; everything else is re-encoded without it.
 *
 * HEVC-coded HEIC goes through heic-decode (libheif in WebAssembly) and BMP through bmp-ts,
 * because sharp's prebuilt libvips has neither an HEVC decoder nor a BMP loader. [Note: decode overlap] imaging/decode.ts decodes originals for
 * the engines with the same libraries; this module stays separate for now (it never needs the
 * full RGB buffer split from alpha) and can be moved onto it when both have landed.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decode as decodeBmp } from 'bmp-ts'
import sharp, { type Metadata, type Sharp } from 'sharp'
import { KoutuError } from '../../shared/errors'
import type { Logger } from '../../shared/logger'
import { silentLogger } from '../../shared/logger'
import type { PreparedUpload } from './types'

export interface PrepareOptions {
  /** Uploads above this many megapixels are downscaled to it. Default 25. */
  maxMegapixels?: number
  /** Refuse to decode originals above this many megapixels (memory). Default 1000. */
  maxInputMegapixels?: number
  /** Where converted files are written; default the OS temp folder. */
  tempDir?: string
  /** Return the converted image in memory instead of a temp file. */
  inMemory?: boolean
  /** JPEG quality of converted images, default 92 (with 4:4:4 chroma: edges stay crisp). */
  jpegQuality?: number
  logger?: Logger
}

/** What was done to the original, for the log and for mapping the result back. */
export type PrepareAction = 'oriented' | 'converted' | 'downscaled' | 'metadata-removed'

export interface ImageFacts {
  /** Upright width and height (after EXIF orientation). */
  width: number
  height: number
  /** The container format as detected, e.g. 'jpeg', 'png', 'heif', 'tiff', 'webp'. */
  format: string
}

export interface PreparedImage {
  upload: PreparedUpload
  original: ImageFacts & {
    /** The EXIF orientation that was applied (1 when none). */
    orientation: number
    hasTransparency: boolean
    /** 'uchar' for 8-bit, 'ushort' for 16-bit, as sharp names them. */
    depth: string
  }
  uploaded: ImageFacts & { format: 'jpeg' | 'png'; bytes: number }
  /** uploaded.width / original.width: 1 unless downscaled. Resize the returned alpha by 1/scale. */
  scale: number
  /** Empty when the original goes up unchanged. */
  actions: PrepareAction[]
  /** Removes the temp file, if one was written. Idempotent. */
  cleanup(): Promise<void>
}

const DEFAULT_MAX_MEGAPIXELS = 25

/** Prepares `inputPath` for upload; see the module comment for the rules. */
export async function prepareForUpload(inputPath: string, options: PrepareOptions = {}): Promise<PreparedImage> {
  const logger = options.logger ?? silentLogger
  const maxPixels = (options.maxMegapixels ?? DEFAULT_MAX_MEGAPIXELS) * 1_000_000
  const limitInputPixels = Math.round((options.maxInputMegapixels ?? 1000) * 1_000_000)
  const source = await openSource(inputPath, limitInputPixels)
  const { meta } = source

  const orientation = source.heic ? 1 : (meta.orientation ?? 1)
  const swapsAxes = orientation >= 5 && orientation <= 8
  const width = swapsAxes ? meta.height! : meta.width!
  const height = swapsAxes ? meta.width! : meta.height!
  const depth = meta.depth ?? 'uchar'
  const hasTransparency = meta.hasAlpha === true && !(await source.image().stats()).isOpaque
  const hasMetadata = Boolean(meta.exif || meta.xmp || meta.iptc)

  const scale = width * height > maxPixels ? Math.sqrt(maxPixels / (width * height)) : 1
  const targetWidth = Math.max(1, Math.floor(width * scale))
  const targetHeight = Math.max(1, Math.floor(height * scale))
  const downscale = targetWidth < width || targetHeight < height

  const plainFormat = (meta.format === 'jpeg' || meta.format === 'png') && depth === 'uchar' && isSrgbLike(meta.space)
  const actions: PrepareAction[] = []
  if (orientation !== 1) actions.push('oriented')
  if (!plainFormat) actions.push('converted')
  if (downscale) actions.push('downscaled')
  const original = { width, height, format: source.heic ? 'heif' : (meta.format ?? 'unknown'), orientation, hasTransparency, depth }

  if (actions.length === 0 && !hasMetadata) {
    const bytes = (await stat(inputPath)).size
    const format = meta.format as 'jpeg' | 'png'
    return {
      upload: { kind: 'file', path: inputPath, size: bytes, mimeType: `image/${format}`, extension: format === 'jpeg' ? 'jpg' : 'png' },
      original,
      uploaded: { width, height, format, bytes },
      scale: 1,
      actions,
      cleanup: async () => {},
    }
  }
  if (hasMetadata) actions.push('metadata-removed')

  // Transparent originals stay PNG (JPEG would flatten the alpha the API may use as a hint);
  // a fully opaque alpha channel is dropped and the image goes as JPEG.
  const format: 'jpeg' | 'png' = hasTransparency ? 'png' : 'jpeg'
  let pipeline = source.image().rotate() // auto-orient from EXIF, then forget the tag
  if (downscale) pipeline = pipeline.resize(targetWidth, targetHeight, { fit: 'fill', kernel: 'lanczos3' })
  pipeline = pipeline.toColourspace('srgb')
  pipeline =
    format === 'png'
      ? pipeline.png({ compressionLevel: 6 })
      : pipeline.flatten({ background: '#ffffff' }).jpeg({ quality: options.jpegQuality ?? 92, chromaSubsampling: '4:4:4' })

  const encoded = await pipeline.toBuffer({ resolveWithObject: true }).catch((cause: unknown) => {
    throw unreadable(inputPath, cause)
  })
  const uploaded = { width: encoded.info.width, height: encoded.info.height, format, bytes: encoded.data.length }
  const mimeType = `image/${format}`
  const extension = format === 'jpeg' ? 'jpg' : 'png'
  logger.debug('prepared for upload', { actions, from: `${width}x${height}`, to: `${uploaded.width}x${uploaded.height}`, format })
  const result = { original, uploaded, scale: uploaded.width / width, actions }

  if (options.inMemory) {
    return { ...result, upload: { kind: 'buffer', data: encoded.data, size: encoded.data.length, mimeType, extension }, cleanup: async () => {} }
  }
  const folder = await mkdtemp(join(options.tempDir ?? tmpdir(), 'koutu-upload-'))
  const path = join(folder, `${randomBytes(6).toString('hex')}.${extension}`)
  const handle = await open(path, 'wx', 0o600)
  try {
    await handle.writeFile(encoded.data)
  } finally {
    await handle.close()
  }
  let removed = false
  return {
    ...result,
    upload: { kind: 'file', path, size: encoded.data.length, mimeType, extension },
    cleanup: async () => {
      if (removed) return
      removed = true
      await rm(folder, { recursive: true, force: true })
    },
  }
}

interface Source {
  meta: Metadata
  heic: boolean
  /** A fresh sharp pipeline over the decoded original (sharp pipelines are single-use). */
  image(): Sharp
}

async function openSource(path: string, limitInputPixels: number): Promise<Source> {
  let meta: Metadata
  try {
    meta = await sharp(path, { limitInputPixels }).metadata()
  } catch (cause) {
    // sharp's prebuilt libvips reads no BMP; bmp-ts does, in plain TypeScript.
    const bytes = await readFile(path).catch(() => undefined)
    if (bytes && bytes.subarray(0, 2).toString('latin1') === 'BM') return openBmp(path, bytes, limitInputPixels)
    throw unreadable(path, cause)
  }
  if (!meta.width || !meta.height) throw unreadable(path, new Error('no dimensions'))
  if (meta.width * meta.height > limitInputPixels) {
    throw new KoutuError('upload.unreadable-image', `${path} has ${Math.round((meta.width * meta.height) / 1e6)} megapixels, more than this app decodes.`, {
      detail: { path, width: meta.width, height: meta.height },
    })
  }
  if (meta.format === 'heif' && meta.compression === 'hevc') return openHeic(path, meta)
  // `pages: 1`: an animated GIF or multi-page TIFF uploads its first frame.
  return { meta, heic: false, image: () => sharp(path, { limitInputPixels, pages: 1 }) }
}

type HeicDecode = (input: { buffer: Uint8Array }) => Promise<{ width: number; height: number; data: Uint8ClampedArray }>

async function openHeic(path: string, meta: Metadata): Promise<Source> {
  let decoded: Awaited<ReturnType<HeicDecode>>
  try {
    // CommonJS without types; loaded on first use because most batches have no HEIC.
    const decode = createRequire(import.meta.url)('heic-decode') as HeicDecode
    const bytes = await readFile(path)
    decoded = await decode({ buffer: bytes })
  } catch (cause) {
    throw unreadable(path, cause)
  }
  const raw = Buffer.from(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength)
  const rawOptions = { raw: { width: decoded.width, height: decoded.height, channels: 4 as const } }
  // libheif has already applied the container's rotation and mirroring (irot/imir), which
  // take precedence over any EXIF orientation in a HEIC, so the pixels are upright.
  return {
    meta: { ...meta, width: decoded.width, height: decoded.height, hasAlpha: true, depth: 'uchar', space: 'srgb', orientation: 1 },
    heic: true,
    image: () => sharp(raw, rawOptions),
  }
}

function openBmp(path: string, bytes: Buffer, limitInputPixels: number): Source {
  let bmp: ReturnType<typeof decodeBmp>
  try {
    bmp = decodeBmp(bytes, { toRGBA: true })
  } catch (cause) {
    throw unreadable(path, cause)
  }
  const { width, height } = bmp
  if (!width || !height || width * height > limitInputPixels) throw unreadable(path, new Error(`unusable size ${width}x${height}`))
  const rgba = Buffer.from(bmp.data)
  // Only 32-bit BMPs carry alpha, and many of those leave it all zero, meaning "unused".
  let usesAlpha = false
  if (bmp.bitPP === 32) for (let i = 3; i < rgba.length && !usesAlpha; i += 4) usesAlpha = rgba[i] !== 0
  if (!usesAlpha) for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255
  return {
    meta: { format: 'bmp' as Metadata['format'], width, height, hasAlpha: true, depth: 'uchar', space: 'srgb', orientation: 1 } as Metadata,
    heic: false,
    image: () => sharp(rgba, { raw: { width, height, channels: 4 } }),
  }
}

function isSrgbLike(space: string | undefined): boolean {
  return space === undefined || space === 'srgb' || space === 'b-w' || space === 'rgb'
}

function unreadable(path: string, cause: unknown): KoutuError {
  const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause)
  return new KoutuError('upload.unreadable-image', `${path} could not be prepared for upload (${reason}).`, { detail: { path }, cause })
}
