/** Thumbnails from real image files: downscaled, upright, cached on disk, refreshed when the file changes. */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import sharp, { type Metadata } from 'sharp'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../../src/shared/logger'
import { ThumbnailService } from '../../../src/main/thumbnails/thumbnail-service'
import { writePhoto } from '../../helpers/images'

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'koutu-thumbs-'))
  dirs.push(dir)
  return dir
}

function decode(url: string | null): Promise<Metadata> {
  if (url === null) throw new Error('no thumbnail')
  expect(url.startsWith('data:image/png;base64,')).toBe(true)
  return sharp(Buffer.from(url.slice('data:image/png;base64,'.length), 'base64')).metadata()
}

describe('ThumbnailService', () => {
  it('downscales a photo upright (EXIF applied) and never enlarges', async () => {
    const dir = await tempDir()
    const service = new ThumbnailService({ cacheDir: path.join(dir, 'cache'), logger: silentLogger })
    // chelsea is 451x300; stored rotated with orientation 6 it displays as 451 wide again.
    const rotated = await writePhoto(dir, 'rotated.jpg', 'chelsea', { orientation: 6 })
    const meta = await decode(await service.get(rotated, 120))
    expect(meta.width).toBe(120)
    expect(meta.height).toBe(80)
    const small = await decode(await service.get(rotated, 2000))
    expect(small.width).toBe(451)
  })

  it('caches on disk and refreshes when the file changes', async () => {
    const dir = await tempDir()
    const cacheDir = path.join(dir, 'cache')
    const file = path.join(dir, 'out.png')
    await sharp({ create: { width: 200, height: 100, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } } }).png().toFile(file)
    const first = await new ThumbnailService({ cacheDir, logger: silentLogger }).get(file, 50)
    expect(await fs.readdir(cacheDir)).toHaveLength(1)
    const again = await new ThumbnailService({ cacheDir, logger: silentLogger }).get(file, 50)
    expect(again).toBe(first)
    expect((await decode(first)).hasAlpha).toBe(true)

    await new Promise((resolve) => setTimeout(resolve, 20))
    await sharp({ create: { width: 100, height: 100, channels: 3, background: '#00ff00' } }).png().toFile(file)
    const changed = await new ThumbnailService({ cacheDir, logger: silentLogger }).get(file, 50)
    expect(changed).not.toBe(first)
    expect((await decode(changed)).width).toBe(50)
  })

  it('answers null for a missing or undecodable file', async () => {
    const dir = await tempDir()
    const service = new ThumbnailService({ cacheDir: path.join(dir, 'cache'), logger: silentLogger })
    expect(await service.get(path.join(dir, 'missing.png'), 64)).toBeNull()
    const junk = path.join(dir, 'junk.jpg')
    await fs.writeFile(junk, 'not an image')
    expect(await service.get(junk, 64)).toBeNull()
  })
})
