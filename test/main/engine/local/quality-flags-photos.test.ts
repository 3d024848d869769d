/**
 * Quality flags on real photographs through the real local pipeline (ISNet medium, the default
 * model), in both directions: close-ups of a texture with no subject (grass, standing in for the
 * moss close-up of issue 16, and gravel) must be flagged; clean shots of one object (a cup on
 * its saucer, a motorcycle) and a portrait standing on the bottom edge must not be.
 */
import { describe, expect, it } from 'vitest'
import type { OutputOptions } from '../../../../src/main/engine/types'
import { writePhoto, writeTexture } from '../../../helpers/images'
import { useInProcessPipeline } from './in-process-pipeline'

const options: OutputOptions = {
  format: 'png',
  backgroundColor: null,
  maskOnly: false,
  cropMargin: null,
  decontaminateEdges: true,
  maxMegapixels: 100,
}

const run = useInProcessPipeline('koutu-flags-')

describe('quality flags on real photos', { timeout: 240_000 }, () => {
  it('flags texture close-ups with no subject as "no subject found"', async () => {
    for (const texture of ['grass', 'gravel'] as const) {
      const file = await writeTexture(run.dir, `${texture}.jpg`, texture, 1.2)
      const result = await run.pipeline.process(1, file, options)
      expect(result.flags, texture).toEqual(['no-subject'])
    }
  })

  it('does not flag clean shots of one subject', async () => {
    for (const photo of ['coffee', 'motorcycle', 'astronaut'] as const) {
      const file = await writePhoto(run.dir, `${photo}.jpg`, photo, { megapixels: 1.5 })
      const result = await run.pipeline.process(2, file, options)
      expect(result.flags, photo).toEqual([])
    }
  })
})
