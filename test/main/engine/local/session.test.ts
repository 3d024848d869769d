/**
 * Model output to mask (src/main/engine/local/session.ts, [Note: mask snapping]): rounding,
 * clamping, the sigmoid for logit models, and snapping of the faintest levels at both ends.
 */
import { describe, expect, it } from 'vitest'
import { SNAP_LEVELS, toMask } from '../../../../src/main/engine/local/session'

/** Probabilities that land exactly on each 8-bit level 0-255. */
const levels = Float32Array.from({ length: 256 }, (_, v) => v / 255)

describe('toMask', () => {
  it('keeps every level between the snapping bands and snaps the bands to 0 and 255', () => {
    const mask = toMask(levels, false)
    for (let v = 0; v < 256; v++) {
      const expected = v <= SNAP_LEVELS ? 0 : v >= 255 - SNAP_LEVELS ? 255 : v
      if (mask[v] !== expected) throw new Error(`level ${v} became ${mask[v]}, expected ${expected}`)
    }
    // The bands are narrow: most of the soft range survives.
    expect(new Set(mask).size).toBe(256 - 2 * SNAP_LEVELS)
  })

  it('rounds to the nearest level and clamps values outside 0-1 (and NaN) instead of wrapping', () => {
    const mask = toMask(Float32Array.from([100.4 / 255, 100.6 / 255, -3, 1.5, Number.NaN, 1]), false)
    expect([...mask]).toEqual([100, 101, 0, 255, 0, 255])
  })

  it('applies the sigmoid to logits first', () => {
    // logit(p) = ln(p / (1 - p)): these are the probabilities 0.5, 0.9 and 0.001.
    const logits = Float32Array.from([0.5, 0.9, 0.001].map((p) => Math.log(p / (1 - p))))
    expect([...toMask(logits, true)]).toEqual([128, 230, 0])
  })
})
