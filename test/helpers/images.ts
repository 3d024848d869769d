/**
 * Real photographs for tests and benchmarks, and builders for the variants a photo library
 * throws at the app: upscaled to many megapixels, EXIF-rotated, grayscale, CMYK, 16-bit,
 * palette, with alpha; plus synthetic composites (an object with real alpha pasted on a real
 * photograph) whose ground-truth alpha is known, for measuring mask quality.
 *
 * The photos are scikit-image's sample images, installed by the Debian package python3-skimage
 * (`apt-get install -y --no-install-recommends python3-skimage`; CI installs it). They are public
 * domain or CC0 (see /usr/lib/python3/dist-packages/skimage/data/README.txt). When the package is
 * missing, every builder throws an error naming it: tests fail loudly instead of skipping.
 */
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'

export const SKIMAGE_DATA = '/usr/lib/python3/dist-packages/skimage/data'
export const PHOTO_PACKAGE_HINT =
  'Test photos come from the Debian package python3-skimage: apt-get install -y --no-install-recommends python3-skimage'

/** Real photographs with one clear subject, as shipped. */
export const PHOTOS = {
  astronaut: 'astronaut.png', // 512x512, a person (portrait)
  chelsea: 'chelsea.png', // 451x300, a cat
  coffee: 'coffee.png', // 600x400, a cup on a saucer
  rocket: 'rocket.jpg', // 640x427, a rocket on its pad at dusk
  motorcycle: 'motorcycle_left.png', // 741x500, a motorcycle in a garage
  camera: 'camera.png', // 512x512 grayscale, a cameraman
} as const
export type PhotoName = keyof typeof PHOTOS

/** Real photographs used as backgrounds for composites (textures and a cluttered scene). */
export const BACKGROUNDS = {
  grass: 'grass.png',
  gravel: 'gravel.png',
  brick: 'brick.png',
  hubble: 'hubble_deep_field.jpg',
} as const
export type BackgroundName = keyof typeof BACKGROUNDS

/** Path of a file in the photo package; throws naming the package when it is not installed. */
export function skimagePath(file: string): string {
  const path = join(SKIMAGE_DATA, file)
  if (!existsSync(path)) throw new Error(`${path} is missing. ${PHOTO_PACKAGE_HINT}`)
  return path
}

export type PhotoVariant = 'rgb' | 'grayscale' | 'cmyk' | '16bit' | 'palette' | 'alpha'

export interface PhotoOptions {
  /** Upscale (or downscale) to about this many megapixels, keeping the aspect ratio. */
  megapixels?: number
  /** Store the pixels rotated and tag EXIF orientation so that a viewer shows them upright. */
  orientation?: 1 | 3 | 6 | 8
  variant?: PhotoVariant
  format?: 'jpeg' | 'png' | 'tiff' | 'webp'
  /** JPEG quality (default 90). */
  quality?: number
}

/**
 * Encode photo `name` as a file's bytes with the given variant. The *upright* image is what a
 * viewer shows; with `orientation` the stored pixels are rotated the opposite way.
 */
export async function makePhoto(name: PhotoName, options: PhotoOptions = {}): Promise<Buffer> {
  const source = skimagePath(PHOTOS[name])
  let image = sharp(source).toColourspace('srgb')
  if (options.megapixels !== undefined) {
    const { width, height } = await sharp(source).metadata()
    const scale = Math.sqrt((options.megapixels * 1e6) / (width! * height!))
    image = image.resize(Math.round(width! * scale), Math.round(height! * scale), { kernel: 'lanczos3' })
  }
  const orientation = options.orientation ?? 1
  if (orientation !== 1) {
    // Orientation 6 means "rotate 90° clockwise to display", so store it rotated 90° anticlockwise.
    const storedRotation = { 3: 180, 6: 270, 8: 90 }[orientation]
    image = sharp(await image.png().toBuffer()).rotate(storedRotation)
  }
  const variant = options.variant ?? 'rgb'
  const format = options.format ?? 'jpeg'
  switch (variant) {
    case 'grayscale':
      image = image.grayscale()
      break
    case 'cmyk':
      image = image.toColourspace('cmyk')
      break
    case '16bit':
      image = image.toColourspace('rgb16')
      break
    case 'alpha':
      image = image.ensureAlpha(0.5)
      break
    default:
      break
  }
  if (orientation !== 1) image = image.withMetadata({ orientation })
  switch (format) {
    case 'jpeg':
      return image.jpeg({ quality: options.quality ?? 90 }).toBuffer()
    case 'png':
      return image.png({ palette: variant === 'palette', colours: 256 }).toBuffer()
    case 'tiff':
      return image.tiff({ compression: 'lzw' }).toBuffer()
    case 'webp':
      return image.webp({ quality: options.quality ?? 90 }).toBuffer()
  }
}

