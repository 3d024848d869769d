/**
 * A hostile folder through the batch queue and the real local engine: every bad file gets its
 * own clear outcome, nothing crashes, the good files are done, originals are untouched and no
 * temp file is left behind.
 */
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BatchService } from '../../../src/main/batch/batch-service'
import type { BatchItem } from '../../../src/shared/batch'
import { silentLogger } from '../../../src/shared/logger'
import { DEFAULT_SETTINGS } from '../../../src/shared/settings'
import { listTree, makeTempDir, sha256, writeImage } from './helpers/fixtures'
import { makeReadOnlyFolder, writeHostileFiles } from './helpers/hostile'
import { localEngineFactory } from './helpers/local-engine'

let root: string
let undoReadOnly: (() => Promise<void>) | null = null

beforeAll(async () => {
  root = await makeTempDir('koutu-hostile-')
})

afterAll(async () => {
  if (undoReadOnly) await undoReadOnly()
  await fsp.rm(root, { recursive: true, force: true })
})

describe('a hostile input folder', () => {
  it('gives each bad file its own outcome and finishes the rest', async () => {
    const folder = path.join(root, 'hostile')
    const files = await writeHostileFiles(folder)
    await writeImage(path.join(folder, 'zz-deleted-while-queued.jpg'))
    await writeImage(path.join(folder, 'readonly', 'photo.jpg'))
    undoReadOnly = await makeReadOnlyFolder(path.join(folder, 'readonly'))
    fs.symlinkSync('.', path.join(folder, 'loop'))
    fs.symlinkSync('self-loop.jpg', path.join(folder, 'self-loop.jpg'))
    const hashes = new Map<string, string>()
    for (const name of await listTree(folder)) hashes.set(name, await sha256(path.join(folder, name)))

    const service = new BatchService({
      createEngine: localEngineFactory(silentLogger),
      settings: () => ({ ...DEFAULT_SETTINGS, localConcurrency: 1 }),
      journalDir: path.join(root, 'journal'),
      logger: silentLogger,
    })
    // Deleted as soon as it is queued, long before its turn (concurrency 1, it sorts last).
    service.onItems((items) => {
      for (const item of items) if (item.name.startsWith('zz-deleted')) fs.rmSync(item.inputPath)
    })
    await service.addPaths([folder])
    await service.start()
    const progress = await service.whenFinished()
    await service.shutdown()

    const byName = new Map<string, BatchItem>(service.items().map((item) => [path.relative(folder, item.inputPath), item]))
    const outcome = (name: string) => [byName.get(name)?.status, byName.get(name)?.error?.code]
    expect(outcome(files.zeroByte!)).toEqual(['failed', 'image.unreadable'])
    expect(outcome(files.textAsPng!)).toEqual(['failed', 'image.unreadable'])
    expect(outcome(files.huge!)).toEqual(['failed', 'image.too-large'])
    expect(outcome('zz-deleted-while-queued.jpg')).toEqual(['failed', 'batch.input-vanished'])
    expect(outcome('readonly/photo.jpg')).toEqual(['failed', 'batch.output-unwritable'])
    expect(outcome('loop')).toEqual(['skipped', 'batch.symlink-loop'])
    expect(outcome('self-loop.jpg')).toEqual(['skipped', 'batch.symlink-loop'])
    // A JPEG cut in half: libvips may decode what is there (the rest grey) or refuse it; either
    // way a clear outcome, and a cutout only if it is a whole one.
    const truncated = byName.get(files.truncated!)!
    if (truncated.status === 'done') {
      const meta = await sharp(truncated.outputPath!).metadata()
      expect([meta.format, meta.hasAlpha, meta.width, meta.height]).toEqual(['png', true, 64, 48])
    } else {
      expect([truncated.status, truncated.error?.code]).toEqual(['failed', 'image.unreadable'])
    }
    for (const name of [files.sixteenBit!, files.cmyk!, files.gray!, files.palette!, files.animated!, files.good!]) {
      const item = byName.get(name)
      expect(item?.status, name).toBe('done')
      const meta = await sharp(item!.outputPath!).metadata()
      const original = await sharp(path.join(folder, name)).metadata()
      expect(meta.format).toBe('png')
      expect(meta.hasAlpha).toBe(true)
      // GIF: the first frame, so the height of one page.
      expect([meta.width, meta.height], name).toEqual([original.width, original.pageHeight ?? original.height])
    }
    for (const item of byName.values()) {
      if (item.status === 'failed') expect(item.error?.message.length, item.name).toBeGreaterThan(10)
    }
    expect(progress.state).toBe('finished')
    expect(progress.total).toBe(byName.size)
    // Originals untouched (the deleted one aside), no temp files anywhere.
    for (const [name, hash] of hashes) {
      if (name.startsWith('zz-deleted')) continue
      expect(await sha256(path.join(folder, name)), name).toBe(hash)
    }
    expect((await listTree(folder)).filter((name) => name.includes('koutu-tmp'))).toEqual([])
    const report = service.reports(1)[0]!
    expect(report.outcome).toBe('finished')
    expect(report.counts.failed).toBe(progress.failed)
  })
})
