/**
 * Kill -9 the command line in the middle of a batch, run it again: no partial outputs, no
 * duplicates, the rest is done, and the journal tells one consistent story.
 */
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CliReport } from '../../src/cli/run-batch'
import { listJournals, readJournal, type JournalRecord } from '../../src/main/batch/journal'
import { listTree, makeTempDir, writeImage } from '../main/batch/helpers/fixtures'
import { runCli, startCli } from './helpers'

let root: string

beforeAll(async () => {
  root = await makeTempDir('koutu-crash-')
})

afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true })
})

function journalRecords(file: string): JournalRecord[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as JournalRecord]
      } catch {
        return []
      }
    })
}

describe('a batch killed with SIGKILL', () => {
  it('resumes on the next run without partial outputs or duplicates', async () => {
    const photos = path.join(root, 'photos')
    const userData = path.join(root, 'userdata')
    const names = Array.from({ length: 6 }, (_, index) => `shot-${index}.jpg`)
    for (const name of names) await writeImage(path.join(photos, name), { width: 96, height: 64 })
    const args = [photos, '--concurrency', '1', '--on-conflict', 'keep-both', '--json']

    const first = startCli(args, userData)
    const journalDir = path.join(userData, 'journal')
    // Kill once two files are done: mid-batch, with a file in flight.
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        const [file] = listJournals(journalDir)
        const done = file ? journalRecords(file).filter((record) => record.type === 'outcome' && record.status === 'done').length : 0
        if (done >= 2) {
          clearInterval(timer)
          first.child.kill('SIGKILL')
          resolve()
        }
      }, 15)
      first.done.then((result) => {
        clearInterval(timer)
        reject(new Error(`the command line ended before it could be killed: ${result.code} ${result.stderr}`))
      }, reject)
    })
    const killed = await first.done
    expect(killed.signal).toBe('SIGKILL')

    // Whatever was published is complete (temps are hidden and never taken for results).
    const afterKill = (await listTree(photos)).filter((name) => name.includes('-cutout'))
    expect(afterKill.length).toBeGreaterThanOrEqual(2)
    expect(afterKill.length).toBeLessThan(names.length)
    for (const name of afterKill) {
      if (name.startsWith('.')) continue
      const meta = await sharp(path.join(photos, name)).metadata()
      expect(meta.hasAlpha, name).toBe(true)
    }

    const second = await runCli(args, userData)
    expect(second.code, second.stderr).toBe(0)
    const report = JSON.parse(second.stdout) as CliReport
    expect(report).toMatchObject({ ok: true, resumed: true, counts: { total: names.length, done: names.length, failed: 0 } })

    // One output per original (keep-both would have numbered a redo as "(2)"), all valid, no temps.
    const tree = await listTree(photos)
    expect(tree.filter((name) => name.includes('koutu-tmp'))).toEqual([])
    const outputs = tree.filter((name) => name.includes('-cutout'))
    expect(outputs.sort()).toEqual(names.map((name) => name.replace('.jpg', '-cutout.png')).sort())
    for (const name of outputs) {
      const meta = await sharp(path.join(photos, name)).metadata()
      expect([meta.width, meta.height, meta.hasAlpha]).toEqual([96, 64, true])
    }

    // One journal, one batch: every file has exactly one outcome, done, and the batch ended.
    const journals = listJournals(journalDir)
    expect(journals).toHaveLength(1)
    const records = journalRecords(journals[0]!)
    const outcomes = records.filter((record): record is Extract<JournalRecord, { type: 'outcome' }> => record.type === 'outcome')
    const perItem = new Map<number, number>()
    for (const outcome of outcomes) perItem.set(outcome.id, (perItem.get(outcome.id) ?? 0) + 1)
    expect([...perItem.keys()].sort((a, b) => a - b)).toEqual(names.map((_, index) => index + 1))
    expect([...perItem.values()].every((count) => count === 1)).toBe(true)
    expect(outcomes.every((outcome) => outcome.status === 'done')).toBe(true)
    expect(records.filter((record) => record.type === 'run')).toHaveLength(1)
    const replayed = readJournal(journals[0]!)
    expect(replayed.end?.reason).toBe('finished')
    expect([...replayed.items.values()].map((item) => item.outputPath)).toEqual(
      names.map((name) => path.join(photos, name.replace('.jpg', '-cutout.png'))),
    )
  })
})
