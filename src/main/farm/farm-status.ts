/**
 * Reading and steering a farm from any machine: `farm status` (counts, workers and their
 * throughput, an ETA, the failures with their reasons, and warnings about a Redis that is not
 * set up for a queue), `farm retry-failed` and `farm clear`. The app's Farm view reads the same
 * status (src/main/farm/farm-service.ts).
 */
import { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { SerializedError } from '../../shared/errors'
import type { FarmFailure, FarmStatus, FarmWarning, FarmWorkerView } from '../../shared/farm'
import { BULL_PREFIX, farmKeys, type FarmJobData } from './farm-queue'
import type { FarmJobOutcome, FarmWorkerStats } from './farm-worker'

export type { FarmFailure, FarmStatus, FarmWarning, FarmWorkerView } from '../../shared/farm'

function readOutcome(text: string | undefined | null): FarmJobOutcome | null {
  if (!text) return null
  try {
    const value = JSON.parse(text) as Partial<FarmJobOutcome>
    return typeof value.status === 'string' ? (value as FarmJobOutcome) : null
  } catch {
    return null
  }
}

/** `maxmemory-policy` must be `noeviction` (else Redis may drop jobs) and some persistence should be on. */
export async function redisWarnings(redis: Redis): Promise<FarmWarning[]> {
  const warnings: FarmWarning[] = []
  try {
    const policy = ((await redis.config('GET', 'maxmemory-policy')) as string[])[1]
    const appendonly = ((await redis.config('GET', 'appendonly')) as string[])[1]
    const save = ((await redis.config('GET', 'save')) as string[])[1]
    if (policy !== 'noeviction') {
      warnings.push({
        code: 'eviction',
        message: `Redis maxmemory-policy is "${policy}": under memory pressure it may drop jobs. Set it to noeviction.`,
      })
    }
    if (appendonly !== 'yes' && (save === undefined || save.trim() === '')) {
      warnings.push({
        code: 'no-persistence',
        message: 'Redis has no persistence (appendonly no, no save points): a restart of Redis loses the farm. Turn on appendonly or RDB snapshots.',
      })
    }
  } catch (error) {
    warnings.push({ code: 'config-unreadable', message: `Redis's configuration could not be read (${(error as Error).message}); check maxmemory-policy noeviction and persistence yourself.` })
  }
  return warnings
}

export async function readFarmStatus(redis: Redis, queueName: string, options: { failureLimit?: number; now?: number } = {}): Promise<FarmStatus> {
  const keys = farmKeys(queueName)
  const queue = new Queue<FarmJobData>(queueName, { connection: redis, prefix: BULL_PREFIX })
  try {
    const now = options.now ?? Date.now()
    const [counts, outcomes, haltJson, warnings] = await Promise.all([
      queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused'),
      redis.hgetall(keys.counts),
      redis.get(keys.halt),
      redisWarnings(redis),
    ])
    const workers: FarmWorkerView[] = []
    let cursor = '0'
    const workerKeys: string[] = []
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${keys.workerPrefix}*`, 'COUNT', 200)
      cursor = next
      workerKeys.push(...found)
    } while (cursor !== '0')
    const beats = workerKeys.length === 0 ? [] : await redis.mget(...workerKeys)
    let perMinute = 0
    for (const beat of beats) {
      if (beat === null) continue
      const stats = JSON.parse(beat) as FarmWorkerStats
      const finished = stats.done + stats.failed + stats.unknown
      const span = stats.firstStartAt === null ? 0 : now - stats.firstStartAt
      const rate = finished > 0 && span > 0 ? (finished * 60_000) / span : null
      if (rate !== null) perMinute += rate
      workers.push({
        id: stats.id,
        host: stats.host,
        pid: stats.pid,
        concurrency: stats.concurrency,
        done: stats.done,
        skipped: stats.skipped,
        failed: stats.failed,
        unknown: stats.unknown,
        perMinute: rate === null ? null : Math.round(rate * 10) / 10,
      })
    }
    workers.sort((a, b) => a.id.localeCompare(b.id))
    const failures: FarmFailure[] = []
    const failed = await queue.getFailed(0, (options.failureLimit ?? 50) - 1)
    for (const job of failed) {
      if (!job) continue
      const outcome = readOutcome(job.failedReason)
      failures.push({
        jobId: job.id ?? '',
        inputPath: (job.data as Partial<FarmJobData>).inputPath ?? '',
        status: outcome?.status === 'unknown' ? 'unknown' : 'failed',
        error: outcome?.error ?? { code: 'internal.unexpected', message: job.failedReason || 'failed', detail: {} },
        worker: outcome?.worker ?? null,
        at: job.finishedOn ?? null,
      })
    }
    const waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.paused ?? 0)
    const active = counts.active ?? 0
    const remaining = waiting + active + (counts.delayed ?? 0)
    let halt: SerializedError | null = null
    if (haltJson !== null) halt = (JSON.parse(haltJson) as { error: SerializedError }).error
    return {
      queue: queueName,
      waiting,
      active,
      delayed: counts.delayed ?? 0,
      done: Number(outcomes.done ?? 0),
      skipped: Number(outcomes.skipped ?? 0),
      failed: Number(outcomes.failed ?? 0),
      unknown: Number(outcomes.unknown ?? 0),
      workers,
      perMinute: Math.round(perMinute * 10) / 10,
      etaSeconds: remaining === 0 ? 0 : perMinute > 0 ? Math.round((remaining * 60) / perMinute) : null,
      failures,
      halt,
      warnings,
    }
  } finally {
    await queue.close()
  }
}

/**
 * Puts failed jobs back in the queue (and, only when asked, the unknown ones: they may have been
 * charged already). Returns how many were retried. Clears a halt.
 */
export async function retryFailedJobs(redis: Redis, queueName: string, options: { includeUnknown?: boolean } = {}): Promise<number> {
  const keys = farmKeys(queueName)
  const queue = new Queue<FarmJobData>(queueName, { connection: redis, prefix: BULL_PREFIX })
  let retried = 0
  try {
    await redis.del(keys.halt)
    // Retried jobs leave the failed set; the unknown ones left behind are stepped over.
    let skipped = 0
    for (;;) {
      const page = (await queue.getFailed(skipped, skipped + 499)).filter((job) => job !== undefined)
      if (page.length === 0) break
      for (const job of page) {
        const status = readOutcome(job.failedReason)?.status ?? 'failed'
        if (status === 'unknown' && options.includeUnknown !== true) {
          skipped += 1
          continue
        }
        const marker = await redis.hget(keys.bullJob(job.id!), 'koutuCounted')
        const pipeline = redis.pipeline().hdel(keys.bullJob(job.id!), 'koutuCounted').del(keys.claim(job.id!))
        if (marker !== null) pipeline.hincrby(keys.counts, marker, -1)
        await pipeline.exec()
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true })
        retried += 1
      }
    }
  } finally {
    await queue.close()
  }
  return retried
}

/** Removes every job, batch, count, claim and heartbeat of the farm. */
export async function clearFarm(redis: Redis, queueName: string): Promise<void> {
  const keys = farmKeys(queueName)
  const queue = new Queue<FarmJobData>(queueName, { connection: redis, prefix: BULL_PREFIX })
  try {
    await queue.obliterate({ force: true })
  } finally {
    await queue.close()
  }
  let cursor = '0'
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${keys.base}:*`, 'COUNT', 500)
    cursor = next
    if (found.length > 0) await redis.unlink(...found)
  } while (cursor !== '0')
}
