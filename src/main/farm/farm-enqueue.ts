/**
 * `farm enqueue`: scans the given paths as a local batch does, plans every output with the same
 * planner (so `a.jpg` and `a.png` still get `a-cutout.png` and `a-cutout (2).png`), and adds one
 * BullMQ job per photo whose output is still to be made. Job ids are deterministic (farmJobId),
 * so enqueueing again adds nothing for photos already queued, and nothing for photos done
 * (their output exists and the conflict policy is `skip`).
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Queue } from 'bullmq'
import type { RedisOptions } from 'ioredis'
import type { Logger } from '../../shared/logger'
import { DEFAULT_SETTINGS, type Settings } from '../../shared/settings'
import { removeStaleTemp } from '../batch/atomic-write'
import { snapshotSettings } from '../batch/batch-settings'
import { ownOutputMatcher } from '../batch/file-kinds'
import { OutputPlanner, validateOutputLayout, type OutputLayout } from '../batch/output-planner'
import { scanPaths, type ScannedFile } from '../batch/scanner'
import {
  BULL_PREFIX,
  JOB_ATTEMPTS,
  KEEP_COMPLETED,
  KEEP_FAILED,
  connectRedis,
  farmBatchId,
  farmJobId,
  farmKeys,
  type FarmBatch,
  type FarmJobData,
} from './farm-queue'

export interface EnqueueOptions {
  redis: RedisOptions
  queue: string
  logger: Logger
  /** More suffixes whose files count as earlier outputs (see BatchServiceOptions). */
  otherOutputSuffixes?: readonly string[]
  /** Jobs added per round trip (default 500). */
  chunkSize?: number
}

export interface EnqueueResult {
  batchId: string
  /** Photos found by the scan. */
  found: number
  /** Jobs added by this call. */
  added: number
  /** Photos whose job was already in the queue (waiting, active, failed or recently done). */
  alreadyQueued: number
  /** Photos whose output already exists (conflict policy `skip`): nothing to do. */
  alreadyDone: number
  /** Paths the scan could not use (vanished, unreadable, not images, symlink loops). */
  problems: Array<{ inputPath: string; code: string; message: string }>
}

interface PlannedJob {
  id: string
  data: FarmJobData
}

export async function enqueueFarmBatch(paths: readonly string[], settings: Settings, options: EnqueueOptions): Promise<EnqueueResult> {
  const snapshot = snapshotSettings(settings)
  const layout: OutputLayout = {
    suffix: snapshot.outputSuffix,
    format: snapshot.outputFormat,
    outputRoot: snapshot.outputRoot,
    onConflict: snapshot.onConflict,
  }
  validateOutputLayout(
    layout,
    paths.map((given) => path.resolve(given)),
  )
  const batchId = farmBatchId(paths, snapshot)
  const keys = farmKeys(options.queue)

  // The whole scan first: every original must be known to the planner before any output is
  // decided, so that no output is ever planned onto another original's path.
  const files: ScannedFile[] = []
  const seen = new Set<string>()
  const problems: EnqueueResult['problems'] = []
  for await (const chunk of scanPaths(paths, {
    recursive: snapshot.recursive,
    isOwnOutput: ownOutputMatcher([snapshot.outputSuffix, DEFAULT_SETTINGS.outputSuffix, ...(options.otherOutputSuffixes ?? [])]),
    excludeFolders: snapshot.outputRoot === null ? [] : [snapshot.outputRoot],
  })) {
    for (const file of chunk.files) {
      if (seen.has(file.key)) continue
      seen.add(file.key)
      files.push(file)
    }
    for (const problem of chunk.problems) problems.push({ inputPath: problem.inputPath, code: problem.error.code, message: problem.error.message })
    // Temps left by a writer that is gone (a worker killed mid-publish on this machine).
    for (const temp of chunk.staleTemps) await removeStaleTemp(temp, options.logger)
  }

  const planner = new OutputPlanner(layout)
  for (const file of files) {
    planner.addOriginal(file.inputPath)
    planner.addOriginal(file.key)
  }
  const planned: PlannedJob[] = []
  let alreadyDone = 0
  for (const [index, file] of files.entries()) {
    let stat
    try {
      stat = await fs.stat(file.key)
    } catch (error) {
      problems.push({ inputPath: file.inputPath, code: 'batch.input-vanished', message: `${file.inputPath} no longer exists (${String(error)}).` })
      continue
    }
    const decision = await planner.decide(index + 1, file)
    if (decision.action === 'skip') {
      alreadyDone += 1
      continue
    }
    planned.push({
      id: farmJobId({ key: file.key, size: stat.size, mtimeMs: stat.mtimeMs }, snapshot),
      data: { v: 1, batchId, inputPath: file.inputPath, base: file.base, outputPath: decision.outputPath, replace: decision.replace },
    })
  }

  const redis = await connectRedis(options.redis)
  const queue = new Queue<FarmJobData>(options.queue, { connection: redis, prefix: BULL_PREFIX })
  let added = 0
  try {
    const existing = await redis.hget(keys.batches, batchId)
    const previous = existing === null ? null : (JSON.parse(existing) as Partial<FarmBatch>)
    const batch: FarmBatch = {
      snapshot,
      paths: paths.map((given) => path.resolve(given)),
      createdAt: previous?.createdAt ?? new Date().toISOString(),
      host: os.hostname(),
      jobs: previous?.jobs ?? 0,
    }
    // The batch's settings go first: a worker may take the first job before the last is added.
    await redis.hset(keys.batches, batchId, JSON.stringify(batch))
    const chunkSize = options.chunkSize ?? 500
    for (let start = 0; start < planned.length; start += chunkSize) {
      const chunk = planned.slice(start, start + chunkSize)
      // BullMQ ignores a job whose id exists; asking first is how we know how many are new.
      const pipeline = redis.pipeline()
      for (const job of chunk) pipeline.exists(keys.bullJob(job.id))
      const answers = (await pipeline.exec()) ?? []
      const fresh = chunk.filter((_, at) => answers[at]?.[1] === 0)
      if (fresh.length === 0) continue
      await queue.addBulk(
        fresh.map((job) => ({
          name: 'cutout',
          data: job.data,
          opts: { jobId: job.id, attempts: JOB_ATTEMPTS, removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED },
        })),
      )
      added += fresh.length
    }
    if (added > 0) await redis.hset(keys.batches, batchId, JSON.stringify({ ...batch, jobs: batch.jobs + added }))
  } finally {
    await queue.close()
    redis.disconnect()
  }
  options.logger.info('farm batch enqueued', { batchId, found: files.length, added })
  return { batchId, found: files.length, added, alreadyQueued: planned.length - added, alreadyDone, problems }
}
