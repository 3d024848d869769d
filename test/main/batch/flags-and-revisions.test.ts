/**
 * Quality flags and revisions in the batch queue: flags from the engine are kept with the item,
 * announced in its status change, journalled and listed in the report; an output revised after
 * the batch ended (touched up by hand) is journalled without reopening the batch and shows as
 * touched up in the report; a new outcome for the file (a redo) clears both.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BatchService } from '../../../src/main/batch/batch-service'
import { lastRecord, listJournals } from '../../../src/main/batch/journal'
import type { ItemStatusChange, QualityFlag } from '../../../src/shared/batch'
import { silentLogger } from '../../../src/shared/logger'
import { DEFAULT_SETTINGS } from '../../../src/shared/settings'
import { makeTempDir, writeImage } from './helpers/fixtures'
import { createTestEngine } from './helpers/sharp-test-engine'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

async function setUp(flagsFor: (inputPath: string) => QualityFlag[]) {
  const root = await makeTempDir()
  cleanups.push(() => fs.rm(root, { recursive: true, force: true }))
  const photos = path.join(root, 'photos')
  for (const name of ['empty.jpg', 'fine.jpg', 'edge.jpg']) await writeImage(path.join(photos, name))
  const journalDir = path.join(root, 'journal')
  const service = new BatchService({
    createEngine: () => createTestEngine({ flags: flagsFor }),
    settings: () => ({ ...DEFAULT_SETTINGS }),
    journalDir,
    logger: silentLogger,
  })
  cleanups.push(() => service.shutdown())
  return { service, photos, journalDir }
}

const FLAGS: Record<string, QualityFlag[]> = { 'empty.jpg': ['no-subject'], 'fine.jpg': [], 'edge.jpg': ['cut-at-edge', 'uncertain'] }

describe('quality flags in the batch', () => {
  it('keeps the engine flags with the item, in its status change, the journal and the report', async () => {
    const { service, photos } = await setUp((file) => FLAGS[path.basename(file)]!)
    const changes: ItemStatusChange[] = []
    service.onItemStatus((change) => changes.push(change))
    await service.addPaths([photos])
    await service.start()
    await service.whenFinished()

    const items = service.items()
    const flagsOf = (name: string) => items.find((item) => item.name === name)?.flags
    expect([flagsOf('empty.jpg'), flagsOf('fine.jpg'), flagsOf('edge.jpg')]).toEqual([['no-subject'], [], ['cut-at-edge', 'uncertain']])
    const done = changes.filter((change) => change.status === 'done')
    expect(done.find((change) => change.outputPath?.endsWith('empty-cutout.png'))?.flags).toEqual(['no-subject'])

    const [report] = service.reports(1)
    const flagged = report!.flagged!.map((entry) => [path.basename(entry.inputPath), entry.flags])
    expect(flagged).toHaveLength(2)
    expect(flagged).toEqual(
      expect.arrayContaining([
        ['edge.jpg', ['cut-at-edge', 'uncertain']],
        ['empty.jpg', ['no-subject']],
      ]),
    )
  })

  it('journals a touch-up after the batch ended, and a redo clears flags and the touch-up', async () => {
    const { service, photos, journalDir } = await setUp((file) => FLAGS[path.basename(file)]!)
    await service.addPaths([photos])
    await service.start()
    await service.whenFinished()
    const empty = service.items().find((item) => item.name === 'empty.jpg')!
    const changes: ItemStatusChange[] = []
    service.onItemStatus((change) => changes.push(change))

    expect(service.reviseItem(empty.id, { outputPath: empty.outputPath!, touchedUp: true })).toBe(true)
    expect(service.item(empty.id)).toMatchObject({ status: 'done', touchedUp: true, flags: ['no-subject'] })
    expect(changes).toEqual([expect.objectContaining({ id: empty.id, status: 'done', touchedUp: true })])
    // Appended to the ended journal without a new run: it is still a finished batch.
    const [journal] = listJournals(journalDir)
    expect(lastRecord(journal!)).toMatchObject({ type: 'revised', id: empty.id, touchedUp: true })
    expect(service.interruptedBatch()).toBeNull()
    expect(service.reports(1)[0]!.flagged!.find((entry) => entry.inputPath === empty.inputPath)).toMatchObject({ touchedUp: true })

    // A redo that came out clean: new flags, no longer touched up.
    service.reviseItem(empty.id, { outputPath: empty.outputPath!, touchedUp: false, flags: [], notes: { engine: 'redo' } })
    expect(service.item(empty.id)).toMatchObject({ flags: [], notes: { engine: 'redo' } })
    expect(service.item(empty.id)!.touchedUp).toBeUndefined()
    expect(service.reports(1)[0]!.flagged!.some((entry) => entry.inputPath === empty.inputPath)).toBe(false)

    // Only done items can be revised.
    expect(service.reviseItem(9999, { outputPath: empty.outputPath!, touchedUp: true })).toBe(false)
  })
})