/** Write `makePhoto` output to `dir/fileName` and return the path. */
export async function writePhoto(dir: string, fileName: string, name: PhotoName, options: PhotoOptions = {}): Promise<string> {
  await mkdir(dir, { recursive: true })
  const path = join(dir, fileName)
  await writeFile(path, await makePhoto(name, options))
  return path
}

/**
 * Write one of the texture photographs (grass, gravel, brick…) as a JPEG of about `megapixels`:
 * a close-up with no subject at all, the kind of photo a cutout tool should say it found
 * nothing in.
 */
export async function writeTexture(dir: string, fileName: string, name: BackgroundName, megapixels = 1): Promise<string> {
  const source = skimagePath(BACKGROUNDS[name])
  const { width, height } = await sharp(source).metadata()
  const scale = Math.sqrt((megapixels * 1e6) / (width! * height!))
  await mkdir(dir, { recursive: true })
  const path = join(dir, fileName)
  const image = sharp(source).toColourspace('srgb').resize(Math.round(width! * scale), Math.round(height! * scale), { kernel: 'lanczos3' })
  await writeFile(path, await image.jpeg({ quality: 90 }).toBuffer())
  return path
}

/** The upright 8-bit RGB pixels of a photo, e.g. to compare against a decoded file. */
export async function photoPixels(name: PhotoName, megapixels?: number): Promise<{ data: Buffer; width: number; height: number }> {
  const bytes = await makePhoto(name, { format: 'png', ...(megapixels === undefined ? {} : { megapixels }) })
  const { data, info } = await sharp(bytes).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height }
}

export type ObjectName = 'logo' | 'horse-cat' | 'retina' | 'color-wheel'

/**
 * An object with real alpha, as RGBA pixels:
 * - logo: scikit-image's logo, a PNG with its own soft alpha;
 * - horse-cat: the horse silhouette's shape, filled with the cat photo, edges feathered;
 * - retina, color-wheel: photographed discs cut out along their rim with a feathered circle.
 */
export async function makeObject(
  name: ObjectName,
  size: number,
  feather = Math.max(1, size / 200),
): Promise<{ rgba: Buffer; width: number; height: number }> {
  let rgba: Buffer
  let width: number
  let height: number
  if (name === 'logo') {
    const result = await sharp(skimagePath('logo.png')).ensureAlpha().resize(size, size, { fit: 'inside' }).raw().toBuffer({ resolveWithObject: true })
    return { rgba: result.data, width: result.info.width, height: result.info.height }
  }
  if (name === 'horse-cat') {
    const shape = await sharp(skimagePath('horse.png'))
      .flatten({ background: '#ffffff' })
      .grayscale()
      .negate()
      .resize(size, size, { fit: 'inside', kernel: 'lanczos3' })
      .blur(Math.max(0.5, size / 400))
      .raw()
      .toBuffer({ resolveWithObject: true })
    width = shape.info.width
    height = shape.info.height
    const fill = await sharp(skimagePath(PHOTOS.chelsea)).resize(width, height, { fit: 'cover' }).removeAlpha().raw().toBuffer()
    rgba = interleave(fill, shape.data, width * height)
    return { rgba, width, height }
  }
  const file = name === 'retina' ? 'retina.jpg' : 'color.png'
  const photo = await sharp(skimagePath(file)).resize(size, size, { fit: 'fill' }).removeAlpha().raw().toBuffer()
  width = size
  height = size
  const alpha = featheredDisc(size, size * 0.47, feather)
  return { rgba: interleave(photo, alpha, size * size), width, height }
}

