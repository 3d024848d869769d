/** The journal on disk: replay, a torn last line after a kill, runs, liveness, the tail reader. */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import { snapshotSettings } from '../../../src/main/batch/batch-settings'
import { isJournalLive, JournalWriter, lastRecord, readJournal } from '../../../src/main/batch/journal'
import { silentLogger } from '../../../src/shared/logger'
import { DEFAULT_SETTINGS } from '../../../src/shared/settings'
import { makeTempDir } from './helpers/fixtures'

const roots: string[] = []
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true })
})

describe('the batch journal', () => {
  it('replays what happened, tolerates a torn last line and tells a live journal from a dead one', async () => {
    const root = await makeTempDir('koutu-journal-')
    roots.push(root)
    const at = new Date('2026-01-02T03:04:05Z').toISOString()
    const writer = JournalWriter.create(
      root,
      { type: 'batch', v: 1, id: 'b1', at, pid: process.pid, host: os.hostname(), origin: 'test', settings: snapshotSettings(DEFAULT_SETTINGS) },
      silentLogger,
    )
    writer.append({ type: 'paths', paths: ['/p'] })
    writer.append({ type: 'queued', items: [[1, '/p/a.jpg', '/'], [2, '/p/b.jpg', '/'], [3, '/p/link.jpg', '/', '/q/c.jpg']] })
    writer.append({ type: 'started', id: 1, at })
    writer.append({ type: 'commit', id: 1, outputPath: '/p/a-cutout.png' })
    writer.append({ type: 'outcome', id: 1, status: 'done', at: '2026-01-02T03:04:07.000Z', outputPath: '/p/a-cutout.png' })
    writer.append({ type: 'started', id: 2, at: '2026-01-02T03:04:07.000Z' })
    writer.append({ type: 'commit', id: 2, outputPath: '/p/b-cutout.png' })
    expect(isJournalLive(writer.filePath, { pid: process.pid, host: os.hostname() }, () => true)).toBe(true)
    writer.close()
    expect(isJournalLive(writer.filePath, { pid: process.pid, host: os.hostname() }, () => true)).toBe(false)
    // A kill in the middle of a write leaves half a line.
    fs.appendFileSync(writer.filePath, '{"type":"outcome","id":2,"sta')

    const replayed = readJournal(writer.filePath)
    expect(replayed.skippedLines).toBe(1)
    expect(replayed.paths).toEqual(['/p'])
    expect(replayed.end).toBeNull()
    expect(replayed.activeMs).toBe(2000)
    expect(replayed.items.get(1)).toMatchObject({ status: 'done', outputPath: '/p/a-cutout.png', interruptedWhileWorking: false })
    expect(replayed.items.get(2)).toMatchObject({ status: 'working', committedPath: '/p/b-cutout.png', interruptedWhileWorking: true })
    expect(replayed.items.get(3)).toMatchObject({ status: 'queued', inputPath: '/p/link.jpg', key: '/q/c.jpg' })
    expect(lastRecord(writer.filePath)).toMatchObject({ type: 'commit', id: 2 })

    const dead = spawnSync(process.execPath, ['-e', '']).pid!
    expect(isJournalLive(writer.filePath, { pid: dead, host: os.hostname() }, (pid) => pid !== dead)).toBe(false)
    expect(isJournalLive(writer.filePath, { pid: 1, host: 'another-machine' }, () => true)).toBe(false)

    // A later run, an end, and a retry that reopens it.
    const again = JournalWriter.reopen(writer.filePath, silentLogger, new Date(at))
    again.append({ type: 'end', at, reason: 'finished' })
    expect(lastRecord(writer.filePath)).toMatchObject({ type: 'end' })
    expect(readJournal(writer.filePath).end?.reason).toBe('finished')
    again.append({ type: 'requeued', ids: [2], at })
    again.close()
    const reopened = readJournal(writer.filePath)
    expect(reopened.end).toBeNull()
    expect(reopened.items.get(2)?.status).toBe('queued')
  })
})
