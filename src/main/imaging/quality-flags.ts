/**
 * Quality flags: a few counts over a finished cutout's alpha mask that point a person at the
 * cutouts most likely to have gone wrong (nothing kept, everything kept, a subject cut by the
 * frame, an unusually soft mask). The engines compute them on the mask they already hold (the
 * local engine on the model's 1024² mask, the remote engine on the returned alpha), so it costs
 * one pass over about a million bytes per photo.
 *
 * [Note: quality thresholds] The constants below were chosen from masks measured on the test
 * photos (scikit-image's samples, ISNet medium and small; figures in docs/review.md):
 * - Photos with a clear subject kept 9-60 % of the frame; texture close-ups without a subject
 *   (grass, gravel, brick) kept under 1 % or over 97 %, or a speckle of soft islands. So
 *   under 1.5 % is "no subject" and over 96 % "background kept".
 * - Soft (half-transparent) pixels are 0.5-3 % of the frame on clean cutouts, and they grow
 *   with the subject's outline; a mask that cannot decide is soft over large areas. So the
 *   share is taken of the frame and of the kept area: over 12 % of the frame, or more soft
 *   pixels than 40 % of the kept ones, is "uncertain".
 * - The frame: a subject standing on the bottom edge is normal (a product on a table, a
 *   portrait's shoulders), and so is a subject widening towards the bottom. So the bottom edge
 *   never counts, and of the left and right edges only the upper 70 % counts; the subject is
 *   "cut at the edge" when it covers more than 8 % of the top edge or of the counted part of a
 *   side. A strip of 2 pixels (at 1024²) is read, so a one-pixel halo at the border does not count.
 */
import type { QualityFlag } from '../../shared/batch'

/** Alpha at or above this is subject when measuring areas and edges. */
export const KEPT_ALPHA = 128
/** Alpha in [SOFT_MIN, SOFT_MAX] is half-transparent. */
export const SOFT_MIN = 16
export const SOFT_MAX = 239
/** Kept share of the frame below which no subject was found. */
export const NO_SUBJECT_BELOW = 0.015
/** Kept share of the frame above which the background was kept. */
export const BACKGROUND_KEPT_ABOVE = 0.96
/** Soft share of the frame above which the mask is uncertain. */
export const UNCERTAIN_FRAME_SHARE = 0.12
/** Soft pixels per kept pixel above which the mask is uncertain. */
export const UNCERTAIN_KEPT_RATIO = 0.4
/** Share of an edge the subject may cover before it counts as cut by the frame. */
export const EDGE_CONTACT_ABOVE = 0.08
/** Of the left and right edges, only this upper share counts (see the note). */
export const SIDE_COUNTED_SHARE = 0.7
/** Width of the border strip read, as a share of the shorter side (2 px at 1024²). */
export const EDGE_STRIP_SHARE = 2 / 1024

/** The counts the flags are decided from (kept for the docs and the tests). */
export interface MaskMeasures {
  /** Share of the frame with alpha >= KEPT_ALPHA. */
  kept: number
  /** Share of the frame that is half-transparent. */
  soft: number
  /** Share of each counted edge the subject covers. */
  top: number
  left: number
  right: number
  bottom: number
}

/** One pass over `mask` (width * height bytes). */
export function measureMask(mask: Uint8Array, width: number, height: number): MaskMeasures {
  const total = width * height
  if (mask.length !== total || total === 0) throw new Error(`mask has ${mask.length} pixels, expected ${total}`)
  let kept = 0
  let soft = 0
  for (let i = 0; i < total; i++) {
    const a = mask[i]!
    if (a >= KEPT_ALPHA) kept++
    if (a >= SOFT_MIN && a <= SOFT_MAX) soft++
  }
  const strip = Math.max(1, Math.round(Math.min(width, height) * EDGE_STRIP_SHARE))
  const sideRows = Math.max(1, Math.round(height * SIDE_COUNTED_SHARE))
  // An edge pixel is covered when any pixel of the strip across it is subject.
  const column = (x0: number, rows: number): number => {
    let covered = 0
    for (let y = 0; y < rows; y++) {
      for (let dx = 0; dx < strip; dx++) {
        if (mask[y * width + x0 + dx]! >= KEPT_ALPHA) {
          covered++
          break
        }
      }
    }
    return covered / rows
  }
  const row = (y0: number): number => {
    let covered = 0
    for (let x = 0; x < width; x++) {
      for (let dy = 0; dy < strip; dy++) {
        if (mask[(y0 + dy) * width + x]! >= KEPT_ALPHA) {
          covered++
          break
        }
      }
    }
    return covered / width
  }
  return {
    kept: kept / total,
    soft: soft / total,
    top: row(0),
    bottom: row(height - strip),
    left: column(0, sideRows),
    right: column(width - strip, sideRows),
  }
}

/** The flags for a mask's measures, in a fixed order. */
export function flagsFromMeasures(measures: MaskMeasures): QualityFlag[] {
  const flags: QualityFlag[] = []
  if (measures.kept < NO_SUBJECT_BELOW) flags.push('no-subject')
  if (measures.kept > BACKGROUND_KEPT_ABOVE) flags.push('background-kept')
  // A mask that is empty or full touches every edge or none: only a real subject can be cut.
  const subject = flags.length === 0
  if (subject && Math.max(measures.top, measures.left, measures.right) > EDGE_CONTACT_ABOVE) flags.push('cut-at-edge')
  if (subject && (measures.soft > UNCERTAIN_FRAME_SHARE || measures.soft > UNCERTAIN_KEPT_RATIO * measures.kept)) flags.push('uncertain')
  return flags
}

/** measureMask then flagsFromMeasures. */
export function qualityFlags(mask: Uint8Array, width: number, height: number): QualityFlag[] {
  return flagsFromMeasures(measureMask(mask, width, height))
}