function interleave(rgb: Buffer, alpha: Uint8Array, pixels: number): Buffer {
  const out = Buffer.alloc(pixels * 4)
  for (let i = 0; i < pixels; i++) {
    out[i * 4] = rgb[i * 3]!
    out[i * 4 + 1] = rgb[i * 3 + 1]!
    out[i * 4 + 2] = rgb[i * 3 + 2]!
    out[i * 4 + 3] = alpha[i]!
  }
  return out
}

/** A disc of `radius` centred in a size² square, with a linear ramp `feather` pixels wide. */
export function featheredDisc(size: number, radius: number, feather: number): Uint8Array {
  const alpha = new Uint8Array(size * size)
  const c = (size - 1) / 2
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - c, y - c)
      const t = (radius + feather / 2 - d) / feather
      alpha[y * size + x] = Math.round(255 * Math.min(1, Math.max(0, t)))
    }
  }
  return alpha
}

export interface Composite {
  /** The composite photo as an encoded file (PNG, lossless). */
  file: Buffer
  /** Ground-truth alpha, width * height bytes. */
  alpha: Buffer
  /** The object's own colours (RGB, width * height * 3; meaningful where alpha > 0). */
  foreground: Buffer
  width: number
  height: number
}

export interface CompositeOptions {
  object: ObjectName
  /** A background photograph, or a flat colour such as '#00c800'. */
  background: BackgroundName | `#${string}`
  width: number
  height: number
  /** Object size as a fraction of the shorter side (default 0.6). */
  scale?: number
  /** Width in pixels of the soft rim of the disc objects (default: size / 200). */
  feather?: number
}

/** Paste an object with real alpha, centred, on a real photograph (or a flat colour). */
export async function makeComposite(options: CompositeOptions): Promise<Composite> {
  const { width, height } = options
  const objectSize = Math.round(Math.min(width, height) * (options.scale ?? 0.6))
  const object = await makeObject(options.object, objectSize, options.feather)
  const left = Math.round((width - object.width) / 2)
  const top = Math.round((height - object.height) / 2)

  const background = options.background.startsWith('#')
    ? await sharp({ create: { width, height, channels: 3, background: options.background } }).raw().toBuffer()
    : await sharp(skimagePath(BACKGROUNDS[options.background as BackgroundName]))
        .toColourspace('srgb')
        .resize(width, height, { fit: 'cover' })
        .removeAlpha()
        .raw()
        .toBuffer()

  const alpha = Buffer.alloc(width * height)
  const foreground = Buffer.alloc(width * height * 3)
  const out = Buffer.from(background)
  for (let y = 0; y < object.height; y++) {
    for (let x = 0; x < object.width; x++) {
      const src = (y * object.width + x) * 4
      const dst = (top + y) * width + (left + x)
      const a = object.rgba[src + 3]!
      alpha[dst] = a
      for (let c = 0; c < 3; c++) {
        const f = object.rgba[src + c]!
        foreground[dst * 3 + c] = f
        out[dst * 3 + c] = Math.round((f * a + background[dst * 3 + c]! * (255 - a)) / 255)
      }
    }
  }
  const file = await sharp(out, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer()
  return { file, alpha, foreground, width, height }
}

/** Intersection over union of two masks binarised at `threshold`. */
export function maskIoU(a: Uint8Array, b: Uint8Array, threshold = 128): number {
  if (a.length !== b.length) throw new Error(`mask sizes differ: ${a.length} vs ${b.length}`)
  let intersection = 0
  let union = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! >= threshold
    const y = b[i]! >= threshold
    if (x && y) intersection++
    if (x || y) union++
  }
  return union === 0 ? 1 : intersection / union
}

/** Mean absolute difference of two alpha masks, in 0..1. */
export function meanAbsoluteAlphaError(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`mask sizes differ: ${a.length} vs ${b.length}`)
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!)
  return sum / a.length / 255
}

/** The alpha channel of an encoded RGBA (or gray+alpha) image, as raw bytes. */
export async function alphaOf(encoded: Uint8Array): Promise<{ alpha: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(encoded).ensureAlpha().extractChannel('alpha').raw().toBuffer({ resolveWithObject: true })
  return { alpha: data, width: info.width, height: info.height }
}

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
