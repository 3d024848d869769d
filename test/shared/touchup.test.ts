/**
 * The touch-up brushes on small rasters: erase and restore inside the brush only, softness as a
 * fade, one stroke never building up over itself, restore bringing back the original's colour,
 * the edge-aware brush stopping at a colour edge, and the editor's scaled preview matching.
 */
import { describe, expect, it } from 'vitest'
import { applyStrokes, type TouchUpStroke } from '../../src/shared/touchup'

const W = 100
const H = 60

/** A cutout: left half opaque red subject, right half transparent; original: red | blue. */
function scene(): { cutout: { data: Uint8Array; width: number; height: number }; original: { data: Uint8Array; channels: 3 } } {
  const cutout = new Uint8Array(W * H * 4)
  const original = new Uint8Array(W * H * 3)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x
      const subject = x < W / 2
      original.set(subject ? [200, 30, 30] : [30, 30, 200], i * 3)
      if (subject) cutout.set([200, 30, 30, 255], i * 4)
    }
  }
  return { cutout: { data: cutout, width: W, height: H }, original: { data: original, channels: 3 } }
}

const stroke = (over: Partial<TouchUpStroke>): TouchUpStroke => ({ mode: 'erase', size: 20, softness: 0, edgeAware: false, points: [25, 30, 25, 30], ...over })
const alphaAt = (data: Uint8Array, x: number, y: number): number => data[(y * W + x) * 4 + 3]!

describe('touch-up brushes', () => {
  it('erases a hard disc and nothing outside it', () => {
    const { cutout, original } = scene()
    applyStrokes(cutout, original, [stroke({})])
    expect(alphaAt(cutout.data, 25, 30)).toBe(0)
    expect(alphaAt(cutout.data, 25 + 8, 30)).toBe(0)
    expect(alphaAt(cutout.data, 25 + 11, 30)).toBe(255)
    expect(alphaAt(cutout.data, 25, 30 - 11)).toBe(255)
  })

  it('fades with softness, and going over a spot twice in one stroke does not build up', () => {
    const soft = scene()
    applyStrokes(soft.cutout, soft.original, [stroke({ softness: 1, size: 40 })])
    const edge = alphaAt(soft.cutout.data, 25 + 12, 30)
    expect(edge).toBeGreaterThan(0)
    expect(edge).toBeLessThan(255)
    const once = scene()
    applyStrokes(once.cutout, once.original, [stroke({ softness: 1, size: 40, points: [25, 30, 26, 30] })])
    const twice = scene()
    applyStrokes(twice.cutout, twice.original, [stroke({ softness: 1, size: 40, points: [25, 30, 26, 30, 25, 30, 26, 30] })])
    expect(twice.cutout.data).toEqual(once.cutout.data)
  })

  it('restores with the original colour', () => {
    const { cutout, original } = scene()
    applyStrokes(cutout, original, [stroke({ mode: 'restore', points: [75, 30, 85, 30] })])
    const i = (30 * W + 80) * 4
    expect([...cutout.data.subarray(i, i + 4)]).toEqual([30, 30, 200, 255])
    expect(alphaAt(cutout.data, 60, 30)).toBe(0)
  })

  it('stops at a colour edge when edge-aware', () => {
    const aware = scene()
    applyStrokes(aware.cutout, aware.original, [stroke({ mode: 'restore', size: 30, edgeAware: true, points: [46, 30, 46, 30] })])
    // Centred on red: the red side is unchanged (already opaque), the blue side is not restored.
    expect(alphaAt(aware.cutout.data, 55, 30)).toBe(0)
    const unaware = scene()
    applyStrokes(unaware.cutout, unaware.original, [stroke({ mode: 'restore', size: 30, points: [46, 30, 46, 30] })])
    expect(alphaAt(unaware.cutout.data, 55, 30)).toBe(255)
  })

  it('paints a scaled preview where the full-size stroke is', () => {
    const full = scene()
    applyStrokes(full.cutout, full.original, [stroke({ size: 30, points: [20, 20, 40, 40] })])
    const small = { data: new Uint8Array((W / 2) * (H / 2) * 4).fill(255), width: W / 2, height: H / 2 }
    applyStrokes(small, { data: new Uint8Array((W / 2) * (H / 2) * 3), channels: 3 }, [stroke({ size: 30, points: [20, 20, 40, 40] })], 0.5)
    expect(small.data[(15 * (W / 2) + 15) * 4 + 3]).toBe(0)
    expect(alphaAt(full.cutout.data, 30, 30)).toBe(0)
    expect(small.data[(2 * (W / 2) + 45) * 4 + 3]).toBe(255)
  })
})
