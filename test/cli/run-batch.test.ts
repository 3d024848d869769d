/**
 * runBatch in-process with the sharp test engine (fast, no model): Ctrl-C leaves a resumable
 * batch and exit code 130, the next run resumes it; a costly batch without a terminal is
 * declined with exit code 2 and is not left behind as interrupted.
 */
import { EventEmitter } from 'node:events'
import fs from 'node:fs/promises'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBatch, type CliReport, type RunBatchDeps } from '../../src/cli/run-batch'
import { listJournals, readJournal } from '../../src/main/batch/journal'
import { ENGINE_KINDS } from '../../src/shared/settings'
import { silentLogger } from '../../src/shared/logger'
import { listTree, makeTempDir, writeImage } from '../main/batch/helpers/fixtures'
import { createTestEngine, type TestEngineOptions } from '../main/batch/helpers/sharp-test-engine'

let root: string

beforeAll(async () => {
  root = await makeTempDir('koutu-run-batch-')
})

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true })
})

function deps(userDataDir: string, engine: TestEngineOptions, signals = new EventEmitter()) {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')))
  const value: RunBatchDeps = {
    userDataDir,
    logger: silentLogger,
    createEngine: () => () => createTestEngine(engine),
    availableEngines: ENGINE_KINDS,
    stdout,
    stderr,
    stdin: new PassThrough(),
    signals,
  }
  return { value, signals, output: () => out, errors: () => err }
}

describe('runBatch', () => {
  it('stops on Ctrl-C with a resumable batch, and the next run finishes it', async () => {
    const photos = path.join(root, 'photos')
    for (let index = 0; index < 10; index += 1) await writeImage(path.join(photos, `p${index}.jpg`), { width: 16, height: 12 })
    const userData = path.join(root, 'userdata')
    const first = deps(userData, { delayMs: 80 })
    let statusChanges = 0
    const running = runBatch([photos], { json: true, verbose: false, concurrency: 2 }, first.value)
    // Send Ctrl-C once a few files are done.
    const timer = setInterval(async () => {
      const [journal] = listJournals(path.join(userData, 'journal'))
      if (!journal) return
      statusChanges = [...readJournal(journal).items.values()].filter((item) => item.status === 'done').length
      if (statusChanges >= 3) {
        clearInterval(timer)
        first.signals.emit('SIGINT')
      }
    }, 10)
    const code = await running
    clearInterval(timer)
    expect(code).toBe(130)
    const report = JSON.parse(first.output()) as CliReport
    expect(report.outcome).toBe('interrupted')
    expect(report.counts.done).toBeGreaterThanOrEqual(3)
    expect(report.counts.done).toBeLessThan(10)
    expect(first.errors()).toMatch(/Run the same command again to resume/)

    const second = deps(userData, {})
    expect(await runBatch([photos], { json: true, verbose: false, concurrency: 2 }, second.value)).toBe(0)
    const resumed = JSON.parse(second.output()) as CliReport
    expect(resumed).toMatchObject({ ok: true, resumed: true, batchId: report.batchId, counts: { total: 10, done: 10 } })
    expect((await listTree(photos)).filter((name) => name.endsWith('-cutout.png'))).toHaveLength(10)
  })

  it('reports a batch the engine halted (out of credit) with exit code 2, and resumes it later', async () => {
    const photos = path.join(root, 'halting')
    for (let index = 0; index < 4; index += 1) await writeImage(path.join(photos, `p${index}.jpg`), { width: 16, height: 12 })
    const userData = path.join(root, 'userdata-halting')
    const first = deps(userData, { kind: 'aipic', halt: (file) => file.endsWith('p2.jpg') })
    expect(await runBatch([photos], { json: true, verbose: false, engine: 'aipic', concurrency: 1 }, first.value)).toBe(2)
    const report = JSON.parse(first.output()) as CliReport
    expect(report).toMatchObject({ ok: false, outcome: 'halted', error: { code: 'aipic.out-of-credit' }, counts: { done: 2, failed: 0, queued: 2 } })
    expect(first.errors()).toMatch(/The batch stopped: No credits left/)
    const second = deps(userData, { kind: 'aipic' })
    expect(await runBatch([photos], { json: true, verbose: false, engine: 'aipic', concurrency: 1 }, second.value)).toBe(0)
    expect(JSON.parse(second.output())).toMatchObject({ resumed: true, batchId: report.batchId, counts: { done: 4 } })
  })

  it('declines a costly batch when there is no terminal to confirm on', async () => {
    const photos = path.join(root, 'costly')
    await writeImage(path.join(photos, 'a.jpg'))
    await writeImage(path.join(photos, 'b.jpg'))
    const userData = path.join(root, 'userdata-costly')
    await fs.mkdir(userData, { recursive: true })
    await fs.writeFile(path.join(userData, 'settings.json'), JSON.stringify({ $version: 1, costConfirmThreshold: 1 }))
    const run = deps(userData, { kind: 'aipic', cost: { needed: 0, available: 10 } })
    expect(await runBatch([photos], { json: false, verbose: false, engine: 'aipic' }, run.value)).toBe(2)
    expect(run.errors()).toMatch(/needs 2 credits \(more than the threshold of 1\)/)
    expect(await listTree(photos)).toEqual(['a.jpg', 'b.jpg'])
    const [journal] = listJournals(path.join(userData, 'journal'))
    expect(readJournal(journal!).end?.reason).toBe('cancelled')
  })
})
