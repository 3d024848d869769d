/**
 * prepareForUpload on real image files made here with sharp (and one HEIC made with libheif's
 * heif-enc, see fixtures/README.md): orientation, conversions, transparency, 16-bit, metadata
 * removal, downscaling and the temp-file lifecycle.
 */
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { encode as encodeBmp } from 'bmp-ts'
import sharp, { type Sharp } from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isKoutuError } from '../../../src/shared/errors'
import { prepareForUpload, type PreparedImage } from '../../../src/main/upload/prepare'
import { makeTempDir, type TempDir } from './fixtures'

const HEIC_FIXTURE = join(import.meta.dirname, 'fixtures', 'red-blue-96x64.heic')
const RED = { r: 220, g: 30, b: 30 }
const BLUE = { r: 30, g: 40, b: 220 }

let dir: TempDir
const prepared: PreparedImage[] = []

/** Left half red, right half blue: orientation mistakes show up as wrong colours in corners. */
function redBlue(width: number, height: number, channels: 3 | 4 = 3, alphaLeft = 255): Buffer {
  const raw = Buffer.alloc(width * height * channels)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels
      const colour = x < width / 2 ? RED : BLUE
      raw[i] = colour.r
      raw[i + 1] = colour.g
      raw[i + 2] = colour.b
      if (channels === 4) raw[i + 3] = x < width / 2 ? alphaLeft : 255
    }
  }
  return raw
}

function image(width: number, height: number, channels: 3 | 4 = 3, alphaLeft = 255) {
  return sharp(redBlue(width, height, channels, alphaLeft), { raw: { width, height, channels } })
}

async function write(name: string, data: Buffer): Promise<string> {
  const path = join(dir.path, name)
  await writeFile(path, data)
  return path
}

async function prepare(path: string, options: Parameters<typeof prepareForUpload>[1] = {}): Promise<PreparedImage> {
  const result = await prepareForUpload(path, { tempDir: dir.path, ...options })
  prepared.push(result)
  return result
}

async function uploadedBytes(result: PreparedImage): Promise<Buffer> {
  return result.upload.kind === 'file' ? readFile(result.upload.path) : Buffer.from(result.upload.data)
}

/** The RGBA pixel at (x, y) of an encoded image. */
async function pixel(data: Buffer, x: number, y: number): Promise<number[]> {
  const { data: raw, info } = await sharp(data).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  const i = (y * info.width + x) * 4
  return [raw[i]!, raw[i + 1]!, raw[i + 2]!, raw[i + 3]!]
}

function near(actual: number[], colour: { r: number; g: number; b: number }, tolerance = 24): boolean {
  return Math.abs(actual[0]! - colour.r) <= tolerance && Math.abs(actual[1]! - colour.g) <= tolerance && Math.abs(actual[2]! - colour.b) <= tolerance
}

beforeAll(async () => {
  dir = await makeTempDir('koutu-prepare-')
})

afterAll(async () => {
  await Promise.all(prepared.map((result) => result.cleanup()))
  await dir?.remove()
})

