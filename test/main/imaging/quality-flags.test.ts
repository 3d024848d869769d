/**
 * The quality flags' rules on masks drawn to sit just either side of each threshold, so a rule
 * that drifts (or an edge that counts when it should not) fails here; the photos' side is
 * test/main/engine/local/quality-flags-photos.test.ts.
 */
import { describe, expect, it } from 'vitest'
import {
  BACKGROUND_KEPT_ABOVE,
  EDGE_CONTACT_ABOVE,
  NO_SUBJECT_BELOW,
  SIDE_COUNTED_SHARE,
  measureMask,
  qualityFlags,
} from '../../../src/main/imaging/quality-flags'

const W = 400
const H = 300

/** A mask with an opaque rectangle [x0, x1) x [y0, y1) and everything else 0. */
function rectangle(x0: number, y0: number, x1: number, y1: number, value = 255): Uint8Array {
  const mask = new Uint8Array(W * H)
  for (let y = y0; y < y1; y++) mask.fill(value, y * W + x0, y * W + x1)
  return mask
}

describe('quality flags', () => {
  it('flags an empty or nearly empty mask as "no subject", and a small real subject not', () => {
    expect(qualityFlags(new Uint8Array(W * H), W, H)).toEqual(['no-subject'])
    // Just under the threshold: 1.4 % of the frame.
    const side = Math.floor(Math.sqrt(NO_SUBJECT_BELOW * 0.93 * W * H))
    expect(qualityFlags(rectangle(100, 100, 100 + side, 100 + side), W, H)).toEqual(['no-subject'])
    // A subject of 4 % of the frame, well inside it, is fine.
    expect(qualityFlags(rectangle(150, 100, 210, 180), W, H)).toEqual([])
  })

  it('flags a mask that kept almost everything as "background kept"', () => {
    expect(qualityFlags(new Uint8Array(W * H).fill(255), W, H)).toEqual(['background-kept'])
    // A 2-pixel transparent border is still "everything".
    expect(qualityFlags(rectangle(2, 2, W - 2, H - 2), W, H)).toEqual(['background-kept'])
    const measured = measureMask(rectangle(0, 0, W, Math.floor(H * 0.9)), W, H)
    expect(measured.kept).toBeLessThan(BACKGROUND_KEPT_ABOVE)
  })

  it('does not flag a subject standing on the bottom edge, nor one widening into the lower sides', () => {
    // A product on the table: touches the bottom along its whole width.
    expect(qualityFlags(rectangle(120, 60, 280, H), W, H)).toEqual([])
    // A portrait's shoulders: full width in the bottom 25 %.
    const portrait = rectangle(140, 40, 260, H)
    for (let y = Math.ceil(H * SIDE_COUNTED_SHARE) + 2; y < H; y++) portrait.fill(255, y * W, y * W + W)
    expect(qualityFlags(portrait, W, H)).toEqual([])
  })

  it('flags a subject running into the top or the upper part of a side as "cut at the edge"', () => {
    expect(qualityFlags(rectangle(120, 0, 280, 200), W, H)).toEqual(['cut-at-edge'])
    expect(qualityFlags(rectangle(0, 60, 150, 200), W, H)).toEqual(['cut-at-edge'])
    expect(qualityFlags(rectangle(250, 30, W, 150), W, H)).toEqual(['cut-at-edge'])
    // Touching the top over less than the allowed share is not a cut (a tip of hair, an antenna).
    const tip = Math.floor(W * EDGE_CONTACT_ABOVE * 0.8)
    const mask = rectangle(120, 40, 280, 200)
    for (let y = 0; y < 40; y++) mask.fill(255, y * W + 200, y * W + 200 + tip)
    expect(qualityFlags(mask, W, H)).toEqual([])
  })

  it('flags a mask with a large half-transparent share as "uncertain", and a clean soft edge not', () => {
    // A subject with a soft haze around it as large as itself.
    const hazy = rectangle(100, 60, 300, 240, 120)
    for (let y = 100; y < 200; y++) hazy.fill(255, y * W + 150, y * W + 250)
    expect(qualityFlags(hazy, W, H)).toEqual(['uncertain'])
    // The same subject with a 2-pixel feathered edge.
    const clean = rectangle(148, 98, 252, 202, 128)
    for (let y = 100; y < 200; y++) clean.fill(255, y * W + 150, y * W + 250)
    expect(measureMask(clean, W, H).soft).toBeGreaterThan(0)
    expect(qualityFlags(clean, W, H)).toEqual([])
  })

  it('refuses a mask of the wrong size', () => {
    expect(() => measureMask(new Uint8Array(10), W, H)).toThrow(/pixels/)
  })
})
