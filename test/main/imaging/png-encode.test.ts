import { randomBytes } from 'node:crypto'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { encodePng } from '../../../src/main/imaging/png-encode'
import { featheredDisc, photoPixels } from '../../helpers/images'

/** Decode with sharp (libspng) and return the raw pixels. */
async function decode(png: Buffer): Promise<{ data: Buffer; channels: number; width: number; height: number; format: string | undefined }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true })
  const { format } = await sharp(png).metadata()
  return { data, channels: info.channels, width: info.width, height: info.height, format }
}

/** Count the pixels whose decoded value differs from what was encoded (transparent ones must be 0). */
function mismatches(decoded: Buffer, rgb: Uint8Array, alpha: Uint8Array | null): number {
  const channels = alpha ? 4 : 3
  let wrong = 0
  for (let i = 0; i < rgb.length / 3; i++) {
    const a = alpha ? alpha[i]! : 255
    const expected = a === 0 ? [0, 0, 0, 0] : [rgb[i * 3]!, rgb[i * 3 + 1]!, rgb[i * 3 + 2]!, a]
    for (let c = 0; c < channels; c++) if (decoded[i * channels + c] !== expected[c]) wrong++
  }
  return wrong
}

describe('encodePng', () => {
  // Widths whose row length is not a multiple of 4 bytes exercise the tail of the word-wise filter.
  it.each([
    { width: 1, height: 1 },
    { width: 5, height: 3 },
    { width: 7, height: 11 },
    { width: 333, height: 17 },
  ])('round-trips random RGB and RGBA exactly ($width x $height)', async ({ width, height }) => {
    const rgb = randomBytes(width * height * 3)
    const alpha = randomBytes(width * height)
    // Some fully transparent pixels: stored as 0 whatever their colour.
    for (let i = 0; i < alpha.length; i += 3) alpha[i] = 0
    for (const a of [alpha, null]) {
      const out = await decode(await encodePng(rgb, a, width, height))
      expect(out.format).toBe('png')
      expect([out.width, out.height, out.channels]).toEqual([width, height, a ? 4 : 3])
      expect(mismatches(out.data, rgb, a)).toBe(0)
    }
  })

  it('round-trips rows whose transparent ends grow and shrink from row to row', async () => {
    // The writer fills transparent row ends instead of packing them, and trusts the row above
    // only where it was transparent too: every combination of longer and shorter ends, and
    // rows transparent throughout, must still decode exactly.
    const width = 97
    const height = 60
    const rgb = randomBytes(width * height * 3)
    const alpha = randomBytes(width * height)
    const ends = randomBytes(height * 2)
    for (let y = 0; y < height; y++) {
      const lead = y % 7 === 3 ? width : ends[y * 2]! % 60
      const trail = ends[y * 2 + 1]! % 60
      for (let x = 0; x < width; x++) {
        const i = y * width + x
        if (x < lead || x >= width - trail) alpha[i] = 0
        else if (alpha[i] === 0) alpha[i] = 1
      }
    }
    const out = await decode(await encodePng(rgb, alpha, width, height))
    expect(mismatches(out.data, rgb, alpha)).toBe(0)
  })

  it('round-trips a real photo cutout spanning many 1 MB blocks, and compresses it', async () => {
    const photo = await photoPixels('coffee', 2)
    const { width, height } = photo
    const disc = featheredDisc(Math.max(width, height), Math.min(width, height) * 0.4, 40)
    const side = Math.max(width, height)
    const alpha = Buffer.alloc(width * height)
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) alpha[y * width + x] = disc[y * side + x]!
    const png = await encodePng(photo.data, alpha, width, height)
    const out = await decode(png)
    expect([out.width, out.height, out.channels]).toEqual([width, height, 4])
    expect(mismatches(out.data, photo.data, alpha)).toBe(0)
    // Filtered and deflated: well under the raw 4 bytes a pixel.
    expect(png.length).toBeLessThan(width * height * 2)
  })

  it('refuses buffers that do not match the size', async () => {
    await expect(encodePng(Buffer.alloc(10), null, 2, 2)).rejects.toThrow(/RGB bytes/)
    await expect(encodePng(Buffer.alloc(12), Buffer.alloc(3), 2, 2)).rejects.toThrow(/alpha bytes/)
  })
})
