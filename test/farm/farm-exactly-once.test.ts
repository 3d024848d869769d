/**
 * The farm against a real Redis (Debian's redis-server on a loopback port) with real worker
 * processes: a tree of real photos enqueued, three workers, one SIGKILLed mid-batch. Every output
 * exists exactly once and is a complete image, the originals are unchanged, the killed worker's
 * jobs were handed to the others once its locks expired, and enqueueing again adds nothing.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { Queue } from 'bullmq'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { enqueueFarmBatch } from '../../src/main/farm/farm-enqueue'
import { BULL_PREFIX, redisOptionsFromUrl } from '../../src/main/farm/farm-queue'
import { readFarmStatus, retryFailedJobs } from '../../src/main/farm/farm-status'
import { startFarmWorker } from '../../src/main/farm/farm-worker'
import { DEFAULT_SETTINGS } from '../../src/shared/settings'
import { listTree, makeTempDir, sha256, writeImage } from '../main/batch/helpers/fixtures'
import { recordingLogger } from '../main/engine/aipic/harness'
import { createTestEngine } from '../main/batch/helpers/sharp-test-engine'
import { waitForFarm } from './helpers/farm-wait'
import { startRedis, type RedisServer } from './helpers/redis-server'
import { startWorkerProcess, stopWorker, type WorkerProcess } from './helpers/workers'

let redis: RedisServer
let root: string
const workers: WorkerProcess[] = []

beforeEach(async () => {
  redis = await startRedis()
  root = await makeTempDir('koutu-farm-')
})

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => stopWorker(worker, 3000)))
  await redis.stop()
  await fs.rm(root, { recursive: true, force: true })
})

describe('farm: one batch across worker processes', () => {
  it('makes every output exactly once when a worker is SIGKILLed mid-batch, and enqueueing again adds nothing', async () => {
    const share = path.join(root, 'Shoot')
    const originals: string[] = []
    for (const folder of ['day1', 'day1/studio', 'day2', '客户 A']) {
      for (let index = 0; index < 12; index += 1) {
        const file = path.join(share, folder, `photo ${index}.${index % 3 === 0 ? 'png' : 'jpg'}`)
        await writeImage(file, { width: 40 + index, height: 30 + (index % 5) })
        originals.push(file)
      }
    }
    // Two originals that map to one output name: the planner numbers the second, as locally.
    await writeImage(path.join(share, 'day2', 'photo 1.png'))
    originals.push(path.join(share, 'day2', 'photo 1.png'))
    const hashes = new Map(await Promise.all(originals.map(async (file) => [file, await sha256(file)] as const)))
    const logger = recordingLogger()
    const options = { redis: redisOptionsFromUrl(redis.url), queue: 'farm', logger }

    const first = await enqueueFarmBatch([share], DEFAULT_SETTINGS, options)
    expect(first).toMatchObject({ found: originals.length, added: originals.length, alreadyQueued: 0, alreadyDone: 0, problems: [] })
    // Before any work: enqueueing the same tree again adds nothing (the jobs are queued).
    const again = await enqueueFarmBatch([share], DEFAULT_SETTINGS, options)
    expect(again).toMatchObject({ batchId: first.batchId, added: 0, alreadyQueued: originals.length })

    const config = { redisUrl: redis.url, queue: 'farm', concurrency: 2, lockMs: 1500, engine: { kind: 'sharp' as const, delayMs: 150 } }
    for (let index = 0; index < 3; index += 1) workers.push(startWorkerProcess(config))
    await Promise.all(workers.map((worker) => worker.waitFor((event) => event.event === 'ready')))
    const victim = workers[0]!
    // Mid-batch: after its third photo, while it holds more.
    await victim.waitFor(() => victim.outcomes().length >= 3)
    victim.child.kill('SIGKILL')
    expect((await victim.exited).signal).toBe('SIGKILL')
    const status = await waitForFarm(redis, 'farm', originals.length)

    expect(status.failed + status.unknown).toBe(0)
    expect(status.done + status.skipped).toBe(originals.length)
    // The victim's jobs in flight came back to the others after their locks expired.
    const queue = new Queue('farm', { connection: redis.client, prefix: BULL_PREFIX })
    const completed = await queue.getCompleted(0, -1)
    await queue.close()
    expect(completed).toHaveLength(originals.length)
    const redelivered = completed.filter((job) => job.stalledCounter > 0)
    expect(redelivered.length).toBeGreaterThanOrEqual(1)
    const survivorsOutcomes = workers.slice(1).flatMap((worker) => worker.outcomes())
    for (const job of redelivered) expect(survivorsOutcomes.some((event) => event.jobId === job.id)).toBe(true)

    // Exactly one output per original, each complete, no temp files, originals untouched.
    const tree = await listTree(share)
    // Only the killed worker may have left a temp (hidden, never taken for an output).
    for (const temp of tree.filter((file) => file.includes('.koutu-tmp'))) {
      expect(path.basename(temp)).toMatch(new RegExp(`^\\..*\\.koutu-tmp-${victim.child.pid}-`))
    }
    const outputs = tree.filter((file) => file.includes('-cutout') && !file.includes('.koutu-tmp'))
    expect(outputs).toHaveLength(originals.length)
    expect(outputs).toContain(path.join('day2', 'photo 1-cutout (2).png'))
    for (const original of originals) {
      expect(await sha256(original)).toBe(hashes.get(original))
      const parsed = path.parse(original)
      const candidates = outputs.filter((file) => path.dirname(path.join(share, file)) === parsed.dir && path.basename(file).startsWith(`${parsed.name}-cutout`))
      expect(candidates.length).toBeGreaterThanOrEqual(1)
    }
    for (const output of outputs) {
      const image = sharp(path.join(share, output))
      const meta = await image.metadata()
      expect(meta.format).toBe('png')
      expect(meta.channels).toBe(4)
      // A truncated file fails to decode; a complete one gives every pixel.
      const pixels = await image.raw().toBuffer({ resolveWithObject: true })
      expect(pixels.data.length).toBe(meta.width * meta.height * 4)
    }

    // Done photos are not enqueued again: their outputs exist.
    const third = await enqueueFarmBatch([share], DEFAULT_SETTINGS, options)
    expect(third).toMatchObject({ batchId: first.batchId, added: 0, alreadyDone: originals.length })
    // That scan also removed the dead writer's temps.
    expect((await listTree(share)).filter((file) => file.includes('.koutu-tmp'))).toEqual([])
    expect((await readFarmStatus(redis.client, 'farm')).waiting).toBe(0)
  }, 120_000)

  it('records a failure with its reason once, and retry-failed puts it back and counts it again only once', async () => {
    const share = path.join(root, 'share')
    await writeImage(path.join(share, 'good.jpg'))
    await fs.mkdir(share, { recursive: true })
    await fs.writeFile(path.join(share, 'broken.jpg'), 'this is not a jpeg')
    const logger = recordingLogger()
    const redisOptions = redisOptionsFromUrl(redis.url)
    expect((await enqueueFarmBatch([share], DEFAULT_SETTINGS, { redis: redisOptions, queue: 'q1', logger })).added).toBe(2)
    // In this process this time: the same worker code, with the sharp engine stand-in.
    const worker = await startFarmWorker({
      redis: redisOptions,
      queue: 'q1',
      concurrency: 2,
      createEngine: () => createTestEngine(),
      logger,
      lockDurationMs: 5000,
      heartbeatMs: 200,
    })
    try {
      let status = await waitForFarm(redis, 'q1', 2)
      expect(status).toMatchObject({ done: 1, failed: 1, unknown: 0 })
      expect(status.failures).toEqual([
        expect.objectContaining({ status: 'failed', inputPath: path.join(share, 'broken.jpg'), error: expect.objectContaining({ code: 'image.unreadable' }) }),
      ])
      // The worker's heartbeat follows its outcomes within a moment.
      for (let tries = 0; status.workers[0]?.failed !== 1 && tries < 50; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        status = await readFarmStatus(redis.client, 'q1')
      }
      expect(status.workers).toEqual([expect.objectContaining({ id: worker.id, done: 1, failed: 1 })])
      // The photo is repaired on the share; retrying makes it.
      await writeImage(path.join(share, 'broken.jpg'))
      expect(await retryFailedJobs(redis.client, 'q1')).toBe(1)
      status = await waitForFarm(redis, 'q1', 2)
      expect(status).toMatchObject({ done: 2, failed: 0, failures: [] })
      expect(await listTree(share)).toEqual(['broken-cutout.png', 'broken.jpg', 'good-cutout.png', 'good.jpg'])
    } finally {
      await worker.close()
    }
  })
})