describe('prepareForUpload', () => {
  it('applies EXIF orientation 6 so the upload is upright, and drops the tag', async () => {
    // Stored 60x40 with red on the left; orientation 6 displays it rotated 90° clockwise,
    // so upright it is 40x60 with red on top.
    const path = await write('rotated.jpg', await image(60, 40).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer())
    expect((await sharp(path).metadata()).orientation).toBe(6)
    const result = await prepare(path)
    expect(result.original).toMatchObject({ width: 40, height: 60, orientation: 6, format: 'jpeg' })
    expect(result.uploaded).toMatchObject({ width: 40, height: 60, format: 'jpeg' })
    expect(result.actions).toContain('oriented')
    const data = await uploadedBytes(result)
    const meta = await sharp(data).metadata()
    expect(meta.orientation).toBeUndefined()
    expect(meta.exif).toBeUndefined()
    expect(near(await pixel(data, 20, 3), RED)).toBe(true)
    expect(near(await pixel(data, 20, 56), BLUE)).toBe(true)
  })

  it('converts HEIC to JPEG', async () => {
    const result = await prepare(HEIC_FIXTURE)
    expect(result.original).toMatchObject({ format: 'heif', width: 96, height: 64 })
    expect(result.uploaded).toMatchObject({ format: 'jpeg', width: 96, height: 64 })
    expect(result.upload).toMatchObject({ kind: 'file', mimeType: 'image/jpeg', extension: 'jpg' })
    expect(result.actions).toContain('converted')
    const data = await uploadedBytes(result)
    expect((await sharp(data).metadata()).format).toBe('jpeg')
    expect(near(await pixel(data, 5, 32), RED)).toBe(true)
    expect(near(await pixel(data, 90, 32), BLUE)).toBe(true)
  })

  it.each([
    ['tiff', (s: Sharp) => s.tiff()],
    ['webp', (s: Sharp) => s.webp({ quality: 95 })],
    ['avif', (s: Sharp) => s.avif({ quality: 80, effort: 0 })],
    ['gif', (s: Sharp) => s.gif()],
  ])('converts %s to JPEG', async (format, encode) => {
    const path = await write(`photo.${format}`, await encode(image(48, 32)).toBuffer())
    const result = await prepare(path)
    expect(result.original.format).toBe(format === 'avif' ? 'heif' : format)
    expect(result.uploaded).toMatchObject({ format: 'jpeg', width: 48, height: 32 })
    expect(result.actions).toContain('converted')
    const data = await uploadedBytes(result)
    expect((await sharp(data).metadata()).format).toBe('jpeg')
    expect(near(await pixel(data, 4, 16), RED, 40)).toBe(true)
    expect(near(await pixel(data, 44, 16), BLUE, 40)).toBe(true)
  })

  it('converts a 24-bit BMP to JPEG', async () => {
    // bmp-ts encodes from ABGR pixels.
    const rgb = redBlue(40, 30)
    const abgr = Buffer.alloc(40 * 30 * 4)
    for (let i = 0; i < 40 * 30; i++) {
      abgr[i * 4] = 255
      abgr[i * 4 + 1] = rgb[i * 3 + 2]!
      abgr[i * 4 + 2] = rgb[i * 3 + 1]!
      abgr[i * 4 + 3] = rgb[i * 3]!
    }
    const path = await write('scan.bmp', encodeBmp({ data: abgr, width: 40, height: 30, bitPP: 24 } as Parameters<typeof encodeBmp>[0]).data)
    await expect(sharp(path).metadata()).rejects.toThrow()
    const result = await prepare(path)
    expect(result.original).toMatchObject({ format: 'bmp', width: 40, height: 30, hasTransparency: false })
    expect(result.uploaded).toMatchObject({ format: 'jpeg', width: 40, height: 30 })
    const data = await uploadedBytes(result)
    expect(near(await pixel(data, 3, 3), RED)).toBe(true)
    expect(near(await pixel(data, 36, 26), BLUE)).toBe(true)
  })

  it('keeps real transparency as PNG, and sends an opaque alpha channel as JPEG', async () => {
    const transparent = await write('cutout.webp', await image(40, 20, 4, 0).webp({ lossless: true }).toBuffer())
    const result = await prepare(transparent)
    expect(result.original.hasTransparency).toBe(true)
    expect(result.uploaded.format).toBe('png')
    expect(result.upload.mimeType).toBe('image/png')
    const data = await uploadedBytes(result)
    expect((await pixel(data, 2, 10))[3]).toBe(0)
    expect(near(await pixel(data, 38, 10), BLUE, 2)).toBe(true)
    expect((await pixel(data, 38, 10))[3]).toBe(255)

    const opaque = await write('opaque.webp', await image(40, 20, 4, 255).webp({ lossless: true }).toBuffer())
    const opaqueResult = await prepare(opaque)
    expect(opaqueResult.original.hasTransparency).toBe(false)
    expect(opaqueResult.uploaded.format).toBe('jpeg')
  })

  it('converts a 16-bit PNG to 8 bits', async () => {
    const path = await write('deep.png', await image(32, 32).toColourspace('rgb16').png().toBuffer())
    expect((await sharp(path).metadata()).depth).toBe('ushort')
    const result = await prepare(path)
    expect(result.original.depth).toBe('ushort')
    expect(result.actions).toContain('converted')
    const meta = await sharp(await uploadedBytes(result)).metadata()
    expect(meta.depth).toBe('uchar')
    expect(meta.format).toBe('jpeg')
  })

  it('downscales 40 megapixels to at most 25, keeping the aspect ratio', async () => {
    const path = await write('huge.jpg', await sharp({ create: { width: 8000, height: 5000, channels: 3, background: '#3366cc' } }).jpeg().toBuffer())
    const result = await prepare(path)
    expect(result.original).toMatchObject({ width: 8000, height: 5000 })
    const { width, height } = result.uploaded
    expect(width * height).toBeLessThanOrEqual(25_000_000)
    expect(width * height).toBeGreaterThan(24_900_000)
    expect(Math.abs(width / height - 1.6)).toBeLessThan(0.001)
    expect(result.scale).toBeCloseTo(Math.sqrt(25 / 40), 3)
    expect(result.actions).toEqual(['downscaled'])
    const meta = await sharp(await uploadedBytes(result)).metadata()
    expect([meta.width, meta.height]).toEqual([width, height])
  })

  it('honours a lower limit', async () => {
    const path = await write('medium.png', await image(400, 300).png().toBuffer())
    const result = await prepare(path, { maxMegapixels: 0.03, inMemory: true })
    expect(result.upload.kind).toBe('buffer')
    expect(result.uploaded.width * result.uploaded.height).toBeLessThanOrEqual(30_000)
    expect(result.uploaded.format).toBe('jpeg')
  })

  it('sends a plain JPEG without metadata byte for byte, and strips EXIF (GPS) otherwise', async () => {
    const plainBytes = await image(64, 48).jpeg().toBuffer()
    const plain = await write('plain.jpg', plainBytes)
    const untouched = await prepare(plain)
    expect(untouched.actions).toEqual([])
    expect(untouched.upload).toMatchObject({ kind: 'file', path: plain, size: plainBytes.length })
    expect(untouched.scale).toBe(1)

    const tagged = await write(
      'tagged.jpg',
      await image(64, 48)
        .jpeg()
        .withExif({ IFD0: { Make: 'KoutuCam' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 0/1' } })
        .toBuffer(),
    )
    expect((await sharp(tagged).metadata()).exif).toBeDefined()
    const stripped = await prepare(tagged)
    expect(stripped.actions).toEqual(['metadata-removed'])
    const data = await uploadedBytes(stripped)
    expect(data.includes(Buffer.from('KoutuCam'))).toBe(false)
    expect((await sharp(data).metadata()).exif).toBeUndefined()
  })

  it('writes converted files to a private temp file that cleanup removes', async () => {
    const path = await write('to-clean.tiff', await image(16, 16).tiff().toBuffer())
    const result = await prepareForUpload(path, { tempDir: dir.path })
    if (result.upload.kind !== 'file') throw new Error('expected a file')
    expect(result.upload.path).not.toBe(path)
    expect(result.upload.path).toMatch(/[0-9a-f]{12}\.jpg$/)
    expect(existsSync(result.upload.path)).toBe(true)
    await result.cleanup()
    await result.cleanup()
    expect(existsSync(result.upload.path)).toBe(false)
    expect(existsSync(path)).toBe(true)
  })

  it('refuses a file that is not an image', async () => {
    const path = await write('notes.jpg', Buffer.from('not an image at all'))
    const error = await prepareForUpload(path).catch((caught: unknown) => caught)
    expect(isKoutuError(error, 'upload.unreadable-image')).toBe(true)
  })
})
