/**
 * Mask quality on synthetic composites with known ground truth: objects with real alpha pasted
 * on real photographs (test/helpers/images.ts). Thresholds sit a margin below what ISNet medium
 * measured here (see docs/local-engine.md), so a broken pre- or post-processing step (wrong
 * normalisation, channel order, orientation, resize filter) fails the test.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { useInProcessPipeline } from './in-process-pipeline'
import type { OutputOptions } from '../../../../src/main/engine/types'
import { makeComposite, maskIoU, meanAbsoluteAlphaError, type CompositeOptions } from '../../../helpers/images'

const CASES: Omit<CompositeOptions, 'width' | 'height'>[] = [
  { object: 'logo', background: 'gravel' },
  { object: 'horse-cat', background: 'grass' },
  { object: 'retina', background: 'brick' },
  { object: 'color-wheel', background: 'hubble' },
  { object: 'horse-cat', background: 'brick', scale: 0.8 },
  { object: 'logo', background: 'hubble', scale: 0.45 },
]

/**
 * Photo-sized composites: the 1024² mask is enlarged to them (see [Note: mask upsizing]), the
 * path every real photo takes; the 800 x 600 cases above shrink it instead.
 */
const LARGE_CASES: CompositeOptions[] = [
  { object: 'horse-cat', background: 'grass', width: 3000, height: 2000 },
  { object: 'color-wheel', background: 'hubble', width: 2400, height: 3200 },
]

/**
 * Measured here: at 800 x 600 mean IoU 0.988, worst 0.966, mean alpha error 0.0020; at photo
 * size IoU 0.979 and 0.999, alpha error 0.0021 and 0.0004 (ISNet medium, with the mask snapping
 * of [Note: mask snapping]; without it 0.0021, 0.0023 and 0.0005).
 */
const MIN_MEAN_IOU = 0.97
const MAX_MEAN_ALPHA_ERROR = 0.006

const maskOptions: OutputOptions = {
  format: 'png',
  backgroundColor: null,
  maskOnly: true,
  cropMargin: null,
  decontaminateEdges: false,
  maxMegapixels: 100,
}

const run = useInProcessPipeline('koutu-quality-')

describe('ISNet medium on composites with known alpha', () => {
  it.each([
    { label: '800 x 600', cases: CASES.map((testCase) => ({ ...testCase, width: 800, height: 600 })) },
    { label: 'photo size', cases: LARGE_CASES },
  ])('holds mean IoU and mean absolute alpha error within the derived thresholds ($label)', async ({ cases }) => {
    const ious: number[] = []
    const errors: number[] = []
    for (const [index, testCase] of cases.entries()) {
      const composite = await makeComposite(testCase)
      const path = join(run.dir, `composite-${index}.png`)
      await writeFile(path, composite.file)
      const result = await run.pipeline.process(index, path, maskOptions)
      const mask = await sharp(result.data).extractChannel(0).raw().toBuffer()
      ious.push(maskIoU(mask, composite.alpha))
      errors.push(meanAbsoluteAlphaError(mask, composite.alpha))
    }
    const meanIoU = ious.reduce((a, b) => a + b, 0) / ious.length
    const meanError = errors.reduce((a, b) => a + b, 0) / errors.length
    console.info('composite quality', { ious: ious.map((v) => v.toFixed(3)), errors: errors.map((v) => v.toFixed(4)), meanIoU, meanError })
    expect(meanIoU).toBeGreaterThanOrEqual(MIN_MEAN_IOU)
    expect(meanError).toBeLessThanOrEqual(MAX_MEAN_ALPHA_ERROR)
    // No single composite may collapse either.
    expect(Math.min(...ious)).toBeGreaterThan(0.94)
  })
})
