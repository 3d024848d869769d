import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { composeCutout, composeCutoutFromMask, type ComposeOptions } from '../../../src/main/imaging/compose'
import type { DecodedImage } from '../../../src/main/imaging/decode'
import { resizeMask, subjectBox } from '../../../src/main/imaging/mask'
import { makeComposite } from '../../helpers/images'

const base: ComposeOptions = { format: 'png', backgroundColor: null, maskOnly: false, cropMargin: null, decontaminateEdges: false }

async function raw(encoded: Uint8Array): Promise<{ data: Buffer; channels: number; width: number; height: number }> {
  const { data, info } = await sharp(encoded).raw().toBuffer({ resolveWithObject: true })
  return { data, channels: info.channels, width: info.width, height: info.height }
}

async function compositeImage(background: `#${string}` | 'gravel', feather = 12, width = 480, height = 360) {
  const composite = await makeComposite({ object: 'retina', background, width, height, feather })
  const { data } = await sharp(composite.file).raw().toBuffer({ resolveWithObject: true })
  const image: DecodedImage = { rgb: data, alpha: null, width: composite.width, height: composite.height, format: 'png', orientation: 1 }
  return { composite, image }
}

/** The picture and mask squashed to 1024², the way the local engine's model sees them. */
async function squashedView(rgb: Uint8Array, alpha: Uint8Array, width: number, height: number) {
  const squash = (data: Uint8Array, channels: 1 | 3) => {
    const resized = sharp(data, { raw: { width, height, channels } }).resize(1024, 1024, { fit: 'fill' })
    return (channels === 1 ? resized.toColourspace('b-w') : resized).raw().toBuffer()
  }
  return { rgb: await squash(rgb, 3), alpha: await squash(alpha, 1), width: 1024, height: 1024 }
}

