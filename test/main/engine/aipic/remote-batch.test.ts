/**
 * A full remote batch through the real batch engine, the real aipic engine, the aipic stand-in
 * and the litterbox stand-in: every photo is uploaded, fetched by the stand-in over HTTP, cut
 * out, downloaded and saved next to its original at full resolution and upright, and the
 * device's credits go down by exactly the number of files done.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { writePhoto } from '../../../helpers/images'
import { computeCutout } from '../../../standins/aipic-server'
import { deviceCredit, remoteBatch, remoteSettings, startWorld, type World } from './harness'

let world: World
let photos: string
const files: Record<string, string> = {}

beforeAll(async () => {
  world = await startWorld()
  photos = join(world.tempRoot, 'photos')
  await mkdir(join(photos, 'sub'), { recursive: true })
  files.cat = await writePhoto(photos, 'cat.jpg', 'chelsea')
  files.cup = await writePhoto(join(photos, 'sub'), 'cup.png', 'coffee', { format: 'png' })
  // Stored sideways with EXIF orientation 6: upright it is 640x427.
  files.rocket = await writePhoto(photos, 'rocket.jpg', 'rocket', { orientation: 6 })
  // 26 megapixels: above the 25 MP upload limit, so the upload is downscaled.
  files.big = await writePhoto(photos, 'big.jpg', 'coffee', { megapixels: 26, quality: 85 })
})

afterAll(async () => {
  await world?.close()
})

it('uploads, cuts out, downloads and saves every photo at full resolution, upright, one credit each', async () => {
  const before = deviceCredit(world)
  const { service } = remoteBatch(world, remoteSettings(world))
  await service.addPaths([photos])
  await service.start()
  const progress = await service.whenFinished()
  expect(progress).toMatchObject({ state: 'finished', total: 4, done: 4, failed: 0, unknown: 0, queued: 0 })

  // Each photo went up to litterbox, and the stand-in fetched exactly those URLs over HTTP.
  const uploadedUrls = world.litterbox.uploads.map((upload) => upload.url)
  expect(uploadedUrls).toHaveLength(4)
  expect([...world.aipic.state.fetchedImages].sort()).toEqual([...uploadedUrls].sort())
  expect(uploadedUrls.every((url) => url.startsWith(world.litterbox.url))).toBe(true)
  // Credits went down by exactly the number of files done.
  expect(before - deviceCredit(world)).toBe(4)

  const items = service.items()
  for (const item of items) {
    expect(item.notes).toMatchObject({ host: 'litterbox', identity: 'device' })
    expect(item.outputPath).toBe(item.inputPath.replace(/\.(jpg|png)$/, '-cutout.png'))
  }

  const expected: Record<string, [number, number]> = { cat: [451, 300], cup: [600, 400], rocket: [640, 427] }
  for (const [name, [width, height]] of Object.entries(expected)) {
    const output = files[name]!.replace(/\.(jpg|png)$/, '-cutout.png')
    const meta = await sharp(output).metadata()
    expect([name, meta.width, meta.height, meta.channels, meta.format]).toEqual([name, width, height, 4, 'png'])
  }

  // The rocket's output is upright and its alpha is exactly the stand-in's cutout of what was
  // uploaded (no downscale there), so mask and pixels line up.
  const rocketOut = files.rocket!.replace('.jpg', '-cutout.png')
  const rocketItem = items.find((item) => item.inputPath === files.rocket)!
  const uploadedRocket = [...world.litterbox.uploads]
    .map((upload) => upload.multipart.files[0]!.data)
    .find((data) => data.length > 0 && sameSize(data, 640, 427))
  expect(uploadedRocket).toBeDefined()
  const serviceAlpha = await sharp(await computeCutout(uploadedRocket!)).extractChannel(3).raw().toBuffer()
  const outputAlpha = await sharp(rocketOut).extractChannel(3).raw().toBuffer()
  expect(outputAlpha.equals(serviceAlpha)).toBe(true)
  expect(rocketItem.notes?.uploaded).toBeUndefined()
  // Opaque pixels carry the original's upright colours: compare with the original turned upright.
  const upright = await sharp(files.rocket!).rotate().removeAlpha().raw().toBuffer()
  const outRgb = await sharp(rocketOut).removeAlpha().raw().toBuffer()
  expect(meanDifferenceWhereOpaque(outRgb, upright, outputAlpha)).toBeLessThan(3)

  // The big photo: uploaded at <= 25 MP, saved at its full 26 MP with the mask scaled up.
  const bigMeta = await sharp(files.big!).metadata()
  const bigOut = await sharp(files.big!.replace('.jpg', '-cutout.png')).metadata()
  expect([bigOut.width, bigOut.height]).toEqual([bigMeta.width, bigMeta.height])
  const bigItem = items.find((item) => item.inputPath === files.big)!
  const [upWidth, upHeight] = bigItem.notes!.uploaded!.split('x').map(Number) as [number, number]
  expect(upWidth * upHeight).toBeLessThanOrEqual(25_000_000)
  expect(upWidth).toBeLessThan(bigMeta.width!)
  const largest = world.litterbox.uploads.map((upload) => upload.multipart.files[0]!.data).sort((a, b) => b.length - a.length)[0]!
  const largestMeta = await sharp(largest).metadata()
  expect([largestMeta.width, largestMeta.height]).toEqual([upWidth, upHeight])
  // The cup's subject is kept: some pixels are opaque, some transparent.
  const bigStats = await sharp(files.big!.replace('.jpg', '-cutout.png')).extractChannel(3).stats()
  expect(bigStats.channels[0]!.min).toBe(0)
  expect(bigStats.channels[0]!.max).toBe(255)
}, 120_000)

function sameSize(data: Buffer, width: number, height: number): boolean {
  // JPEG SOF0/SOF2 scan: enough to find the upload of a given size without decoding all of them.
  for (let i = 2; i < data.length - 9; i++) {
    if (data[i] === 0xff && (data[i + 1] === 0xc0 || data[i + 1] === 0xc2)) {
      return data.readUInt16BE(i + 5) === height && data.readUInt16BE(i + 7) === width
    }
  }
  return false
}

function meanDifferenceWhereOpaque(a: Buffer, b: Buffer, alpha: Buffer): number {
  let sum = 0
  let count = 0
  for (let p = 0; p < alpha.length; p++) {
    if (alpha[p] !== 255) continue
    for (let c = 0; c < 3; c++) sum += Math.abs(a[p * 3 + c]! - b[p * 3 + c]!)
    count += 3
  }
  expect(count).toBeGreaterThan(1000)
  return sum / count
}
