/**
 * The batch queue end to end over real folders and real image files, driven by the sharp test
 * engine (see helpers/sharp-test-engine.ts): output placement and conflicts, dedupe, originals
 * untouched, pause/resume/cancel, crash retry, unknown outcomes, cost confirmation, the journal
 * (reports, crash recovery) and event delivery.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import { afterEach, describe, expect, it } from 'vitest'
import { BatchService } from '../../../src/main/batch/batch-service'
import { readJournal, listJournals } from '../../../src/main/batch/journal'
import type { CutoutEngine } from '../../../src/main/engine/types'
import type { BatchProgress, ItemStatusChange } from '../../../src/shared/batch'
import { silentLogger } from '../../../src/shared/logger'
import { DEFAULT_SETTINGS, type Settings } from '../../../src/shared/settings'
import { listTree, makeTempDir, sha256, writeImage } from './helpers/fixtures'
import { createTestEngine, type TestEngine, type TestEngineOptions } from './helpers/sharp-test-engine'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

async function workspace(): Promise<{ root: string; photos: string; journalDir: string }> {
  const root = await makeTempDir()
  cleanups.push(() => fs.rm(root, { recursive: true, force: true }))
  const photos = path.join(root, 'photos')
  await fs.mkdir(photos)
  return { root, photos, journalDir: path.join(root, 'userdata', 'journal') }
}

function makeService(
  journalDir: string,
  settings: Partial<Settings> = {},
  engineOptions: TestEngineOptions = {},
): { service: BatchService; engines: TestEngine[] } {
  const engines: TestEngine[] = []
  const service = new BatchService({
    createEngine: (): CutoutEngine => {
      const engine = createTestEngine(engineOptions)
      engines.push(engine)
      return engine
    },
    settings: () => ({ ...DEFAULT_SETTINGS, ...settings }),
    journalDir,
    logger: silentLogger,
    origin: 'test',
  })
  cleanups.push(() => service.shutdown())
  return { service, engines }
}

async function runToEnd(service: BatchService, paths: string[]): Promise<BatchProgress> {
  await service.addPaths(paths)
  await service.start()
  return service.whenFinished()
}

async function expectCutoutOf(outputPath: string, originalPath: string): Promise<void> {
  const out = await sharp(outputPath).metadata()
  const original = await sharp(originalPath).rotate().toBuffer({ resolveWithObject: true })
  expect(out.format).toBe('png')
  expect(out.hasAlpha).toBe(true)
  expect([out.width, out.height]).toEqual([original.info.width, original.info.height])
}

describe('BatchService', () => {
  it('writes a cutout next to every original, keeps the tree, skips existing outputs and never touches originals', async () => {
    const { photos, journalDir } = await workspace()
    const files = ['a.jpg', 'nested/deeper/b.JPEG', '中文 名字/照片 😀.png', 'c.png', 'rotated.jpg']
    for (const file of files) await writeImage(path.join(photos, file), file === 'rotated.jpg' ? { orientation: 6, width: 40, height: 20 } : {})
    await writeImage(path.join(photos, '.hidden.jpg'))
    await writeImage(path.join(photos, '.secret', 'x.jpg'))
    await fs.writeFile(path.join(photos, 'notes.txt'), 'not an image')
    // An output of an earlier run: recognised by its suffix, not processed, and not overwritten.
    await writeImage(path.join(photos, 'c-cutout.png'))
    const before = await sha256(path.join(photos, 'c-cutout.png'))
    await fs.writeFile(path.join(photos, 'old-cutout.png'), 'from an earlier run')
    const hashes = new Map<string, string>()
    for (const file of files) hashes.set(file, await sha256(path.join(photos, file)))

    const { service } = makeService(journalDir)
    // The folder and one of its files dropped together: that file is queued once.
    const progress = await runToEnd(service, [photos, path.join(photos, 'a.jpg')])

    expect(progress.state).toBe('finished')
    const items = service.items()
    expect(items.map((item) => path.relative(photos, item.inputPath)).sort()).toEqual([...files].sort())
    expect(progress).toMatchObject({ total: 5, done: 4, skipped: 1, failed: 0, queued: 0, working: 0 })
    const skipped = items.find((item) => item.status === 'skipped')!
    expect(skipped.name).toBe('c.png')
    expect(skipped.error?.code).toBe('batch.output-exists')
    expect(await sha256(path.join(photos, 'c-cutout.png'))).toBe(before)
    for (const file of files.filter((file) => file !== 'c.png')) {
      const parsed = path.parse(path.join(photos, file))
      const expected = path.join(parsed.dir, `${parsed.name}-cutout.png`)
      expect(items.find((item) => item.inputPath === path.join(photos, file))?.outputPath).toBe(expected)
      await expectCutoutOf(expected, path.join(photos, file))
    }
    for (const [file, hash] of hashes) expect(await sha256(path.join(photos, file))).toBe(hash)
    const tree = await listTree(photos)
    expect(tree.filter((name) => name.includes('koutu-tmp'))).toEqual([])

    const [report] = service.reports(5)
    expect(report).toMatchObject({ outcome: 'finished', counts: { total: 5, done: 4, skipped: 1, failed: 0 } })
    expect(report!.problems.map((problem) => problem.error?.code)).toEqual(['batch.output-exists'])
  })

  it('applies overwrite and keep-both, and numbers outputs that would collide within a batch or hit an original', async () => {
    const { photos, journalDir } = await workspace()
    await writeImage(path.join(photos, 'a.jpg'))
    await writeImage(path.join(photos, 'a.png'))
    await fs.writeFile(path.join(photos, 'a-cutout.png'), 'older output')

    const keepBoth = makeService(journalDir, { onConflict: 'keep-both' }).service
    await runToEnd(keepBoth, [photos])
    expect(keepBoth.items().map((item) => path.basename(item.outputPath ?? ''))).toEqual(['a-cutout (2).png', 'a-cutout (3).png'])
    expect(await fs.readFile(path.join(photos, 'a-cutout.png'), 'utf8')).toBe('older output')

    const overwrite = makeService(journalDir, { onConflict: 'overwrite' }).service
    await runToEnd(overwrite, [photos])
    expect(overwrite.items().map((item) => path.basename(item.outputPath ?? ''))).toEqual(['a-cutout.png', 'a-cutout (2).png'])
    await expectCutoutOf(path.join(photos, 'a-cutout.png'), path.join(photos, 'a.jpg'))

    // An original that has the output's name (dropped explicitly) is never overwritten.
    const original = path.join(photos, 'a-cutout.png')
    await writeImage(original)
    const hash = await sha256(original)
    const protect = makeService(journalDir, { onConflict: 'overwrite' }).service
    await runToEnd(protect, [path.join(photos, 'a.jpg'), original])
    expect(protect.items().map((item) => [item.name, path.basename(item.outputPath ?? '')])).toEqual([
      ['a.jpg', 'a-cutout (2).png'],
      ['a-cutout.png', 'a-cutout-cutout.png'],
    ])
    expect(await sha256(original)).toBe(hash)
  })

  it('mirrors the input tree under an output root, with an empty suffix only outside the inputs', async () => {
    const { root, photos, journalDir } = await workspace()
    await writeImage(path.join(photos, 'x', 'y.jpg'))
    await writeImage(path.join(photos, 'top.png'))
    const out = path.join(root, 'out')
    const { service } = makeService(journalDir, { outputRoot: out, outputSuffix: '', outputFormat: 'webp' })
    await runToEnd(service, [photos])
    expect(await listTree(out)).toEqual(['photos/top.webp', 'photos/x/y.webp'])
    expect((await sharp(path.join(out, 'photos/x/y.webp')).metadata()).hasAlpha).toBe(true)

    const inside = makeService(journalDir, { outputRoot: path.join(photos, 'out'), outputSuffix: '' }).service
    await expect(inside.addPaths([photos])).rejects.toMatchObject({ code: 'batch.invalid-options' })
    const nextToOriginals = makeService(journalDir, { outputSuffix: '' }).service
    await expect(nextToOriginals.addPaths([photos])).rejects.toMatchObject({ code: 'batch.invalid-options' })

    // With a suffix, an output root inside the input folder is fine and is not scanned as input.
    const nested = makeService(journalDir, { outputRoot: path.join(photos, 'cutouts') }).service
    await runToEnd(nested, [photos])
    const again = makeService(journalDir, { outputRoot: path.join(photos, 'cutouts'), outputSuffix: '-c2' }).service
    await runToEnd(again, [photos])
    expect(again.items().map((item) => path.relative(photos, item.inputPath)).sort()).toEqual(['top.png', 'x/y.jpg'])
  })

  it('pauses, resumes, and cancels with in-flight work aborted promptly', async () => {
    const { photos, journalDir } = await workspace()
    for (let index = 0; index < 12; index += 1) await writeImage(path.join(photos, `p${index}.jpg`))
    const { service } = makeService(journalDir, { localConcurrency: 2 }, { delayMs: 400 })
    await service.addPaths([photos])
    await service.start()
    await waitFor(() => service.progress().done >= 2)
    service.pause()
    expect(service.progress().state).toBe('paused')
    await waitFor(() => service.progress().working === 0)
    const doneWhilePaused = service.progress().done
    await new Promise((resolve) => setTimeout(resolve, 900))
    expect(service.progress().done).toBe(doneWhilePaused)
    service.resume()
    await waitFor(() => service.progress().working === 2)
    const cancelledAt = Date.now()
    await service.cancel()
    // The test engine sleeps 400 ms per file: an abort must not wait for it.
    expect(Date.now() - cancelledAt).toBeLessThan(300)
    const progress = service.progress()
    expect(progress.state).toBe('finished')
    expect(progress.working).toBe(0)
    expect(progress.done + progress.queued).toBe(12)
    expect(progress.queued).toBeGreaterThan(0)
    const outputs = (await listTree(photos)).filter((name) => name.includes('-cutout'))
    expect(outputs).toHaveLength(progress.done)
    expect(service.reports(1)[0]?.outcome).toBe('cancelled')
  })

  it('retries a file on a fresh engine after a crash, fails a file that crashes it twice, and goes on', async () => {
    const { photos, journalDir } = await workspace()
    for (const name of ['ok1.jpg', 'flaky.jpg', 'poison.jpg', 'ok2.jpg']) await writeImage(path.join(photos, name))
    let flakyCalls = 0
    const { service, engines } = makeService(
      journalDir,
      { localConcurrency: 1 },
      { crash: (file) => file.endsWith('poison.jpg') || (file.endsWith('flaky.jpg') && ++flakyCalls === 1) },
    )
    await runToEnd(service, [photos])
    const byName = Object.fromEntries(service.items().map((item) => [item.name, item]))
    expect(byName['flaky.jpg']).toMatchObject({ status: 'done', notes: { attempts: '2' } })
    expect(byName['poison.jpg']).toMatchObject({ status: 'failed', error: { code: 'engine.crashed' } })
    expect(byName['ok1.jpg']?.status).toBe('done')
    expect(byName['ok2.jpg']?.status).toBe('done')
    // One engine per crash plus the first; all closed at the end.
    expect(engines.length).toBeGreaterThanOrEqual(3)
    expect(engines.every((engine) => engine.closed)).toBe(true)
  })

  it('gives unknown outcomes their own status and does not retry them unless asked', async () => {
    const { photos, journalDir } = await workspace()
    await writeImage(path.join(photos, 'sent.jpg'))
    await fs.writeFile(path.join(photos, 'broken.jpg'), 'not a jpeg')
    let unknownFails = true
    const { service, engines } = makeService(journalDir, { engine: 'aipic' }, { kind: 'aipic', outcomeUnknown: () => unknownFails })
    await runToEnd(service, [photos])
    expect(service.items().map((item) => [item.name, item.status])).toEqual([
      ['broken.jpg', 'unknown'],
      ['sent.jpg', 'unknown'],
    ])
    unknownFails = false
    expect(service.retryFailed()).toBe(0)
    expect(service.retryFailed({ includeUnknown: true })).toBe(2)
    await service.start()
    await service.whenFinished()
    expect(service.items().map((item) => [item.name, item.status])).toEqual([
      ['broken.jpg', 'failed'],
      ['sent.jpg', 'done'],
    ])
    expect(service.items()[0]?.error?.code).toBe('image.unreadable')
    expect(engines.length).toBe(2)
    const report = service.reports(1)[0]!
    expect(report.counts).toMatchObject({ done: 1, failed: 1, unknown: 0 })
  })

  it('asks for confirmation when a batch costs more than the threshold or than what is left', async () => {
    const { photos, journalDir } = await workspace()
    for (let index = 0; index < 3; index += 1) await writeImage(path.join(photos, `p${index}.jpg`))
    await writeImage(path.join(photos, 'p0-cutout.png'))
    const prompts: unknown[] = []
    const declined = makeService(journalDir, { engine: 'aipic', costConfirmThreshold: 1 }, { kind: 'aipic', cost: { needed: 0, available: 100 } })
    await declined.service.addPaths([photos])
    await expect(
      declined.service.start({
        confirmCost: async (prompt) => {
          prompts.push(prompt)
          return false
        },
      }),
    ).rejects.toMatchObject({ code: 'batch.cost-declined' })
    // p0 already has an output and will be skipped: 2 credits, not 3.
    expect(prompts).toEqual([{ needed: 2, available: 100, threshold: 1, reason: 'exceeds-threshold' }])
    expect(declined.engines[0]?.calls).toEqual([])
    expect(declined.engines[0]?.closed).toBe(true)

    const short = makeService(journalDir, { engine: 'aipic', costConfirmThreshold: 50 }, { kind: 'aipic', cost: { needed: 0, available: 1 } })
    await short.service.addPaths([photos])
    await short.service.start({
      confirmCost: async (prompt) => {
        prompts.push(prompt)
        return true
      },
    })
    await short.service.whenFinished()
    expect(prompts[1]).toEqual({ needed: 2, available: 1, threshold: 50, reason: 'exceeds-available' })
    expect(short.service.progress()).toMatchObject({ done: 2, skipped: 1 })

    const cheap = makeService(journalDir, { engine: 'aipic', costConfirmThreshold: 50 }, { kind: 'aipic', cost: { needed: 0, available: 100 } })
    await cheap.service.addPaths([photos])
    await cheap.service.start({
      confirmCost: async () => {
        throw new Error('must not be asked')
      },
    })
    await cheap.service.whenFinished()
  })

  it('resumes an interrupted batch from its journal without redoing finished files', async () => {
    const { photos, journalDir } = await workspace()
    for (let index = 0; index < 8; index += 1) await writeImage(path.join(photos, `p${index}.jpg`))
    const first = makeService(journalDir, { localConcurrency: 2, onConflict: 'keep-both' }, { delayMs: 60 })
    await first.service.addPaths([photos])
    await first.service.start()
    await waitFor(() => first.service.progress().done >= 3)
    await first.service.shutdown()
    const doneFirst = first.service.items().filter((item) => item.status === 'done')
    expect(doneFirst.length).toBeGreaterThanOrEqual(3)
    expect(doneFirst.length).toBeLessThan(8)

    // Another run (the app after a restart) sees it, with keep-both settings from the journal.
    const second = makeService(journalDir, { onConflict: 'overwrite' })
    const interrupted = second.service.interruptedBatch()
    expect(interrupted).toMatchObject({ batchId: first.service.batchId(), total: 8, finished: doneFirst.length, remaining: 8 - doneFirst.length })
    const statuses: ItemStatusChange[] = []
    second.service.onItemStatus((change) => statuses.push(change))
    expect(await second.service.resumeInterrupted()).toEqual({ batchId: first.service.batchId(), remaining: 8 - doneFirst.length })
    await second.service.start()
    await second.service.whenFinished()
    expect(second.engines[0]?.calls.map((file) => path.basename(file)).sort()).toEqual(
      first.service
        .items()
        .filter((item) => item.status !== 'done')
        .map((item) => item.name)
        .sort(),
    )
    // keep-both from the journal, yet no duplicates: one output per original.
    const outputs = (await listTree(photos)).filter((name) => name.includes('-cutout'))
    expect(outputs.sort()).toEqual(Array.from({ length: 8 }, (_, index) => `p${index}-cutout.png`).sort())
    expect(statuses.filter((change) => change.status === 'done')).toHaveLength(8 - doneFirst.length)
    expect(second.service.interruptedBatch()).toBeNull()
    const journal = readJournal(listJournals(journalDir)[0]!)
    expect([...journal.items.values()].every((item) => item.status === 'done')).toBe(true)
    expect(journal.end?.reason).toBe('finished')
  })

  it('delivers every status change and coalesces progress to about ten events a second', async () => {
    const { photos, journalDir } = await workspace()
    for (let index = 0; index < 40; index += 1) await writeImage(path.join(photos, `p${String(index).padStart(2, '0')}.png`), { width: 8, height: 8 })
    const { service } = makeService(journalDir, { localConcurrency: 4 }, { delayMs: 20 })
    const changes: ItemStatusChange[] = []
    const progress: Array<{ at: number; value: BatchProgress }> = []
    const batches: number[] = []
    service.onItems((items) => batches.push(items.length))
    service.onItemStatus((change) => changes.push(change))
    service.onProgress((value) => progress.push({ at: Date.now(), value }))
    const started = Date.now()
    await runToEnd(service, [photos])
    const elapsed = Date.now() - started
    expect(batches.reduce((sum, count) => sum + count, 0)).toBe(40)
    // working then done for each file, none dropped.
    expect(changes).toHaveLength(80)
    for (let id = 1; id <= 40; id += 1) {
      expect(changes.filter((change) => change.id === id).map((change) => change.status)).toEqual(['working', 'done'])
    }
    // State changes flush at once; everything else is throttled to one per 100 ms.
    const throttled = progress.filter((entry, index) => index > 0 && entry.value.state === progress[index - 1]!.value.state)
    expect(throttled.length).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 2)
    expect(progress.at(-1)?.value).toMatchObject({ state: 'finished', done: 40, queued: 0 })
    const mid = progress.find((entry) => entry.value.state === 'running' && entry.value.done > 10)
    expect(mid?.value.imagesPerMinute).toBeGreaterThan(0)
    expect(mid?.value.etaSeconds).not.toBeNull()
  })
})

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now()
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting for a condition')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