describe('composeCutout', () => {
  // 480x360 runs the estimation at full resolution; 1600x1200 exercises the low-resolution
  // local means (see [Note: low-resolution blur fusion]), once built from the full-resolution
  // buffers and once from a squashed 1024² view, as the local engine passes its model input.
  it.each([
    { width: 480, height: 360, feather: 12, view: false },
    { width: 1600, height: 1200, feather: 30, view: false },
    { width: 1600, height: 1200, feather: 30, view: true },
  ])('decontamination removes the old background colour from the soft edge ($width x $height, 1024² view: $view)', async ({ width, height, feather, view }) => {
    // A red photographed disc with a soft rim on saturated green: the rim's pixels are blends
    // of both, and without decontamination the cutout keeps a green fringe.
    const errors: Record<string, number> = {}
    const greenExcess: Record<string, number> = {}
    for (const decontaminateEdges of [false, true]) {
      const { composite, image } = await compositeImage('#00c800', feather, width, height)
      const lowResolution = view ? await squashedView(image.rgb, composite.alpha, width, height) : undefined
      const out = await raw((await composeCutout(image, Buffer.from(composite.alpha), { ...base, decontaminateEdges }, lowResolution)).data)
      expect(out.channels).toBe(4)
      let weighted = 0
      let weight = 0
      let excess = 0
      let count = 0
      for (let i = 0; i < composite.alpha.length; i++) {
        const a = composite.alpha[i]!
        if (a === 0 || a === 255) continue
        for (let c = 0; c < 3; c++) weighted += (a / 255) * Math.abs(out.data[i * 4 + c]! - composite.foreground[i * 3 + c]!)
        weight += 3 * (a / 255)
        const [r, g, b] = [out.data[i * 4]!, out.data[i * 4 + 1]!, out.data[i * 4 + 2]!]
        const [tr, tg, tb] = [composite.foreground[i * 3]!, composite.foreground[i * 3 + 1]!, composite.foreground[i * 3 + 2]!]
        excess += g - (r + b) / 2 - (tg - (tr + tb) / 2)
        count++
      }
      expect(count).toBeGreaterThan(1000)
      errors[String(decontaminateEdges)] = weighted / weight
      greenExcess[String(decontaminateEdges)] = excess / count
    }
    console.info('edge band colour error (off, on)', errors, 'green excess (off, on)', greenExcess)
    expect(errors['true']!).toBeLessThan(errors['false']! * 0.3)
    expect(greenExcess['false']!).toBeGreaterThan(20)
    expect(Math.abs(greenExcess['true']!)).toBeLessThan(greenExcess['false']! * 0.25)
  })

  it('leaves opaque pixels untouched and clears fully transparent ones', async () => {
    const { composite, image } = await compositeImage('gravel')
    const original = Buffer.from(image.rgb)
    const out = await raw((await composeCutout(image, Buffer.from(composite.alpha), { ...base, decontaminateEdges: true })).data)
    let opaqueChanged = 0
    let transparentNonBlack = 0
    for (let i = 0; i < composite.alpha.length; i++) {
      const a = composite.alpha[i]!
      for (let c = 0; c < 3; c++) {
        if (a === 255 && out.data[i * 4 + c] !== original[i * 3 + c]) opaqueChanged++
        if (a === 0 && out.data[i * 4 + c] !== 0) transparentNonBlack++
      }
      expect(out.data[i * 4 + 3]).toBe(a)
    }
    expect(opaqueChanged).toBe(0)
    expect(transparentNonBlack).toBe(0)
  })

  it('paints a background colour instead of transparency', async () => {
    const { composite, image } = await compositeImage('gravel')
    const original = Buffer.from(image.rgb)
    const out = await raw((await composeCutout(image, Buffer.from(composite.alpha), { ...base, backgroundColor: '#ff8000' })).data)
    expect(out.channels).toBe(3)
    const corner = 0
    expect([...out.data.subarray(corner, corner + 3)]).toEqual([255, 128, 0])
    const centre = (180 * 480 + 240) * 3
    expect(composite.alpha[180 * 480 + 240]).toBe(255)
    expect([...out.data.subarray(centre, centre + 3)]).toEqual([...original.subarray(centre, centre + 3)])
  })

  it('emits the mask alone, and crops to the subject with a margin', async () => {
    const { composite, image } = await compositeImage('gravel')
    const maskFile = (await composeCutout({ ...image, rgb: Buffer.from(image.rgb) }, Buffer.from(composite.alpha), { ...base, maskOnly: true })).data
    expect((await sharp(maskFile).metadata()).channels).toBe(1)
    const maskPixels = await sharp(maskFile).extractChannel(0).raw().toBuffer()
    expect(Buffer.compare(maskPixels, composite.alpha)).toBe(0)

    const box = subjectBox(composite.alpha, composite.width, composite.height, 10)!
    const cropped = await composeCutout(image, Buffer.from(composite.alpha), { ...base, cropMargin: 10 })
    expect([cropped.width, cropped.height]).toEqual([box.width, box.height])
    const disc = subjectBox(composite.alpha, composite.width, composite.height, 0)!
    expect(box.width).toBe(disc.width + 20)
    const decoded = await raw(cropped.data)
    expect([decoded.width, decoded.height]).toEqual([box.width, box.height])
    // The margin is transparent.
    expect(decoded.data[3]).toBe(0)
  })

  it('keeps the full frame when asked to crop an empty mask', async () => {
    const { image } = await compositeImage('gravel')
    const result = await composeCutout(image, Buffer.alloc(image.width * image.height), { ...base, cropMargin: 5 })
    expect(result.emptyMask).toBe(true)
    expect([result.width, result.height]).toEqual([480, 360])
  })

  it('encodes lossless WebP with exactly the given alpha', async () => {
    const { composite, image } = await compositeImage('gravel')
    const result = await composeCutout(image, Buffer.from(composite.alpha), { ...base, format: 'webp' })
    expect((await sharp(result.data).metadata()).format).toBe('webp')
    const out = await raw(result.data)
    let alphaDiff = 0
    for (let i = 0; i < composite.alpha.length; i++) alphaDiff += Math.abs(out.data[i * 4 + 3]! - composite.alpha[i]!)
    expect(alphaDiff).toBe(0)
  })

  it("multiplies the mask by the original's own alpha", async () => {
    const { composite, image } = await compositeImage('gravel')
    const half = Buffer.alloc(image.width * image.height, 128)
    const out = await raw((await composeCutout({ ...image, alpha: half }, Buffer.from(composite.alpha), base)).data)
    const centre = 180 * 480 + 240
    expect(out.data[centre * 4 + 3]).toBe(128)
  })
})

