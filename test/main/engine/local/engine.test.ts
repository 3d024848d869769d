import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLocalEngine } from '../../../../src/main/engine/local'
import type { CutoutEngine, OutputOptions } from '../../../../src/main/engine/types'
import { isKoutuError } from '../../../../src/shared/errors'
import { silentLogger } from '../../../../src/shared/logger'
import { photoPixels, writePhoto } from '../../../helpers/images'
import { sourceWorkerSpawner } from './worker-spawner'

const options: OutputOptions = {
  format: 'png',
  backgroundColor: null,
  maskOnly: false,
  cropMargin: null,
  decontaminateEdges: true,
  maxMegapixels: 100,
}

let dir: string
let engine: CutoutEngine
const workers = sourceWorkerSpawner()

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'koutu-engine-'))
  engine = createLocalEngine({ model: 'isnet-medium', customModel: null, logger: silentLogger, spawnWorker: workers.spawn, threads: 2 })
})
afterAll(async () => {
  await engine.close()
  await rm(dir, { recursive: true, force: true })
})

const signal = () => new AbortController().signal

describe('local engine (real worker process, real model)', () => {
  it('cuts out a photo tagged EXIF orientation 6: upright and of the rotated size', async () => {
    const path = await writePhoto(dir, 'cat-rotated.jpg', 'chelsea', { orientation: 6, quality: 95 })
    const stored = await sharp(path).metadata()
    expect([stored.width, stored.height]).toEqual([300, 451])
    // Without decontamination every visible pixel keeps the decoded colour, which we compare.
    const result = await engine.process({ inputPath: path, options: { ...options, decontaminateEdges: false } }, signal())
    expect(result.notes.model).toBe('isnet-medium')
    expect([result.width, result.height]).toEqual([451, 300])
    const { data, info } = await sharp(result.data).raw().toBuffer({ resolveWithObject: true })
    expect(info.channels).toBe(4)
    // Where the cutout is opaque its colours are the upright photo's; the same pixels of the
    // photo turned the other way would differ wildly.
    const upright = await photoPixels('chelsea')
    const flipped = await sharp(upright.data, { raw: { width: 451, height: 300, channels: 3 } }).rotate(180).raw().toBuffer()
    let opaque = 0
    let diffUpright = 0
    let diffFlipped = 0
    for (let i = 0; i < 451 * 300; i++) {
      if (data[i * 4 + 3]! < 128) continue
      opaque++
      for (let c = 0; c < 3; c++) {
        diffUpright += Math.abs(data[i * 4 + c]! - upright.data[i * 3 + c]!)
        diffFlipped += Math.abs(data[i * 4 + c]! - flipped[i * 3 + c]!)
      }
    }
    expect(opaque).toBeGreaterThan(451 * 300 * 0.3) // the cat fills much of the frame
    expect(diffUpright / opaque / 3).toBeLessThan(4)
    expect(diffFlipped / opaque / 3).toBeGreaterThan(20)
  })

  it('overlaps several requests and honours mask-only, background colour, crop and WebP', async () => {
    const path = await writePhoto(dir, 'coffee.jpg', 'coffee')
    const [mask, painted, cropped, webp] = await Promise.all([
      engine.process({ inputPath: path, options: { ...options, maskOnly: true } }, signal()),
      engine.process({ inputPath: path, options: { ...options, backgroundColor: '#0000ff' } }, signal()),
      engine.process({ inputPath: path, options: { ...options, cropMargin: 4 } }, signal()),
      engine.process({ inputPath: path, options: { ...options, format: 'webp' } }, signal()),
    ])
    expect((await sharp(mask.data).metadata()).channels).toBe(1)
    const paintedMeta = await sharp(painted.data).metadata()
    expect([paintedMeta.channels, paintedMeta.hasAlpha]).toEqual([3, false])
    expect(cropped.width).toBeLessThan(600)
    expect(cropped.height).toBeLessThanOrEqual(400)
    expect((await sharp(webp.data).metadata()).format).toBe('webp')
    // The mask-only output is the same alpha the cutouts carry.
    const alphaOfWebp = await sharp(webp.data).extractChannel(3).raw().toBuffer()
    const maskPixels = await sharp(mask.data).extractChannel(0).raw().toBuffer()
    expect(Buffer.compare(alphaOfWebp, maskPixels)).toBe(0)
  })

  it('reports per-file errors without disturbing the process', async () => {
    await expect(engine.process({ inputPath: join(dir, 'missing.jpg'), options }, signal())).rejects.toSatisfy((e) =>
      isKoutuError(e, 'image.unreadable'),
    )
    const big = await writePhoto(dir, 'big.jpg', 'rocket', { megapixels: 2 })
    await expect(engine.process({ inputPath: big, options: { ...options, maxMegapixels: 1 } }, signal())).rejects.toSatisfy(
      (e) => isKoutuError(e, 'image.too-large'),
    )
    await expect(engine.process({ inputPath: big, options }, signal())).resolves.toMatchObject({ format: 'png' })
  })

  it('rejects promptly with job.aborted when the signal aborts', async () => {
    const path = await writePhoto(dir, 'moto.jpg', 'motorcycle', { megapixels: 6 })
    const controller = new AbortController()
    const pending = engine.process({ inputPath: path, options }, controller.signal)
    setTimeout(() => controller.abort(), 50)
    const started = performance.now()
    await expect(pending).rejects.toSatisfy((e) => isKoutuError(e, 'job.aborted'))
    expect(performance.now() - started).toBeLessThan(500)
    // The engine keeps working afterwards.
    await expect(engine.process({ inputPath: path, options }, signal())).resolves.toMatchObject({ width: expect.any(Number) })
  })

  it('fails the files in hand with engine.crashed when the process dies, then restarts', async () => {
    const path = await writePhoto(dir, 'astronaut.jpg', 'astronaut', { megapixels: 4 })
    const before = workers.handles.length
    const inHand = [engine.process({ inputPath: path, options }, signal()), engine.process({ inputPath: path, options }, signal())]
    await new Promise((resolve) => setTimeout(resolve, 100))
    const victim = workers.handles.at(-1)!
    process.kill(victim.pid!, 'SIGKILL')
    for (const request of inHand) await expect(request).rejects.toSatisfy((e) => isKoutuError(e, 'engine.crashed'))
    const after = await engine.process({ inputPath: path, options }, signal())
    expect(after.width).toBeGreaterThan(0)
    expect(workers.handles.length).toBe(before + 1)
  })

  it('reports a missing model as engine.model-missing and refuses work after close', async () => {
    const broken = createLocalEngine({
      model: 'isnet-medium',
      customModel: null,
      logger: silentLogger,
      spawnWorker: workers.spawn,
      modelDir: join(dir, 'no-model-here'),
    })
    const path = await writePhoto(dir, 'chelsea.jpg', 'chelsea')
    await expect(broken.process({ inputPath: path, options }, signal())).rejects.toSatisfy((e) => isKoutuError(e, 'engine.model-missing'))
    await broken.close()
    await expect(broken.process({ inputPath: path, options }, signal())).rejects.toSatisfy((e) => isKoutuError(e, 'engine.closed'))
    await broken.close() // idempotent
  })
})
