import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeForModel, decodeImage, looksLikeHeic, probePixels } from '../../../src/main/imaging/decode'
import { isKoutuError } from '../../../src/shared/errors'
import { photoPixels, writePhoto } from '../../helpers/images'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'koutu-decode-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Mean absolute difference per channel value between two RGB buffers of the same size. */
function meanDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length)
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!)
  return sum / a.length
}

const decode = (path: string, maxMegapixels = 100) => decodeImage(path, { maxMegapixels })

describe('decodeImage', () => {
  it('applies EXIF orientation 6 and 8: upright pixels of the rotated size', async () => {
    const upright = await photoPixels('chelsea')
    for (const orientation of [6, 8] as const) {
      const path = await writePhoto(dir, `chelsea-o${orientation}.png`, 'chelsea', { orientation, format: 'png' })
      const stored = await sharp(path).metadata()
      expect(stored.width).toBe(upright.height) // stored sideways
      const image = await decode(path)
      expect(image.orientation).toBe(orientation)
      expect([image.width, image.height]).toEqual([upright.width, upright.height])
      expect(meanDiff(image.rgb, upright.data)).toBeLessThan(1)
    }
  })

  it('turns grayscale, CMYK, 16-bit and palette files into 8-bit sRGB close to the original', async () => {
    const upright = await photoPixels('coffee')
    const cases = [
      { name: 'cmyk.jpg', options: { variant: 'cmyk' as const }, limit: 12 },
      { name: 'rgb16.png', options: { variant: '16bit' as const, format: 'png' as const }, limit: 1 },
      { name: 'rgb16.tiff', options: { variant: '16bit' as const, format: 'tiff' as const }, limit: 1 },
      { name: 'palette.png', options: { variant: 'palette' as const, format: 'png' as const }, limit: 12 },
      { name: 'plain.webp', options: { format: 'webp' as const }, limit: 6 },
    ]
    for (const { name, options, limit } of cases) {
      const path = await writePhoto(dir, name, 'coffee', options)
      const image = await decode(path)
      expect(image.rgb.length, name).toBe(upright.width * upright.height * 3)
      expect(image.alpha, name).toBeNull()
      expect(meanDiff(image.rgb, upright.data), name).toBeLessThan(limit)
    }
    // Grayscale comes back as three equal channels holding the photo's luminance.
    const gray = await decode(await writePhoto(dir, 'gray.jpg', 'coffee', { variant: 'grayscale' }))
    const luminance = await sharp(upright.data, { raw: { width: upright.width, height: upright.height, channels: 3 } })
      .grayscale()
      .raw()
      .toBuffer()
    expect(luminance.length).toBe(upright.width * upright.height)
    const firstChannel = Buffer.alloc(luminance.length)
    for (let i = 0; i < firstChannel.length; i++) firstChannel[i] = gray.rgb[i * 3]!
    expect(meanDiff(firstChannel, luminance)).toBeLessThan(3)
    let unequal = 0
    for (let i = 0; i < gray.rgb.length; i += 3) if (gray.rgb[i] !== gray.rgb[i + 1] || gray.rgb[i] !== gray.rgb[i + 2]) unequal++
    expect(unequal).toBe(0)
  })

  it('keeps a real alpha channel apart and drops an all-opaque one', async () => {
    const withAlpha = await decode(await writePhoto(dir, 'alpha.png', 'chelsea', { variant: 'alpha', format: 'png' }))
    expect(withAlpha.alpha).not.toBeNull()
    expect(Math.abs(withAlpha.alpha![0]! - 128)).toBeLessThanOrEqual(1)
    const opaque = await sharp(await decode(await writePhoto(dir, 'opaque-src.png', 'chelsea', { format: 'png' })).then((i) => i.rgb), {
      raw: { width: 451, height: 300, channels: 3 },
    })
      .ensureAlpha(1)
      .png()
      .toBuffer()
    await writeFile(join(dir, 'opaque.png'), opaque)
    expect((await decode(join(dir, 'opaque.png'))).alpha).toBeNull()
  })

  it('refuses images over the pixel limit before decoding them', async () => {
    const path = await writePhoto(dir, 'big.jpg', 'rocket', { megapixels: 2 })
    expect(await probePixels(path)).toBeGreaterThan(1_900_000)
    await expect(decode(path, 1)).rejects.toSatisfy((e) => isKoutuError(e, 'image.too-large'))
    await expect(decode(path, 3)).resolves.toMatchObject({ format: 'jpeg' })
  })

  it('reports missing and non-image files as image.unreadable', async () => {
    await expect(decode(join(dir, 'nope.jpg'))).rejects.toSatisfy((e) => isKoutuError(e, 'image.unreadable'))
    await writeFile(join(dir, 'text.jpg'), 'not a picture at all')
    await expect(decode(join(dir, 'text.jpg'))).rejects.toSatisfy((e) => isKoutuError(e, 'image.unreadable'))
    const jpeg = await writePhoto(dir, 'whole.jpg', 'rocket')
    const truncated = (await sharp(jpeg).toBuffer()).subarray(0, 2000)
    await writeFile(join(dir, 'truncated.jpg'), truncated)
    await expect(decode(join(dir, 'truncated.jpg'))).rejects.toSatisfy((e) => isKoutuError(e, 'image.unreadable'))
  })

  it('routes HEIC files to the HEIC decoder and reports a broken one as image.heic-unsupported', async () => {
    const header = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(64, 7)])
    expect(looksLikeHeic(header)).toBe(true)
    expect(looksLikeHeic(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0]))).toBe(false)
    await writeFile(join(dir, 'broken.heic'), header)
    await expect(decode(join(dir, 'broken.heic'))).rejects.toSatisfy((e) => isKoutuError(e, 'image.heic-unsupported'))
  })

  it('decodes a real HEIC (HEVC) photo through libheif-js', async () => {
    // heif-enc (Debian package libheif-examples) makes the HEVC-coded file; sharp cannot.
    const heifEnc = '/usr/bin/heif-enc'
    if (!existsSync(heifEnc)) {
      throw new Error('HEIC fixtures need heif-enc: apt-get install -y --no-install-recommends libheif-examples')
    }
    const source = await writePhoto(dir, 'for-heic.png', 'chelsea', { format: 'png' })
    const heic = join(dir, 'chelsea.heic')
    await promisify(execFile)(heifEnc, ['-q', '90', '-o', heic, source])
    const image = await decode(heic)
    expect(image.format).toBe('heif')
    const upright = await photoPixels('chelsea')
    expect([image.width, image.height]).toEqual([upright.width, upright.height])
    expect(meanDiff(image.rgb, upright.data)).toBeLessThan(6)
  })

  it('decodes the model input with the same orientation and colours as the full decode', async () => {
    for (const [name, options] of [
      ['rocket-o6.jpg', { orientation: 6 as const, megapixels: 3 }],
      ['rocket-cmyk-o8.jpg', { orientation: 8 as const, variant: 'cmyk' as const }],
      ['rocket-alpha.png', { variant: 'alpha' as const, format: 'png' as const }],
    ] as const) {
      const path = await writePhoto(dir, name, 'rocket', options)
      const full = await decode(path)
      const small = await decodeForModel(path, 256, { maxMegapixels: 100 })
      expect([small.width, small.height], name).toEqual([full.width, full.height])
      const expected = await sharp(full.rgb, { raw: { width: full.width, height: full.height, channels: 3 } })
        .resize(256, 256, { fit: 'fill' })
        .raw()
        .toBuffer()
      expect(meanDiff(small.rgb, expected), name).toBeLessThan(4)
    }
    await expect(decodeForModel(join(dir, 'big.jpg'), 256, { maxMegapixels: 1 })).rejects.toSatisfy((e) => isKoutuError(e, 'image.too-large'))
  })
})