describe('composeCutoutFromMask', () => {
  // [Note: streaming composition]: the row-by-row path must write exactly what scaling the whole
  // mask and composing would, with and without decontamination, at an odd width.
  it.each([{ decontaminateEdges: true }, { decontaminateEdges: false }])(
    'streams the same PNG bytes as composing with the whole enlarged mask (decontaminate: $decontaminateEdges)',
    async ({ decontaminateEdges }) => {
      const width = 2001
      const height = 1333
      const { composite, image } = await compositeImage('gravel', 40, width, height)
      const view = await squashedView(image.rgb, composite.alpha, width, height)
      const options = { ...base, decontaminateEdges }
      const whole = await composeCutout({ ...image, rgb: Buffer.from(image.rgb) }, await resizeMask(view.alpha, 1024, 1024, width, height), options, view)
      const streamed = await composeCutoutFromMask({ ...image, rgb: Buffer.from(image.rgb) }, view.alpha, 1024, 1024, options, view)
      expect(streamed.width).toBe(width)
      expect(streamed.height).toBe(height)
      expect(Buffer.compare(Buffer.from(streamed.data), Buffer.from(whole.data))).toBe(0)
      // And it is a real cutout: soft edges, transparent and opaque areas.
      const out = await raw(streamed.data)
      const alphas = new Set<number>()
      for (let i = 3; i < out.data.length; i += 4) alphas.add(out.data[i]!)
      expect(alphas.has(0) && alphas.has(255) && alphas.size > 100).toBe(true)
    },
  )

  it('falls back to the whole mask for options the stream does not cover (crop), with the same result', async () => {
    const width = 1500
    const height = 1100
    const { composite, image } = await compositeImage('gravel', 20, width, height)
    const view = await squashedView(image.rgb, composite.alpha, width, height)
    const options = { ...base, cropMargin: 8 }
    const whole = await composeCutout({ ...image, rgb: Buffer.from(image.rgb) }, await resizeMask(view.alpha, 1024, 1024, width, height), options, view)
    const viaMask = await composeCutoutFromMask({ ...image, rgb: Buffer.from(image.rgb) }, view.alpha, 1024, 1024, options, view)
    expect(viaMask.width).toBeLessThan(width)
    expect(Buffer.compare(Buffer.from(viaMask.data), Buffer.from(whole.data))).toBe(0)
  })
})

describe('resizeMask', () => {
  it('scales a mask to a non-square size with smooth, unringed edges', async () => {
    const small = Buffer.alloc(64 * 64)
    for (let y = 0; y < 64; y++) for (let x = 32; x < 64; x++) small[y * 64 + x] = 255
    const big = await resizeMask(small, 64, 64, 640, 320)
    expect(big.length).toBe(640 * 320)
    const row = [...big.subarray(160 * 640, 161 * 640)]
    expect(row[0]).toBe(0)
    expect(row[639]).toBe(255)
    // Monotonic across the step: no overshoot halo.
    for (let x = 1; x < 640; x++) expect(row[x]!).toBeGreaterThanOrEqual(row[x - 1]!)
    expect(row.filter((v) => v > 0 && v < 255).length).toBeGreaterThan(2)
  })
})
