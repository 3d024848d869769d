/**
 * Mask scaling (src/main/imaging/mask.ts, [Note: mask upsizing]): the hand-written upsizer must
 * compute what libvips computes, sample centre on centre, and leave flat areas exact.
 */
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { maskUpsizer, resizeMask, upsizeMask, VARYING } from '../../../src/main/imaging/mask'
import { PHOTOS, skimagePath } from '../../helpers/images'

/** A mask with real structure: a photo's luminance, contrast-stretched so it has flat 0 and 255 areas. */
async function photoMask(width: number, height: number): Promise<Buffer> {
  return sharp(skimagePath(PHOTOS.astronaut))
    .resize(width, height, { fit: 'fill' })
    .greyscale()
    .linear(3, -200)
    .toColourspace('b-w')
    .raw()
    .toBuffer()
}

function sharpUpsize(mask: Uint8Array, width: number, height: number, toWidth: number, toHeight: number): Promise<Buffer> {
  return sharp(mask, { raw: { width, height, channels: 1 } })
    .resize(toWidth, toHeight, { fit: 'fill', kernel: 'mitchell' })
    .toColourspace('b-w')
    .raw()
    .toBuffer()
}

function mirrorDifference(image: Uint8Array, width: number, height: number): number {
  let worst = 0
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const difference = Math.abs(image[y * width + x]! - image[y * width + (width - 1 - x)]!)
      if (difference > worst) worst = difference
    }
  }
  return worst
}

describe('upsizeMask', () => {
  it.each([
    { from: [256, 192], to: [1235, 987] },
    { from: [300, 200], to: [900, 600] },
    { from: [211, 173], to: [2500, 400] },
  ])('is byte-identical to sharp\'s bicubic enlargement when given libvips\' sampling offset ($from -> $to)', async ({ from, to }) => {
    const [width, height] = from as [number, number]
    const [toWidth, toHeight] = to as [number, number]
    const mask = await photoMask(width, height)
    const ours = upsizeMask(mask, width, height, toWidth, toHeight, { legacyOffset: true })
    const theirs = await sharpUpsize(mask, width, height, toWidth, toHeight)
    expect(ours.length).toBe(theirs.length)
    let differing = 0
    for (let i = 0; i < ours.length; i++) if (ours[i] !== theirs[i]) differing++
    expect(differing).toBe(0)
    // The mask really has soft and flat parts, so the comparison covers both code paths.
    const flat = [...mask].filter((v) => v === 0 || v === 255).length / mask.length
    expect(flat).toBeGreaterThan(0.2)
    expect(flat).toBeLessThan(0.9)
  })

  it('is byte-identical to sharp on a subject mask with empty rows and empty row ends (odd width)', async () => {
    // Like a model's mask: background (exactly 0) above, below and beside a soft-edged subject,
    // which upsizeMask fills without weighting.
    const width = 120
    const height = 90
    const mask = new Uint8Array(width * height)
    for (let y = 20; y < 75; y++) {
      for (let x = 30; x < 95; x++) mask[y * width + x] = Math.max(0, Math.min(255, Math.round((26 - Math.hypot(x - 62, y - 47)) * 40)))
    }
    const ours = upsizeMask(mask, width, height, 1001, 777, { legacyOffset: true })
    const theirs = await sharpUpsize(mask, width, height, 1001, 777)
    expect(Buffer.compare(ours, theirs)).toBe(0)
    expect(ours[0]).toBe(0)
    expect(ours.includes(255)).toBe(true)
  })

  it('samples centre on centre: a mirror-symmetric mask stays symmetric, unlike libvips 8.18\'s offset', () => {
    const width = 64
    const height = 48
    const mask = new Uint8Array(width * height)
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        // A disc centred between pixels 31 and 32, with a soft rim.
        const distance = Math.hypot(x - 31.5, y - 23.5)
        mask[y * width + x] = Math.max(0, Math.min(255, Math.round((18 - distance) * 60)))
      }
    }
    const toWidth = 237
    const toHeight = 181
    expect(mirrorDifference(upsizeMask(mask, width, height, toWidth, toHeight), toWidth, toHeight)).toBeLessThanOrEqual(1)
    expect(mirrorDifference(upsizeMask(mask, width, height, toWidth, toHeight, { legacyOffset: true }), toWidth, toHeight)).toBeGreaterThan(10)
  })

  it('keeps flat masks exactly flat', () => {
    for (const value of [0, 77, 255]) {
      const out = upsizeMask(new Uint8Array(40 * 30).fill(value), 40, 30, 413, 297)
      expect(out.every((v) => v === value)).toBe(true)
    }
  })

  it('describes every row by spans that cover it, flat spans holding exactly their value', async () => {
    const width = 256
    const height = 192
    const mask = await photoMask(width, height)
    const toWidth = 1001
    const toHeight = 777
    const rows = maskUpsizer(mask, width, height, toWidth, toHeight)
    const row = new Uint8Array(toWidth)
    let flatPixels = 0
    let varyingPixels = 0
    for (let y = 0; y < toHeight; y++) {
      const spans = rows.row(y, row, 0)
      let start = 0
      for (let i = 0; i < spans.count; i++) {
        const end = spans.ends[i]!
        expect(end).toBeGreaterThan(start)
        const value = spans.values[i]!
        if (value === VARYING) {
          varyingPixels += end - start
        } else {
          flatPixels += end - start
          for (let x = start; x < end; x++) if (row[x] !== value) throw new Error(`row ${y} pixel ${x} is ${row[x]}, its span says ${value}`)
        }
        start = end
      }
      expect(start).toBe(toWidth)
    }
    // The photo mask has both kinds in quantity, so both were checked.
    expect(flatPixels / (toWidth * toHeight)).toBeGreaterThan(0.2)
    expect(varyingPixels / (toWidth * toHeight)).toBeGreaterThan(0.1)
    // And the rows are the same as the whole-mask upsizer's.
    const whole = upsizeMask(mask, width, height, toWidth, toHeight)
    expect(Buffer.compare(Buffer.from(row), whole.subarray((toHeight - 1) * toWidth))).toBe(0)
  })

  it('refuses to shrink (that needs a low-pass filter)', () => {
    expect(() => upsizeMask(new Uint8Array(100), 10, 10, 5, 20)).toThrow(/only enlarges/)
  })
})

describe('resizeMask', () => {
  it('low-passes an axis that shrinks and upsizes the other', async () => {
    // One-pixel stripes: sampled without a low-pass filter they would alias into bands of 0 and 255.
    const width = 1024
    const height = 64
    const stripes = new Uint8Array(width * height)
    for (let i = 0; i < stripes.length; i++) stripes[i] = (i % width) % 2 === 0 ? 0 : 255
    const out = await resizeMask(stripes, width, height, 500, 300)
    expect(out.length).toBe(500 * 300)
    const interior = [...out.subarray(150 * 500 + 10, 150 * 500 + 490)]
    expect(Math.min(...interior)).toBeGreaterThan(100)
    expect(Math.max(...interior)).toBeLessThan(155)
  })

  it('returns an unchanged copy when the sizes already match', async () => {
    const mask = new Uint8Array([0, 10, 200, 255])
    const out = await resizeMask(mask, 2, 2, 2, 2)
    expect([...out]).toEqual([0, 10, 200, 255])
    expect(out.buffer).not.toBe(mask.buffer)
  })
})
