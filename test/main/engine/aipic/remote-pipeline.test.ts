/**
 * The remote pipeline's limits and options, against the stand-ins: the service never has more
 * cutouts in flight than the concurrency setting even though the batch keeps more files going
 * (uploading ahead, compositing behind); the full-resolution setting decides whether a photo
 * downscaled for upload comes back at its own size or at the uploaded size; the output options
 * (background colour, WebP) apply to remote cutouts too.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { writePhoto } from '../../../helpers/images'
import { startS3Standin, type S3Standin } from '../../../standins/hosts/s3'
import { remoteBatch, remoteSettings, startWorld, type World } from './harness'

let world: World
let bucket: S3Standin

beforeAll(async () => {
  // No limit at the service: only the engine's own gate keeps it at the configured concurrency.
  ;[world, bucket] = await Promise.all([startWorld({ faults: { processingMs: 250 } }), startS3Standin({ keys: { AKIDKOUTU0001: 'bucket-secret/0001' } })])
})

afterAll(async () => {
  await Promise.all([world?.close(), bucket?.close()])
})

it('keeps at most `remoteConcurrency` cutouts at the service while more files are in flight', async () => {
  const dir = join(world.tempRoot, 'many')
  for (let i = 0; i < 10; i++) await writePhoto(dir, `p${i}.jpg`, i % 2 ? 'coffee' : 'chelsea', { megapixels: 0.02 })
  const { service } = remoteBatch(world, remoteSettings(world, { remoteConcurrency: 3 }))
  let maxWorking = 0
  service.onItemStatus(() => {
    maxWorking = Math.max(maxWorking, service.progress().working)
  })
  await service.addPaths([dir])
  await service.start()
  expect(await service.whenFinished()).toMatchObject({ done: 10, failed: 0 })
  expect(world.aipic.state.peakCutoutsInFlight).toBe(3)
  expect(maxWorking).toBeGreaterThan(3)
  expect(maxWorking).toBeLessThanOrEqual(6)
})

it('saves at full resolution, or at the uploaded size when fullResolutionOutput is off, with the output options applied', async () => {
  const dir = join(world.tempRoot, 'sizes')
  const photo = await writePhoto(dir, 'wide.jpg', 'motorcycle', { megapixels: 1.6 })
  const { width, height } = await sharp(photo).metadata()
  const settings = remoteSettings(world, { uploadMaxMegapixels: 1, outputFormat: 'webp', backgroundColor: '#00ff00', onConflict: 'overwrite' })

  const full = remoteBatch(world, settings)
  await full.service.addPaths([dir])
  await full.service.start()
  expect(await full.service.whenFinished()).toMatchObject({ done: 1 })
  const fullItem = full.service.items()[0]!
  const fullMeta = await sharp(await readFile(fullItem.outputPath!)).metadata()
  expect([fullMeta.format, fullMeta.width, fullMeta.height, fullMeta.hasAlpha]).toEqual(['webp', width, height, false])
  const [upWidth, upHeight] = fullItem.notes!.uploaded!.split('x').map(Number) as [number, number]
  expect(upWidth * upHeight).toBeLessThanOrEqual(1_000_000)

  const small = remoteBatch(world, { ...settings, fullResolutionOutput: false })
  await small.service.addPaths([dir])
  await small.service.start()
  expect(await small.service.whenFinished()).toMatchObject({ done: 1 })
  // Read as bytes: libvips caches decoded files by name, and this one was just overwritten.
  const smallOutput = await readFile(small.service.items()[0]!.outputPath!)
  const smallMeta = await sharp(smallOutput).metadata()
  expect([smallMeta.width, smallMeta.height]).toEqual([upWidth, upHeight])
  // The green background shows where the stand-in keyed the photo away (lossless WebP: exact).
  const pixels = await sharp(smallOutput).removeAlpha().raw().toBuffer()
  let green = 0
  for (let i = 0; i < pixels.length; i += 3) if (pixels[i]! < 8 && pixels[i + 1]! > 247 && pixels[i + 2]! < 8) green += 1
  expect(green / (pixels.length / 3)).toBeGreaterThan(0.01)
  expect(green / (pixels.length / 3)).toBeLessThan(0.99)
})

it('uses the own bucket without a consent question, and halts (never falls back to a public host) when it refuses', async () => {
  const dir = join(world.tempRoot, 'bucket')
  await writePhoto(dir, 'one.jpg', 'chelsea', { megapixels: 0.05 })
  await writePhoto(dir, 'two.jpg', 'coffee', { megapixels: 0.05 })
  const settings = remoteSettings(world, {
    uploadHosts: ['s3', 'litterbox'],
    uploadConsent: ['litterbox'],
    s3: { endpoint: bucket.url, region: bucket.region, bucket: bucket.bucket, prefix: 'koutu-tmp/', publicUrlTemplate: `${bucket.url}/${bucket.bucket}/{key}` },
  })
  const litterboxBefore = world.litterbox.uploads.length

  const good = remoteBatch(world, settings, world.account, async () => ({ accessKeyId: 'AKIDKOUTU0001', secretAccessKey: 'bucket-secret/0001' }))
  await good.service.addPaths([dir])
  await good.service.start()
  expect(await good.service.whenFinished()).toMatchObject({ done: 2, failed: 0 })
  expect(good.service.items().map((item) => item.notes?.host)).toEqual(['s3', 's3'])
  expect(bucket.puts.map((put) => put.key).every((key) => /^koutu-tmp\/[a-z0-9]{10}\.jpg$/.test(key))).toBe(true)
  const fetched = world.aipic.state.fetchedImages.slice(-2)
  expect(fetched.every((url) => url.startsWith(`${bucket.url}/${bucket.bucket}/koutu-tmp/`))).toBe(true)

  const bad = remoteBatch(world, { ...settings, onConflict: 'overwrite' }, world.account, async () => ({
    accessKeyId: 'AKIDKOUTU0001',
    secretAccessKey: 'wrong',
  }))
  await bad.service.addPaths([dir])
  await bad.service.start()
  expect(await bad.service.whenFinished()).toMatchObject({ state: 'paused', done: 0, failed: 0, queued: 2 })
  expect(bad.service.haltReason()).toMatchObject({ code: 'upload.rejected', detail: { host: 's3', reason: 'SignatureDoesNotMatch' } })
  expect(world.litterbox.uploads.length).toBe(litterboxBefore)
  await bad.service.cancel()
})
