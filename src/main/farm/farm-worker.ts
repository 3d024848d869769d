/**
 * A farm worker: a BullMQ Worker that runs the work of one photo (batch/photo-work.ts, the same
 * unit a local batch runs) for every job it takes, with the engine and settings the batch was
 * enqueued with and this machine's own engine choices (device, paths through `--map`).
 *
 * [Note: farm exactly once] Outputs are published as in a local batch: to a temp file, then
 * linked into place without clobbering (or renamed over, with `overwrite`). A job that comes
 * back (its worker died and its lock expired, or BullMQ took it for stalled) finds its output
 * and is skipped; two deliveries racing each other cannot both publish, the second finds the
 * name taken. Each job's outcome is counted once, with a marker in the job's own hash (so the
 * marker goes when BullMQ drops the finished job, and the counts stay bounded).
 *
 * [Note: farm claims] An engine that spends a credit calls CutoutRequest.beforeCharge just
 * before the paid request; the worker then takes `claim:<job id>` in Redis (SET NX). A job that
 * finds its claim taken was already sent by an earlier delivery, which may have been charged:
 * it is not sent again but fails as `unknown` (aipic.outcome-unknown), as a local batch does
 * after a lost reply. Claims are dropped when a job finishes, so only unknown jobs keep one.
 *
 * [Note: farm event loop] The lock of every job is renewed from this process's event loop, so
 * nothing heavy may run on it: the local model runs in its own process and decoding, resizing
 * and encoding run on libuv's threads (sharp) or worker threads (the aipic compositing).
 */
import os from 'node:os'
import { randomBytes } from 'node:crypto'
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq'
import type { Redis, RedisOptions } from 'ioredis'
import { KoutuError, serializeError, type SerializedError } from '../../shared/errors'
import type { BatchSettingsSnapshot } from '../../shared/batch'
import type { Logger } from '../../shared/logger'
import type { LocalDevice } from '../../shared/settings'
import { outputOptionsOf } from '../batch/batch-settings'
import type { EngineFactory } from '../batch/batch-service'
import type { OutputDecision } from '../batch/output-planner'
import { classifyFailure, processPhoto, type OutputDecider } from '../batch/photo-work'
import type { CutoutEngine } from '../engine/types'
import { BULL_PREFIX, connectRedis, farmKeys, parseFarmBatch, parseFarmJob, type FarmBatch, type FarmJobData } from './farm-queue'
import { mapPath, type PathMapping } from './path-map'
import { lstat } from 'node:fs/promises'

export type FarmOutcomeStatus = 'done' | 'skipped' | 'failed' | 'unknown'

/** What a job's return value or failure reason carries (JSON), read back by `farm status`. */
export interface FarmJobOutcome {
  status: FarmOutcomeStatus
  outputPath?: string
  error?: SerializedError
  worker: string
}

export interface FarmWorkerOptions {
  redis: RedisOptions
  queue: string
  /** Jobs in flight at once on this worker. */
  concurrency: number
  /** `--map FROM=TO` rewrites for this machine's view of the share. */
  pathMap?: readonly PathMapping[]
  /** Builds the engine for a batch's settings (this machine's device and model location apply). */
  createEngine: EngineFactory
  /**
   * This machine's device choice for the local engine (its setting, or `--device`): it replaces
   * the one the batch was enqueued with, which is the enqueuing machine's.
   */
  localDevice?: () => LocalDevice
  logger: Logger
  /** Shown in `farm status`; default `<host>-<pid>-<random>`. */
  workerId?: string
  /**
   * How long a job stays with a worker that stopped renewing its lock before another takes it
   * (default 30 s). Also the interval of the check for such jobs.
   */
  lockDurationMs?: number
  /** How often the heartbeat is written (default 5 s). */
  heartbeatMs?: number
  /** How long a halted job (out of credit, …) waits before it is offered again (default 60 s). */
  haltRetryMs?: number
  /** Every job's outcome, as it happens. */
  onOutcome?: (jobId: string, outcome: FarmJobOutcome, inputPath: string) => void
  /** An engine error that concerns the whole farm (out of credit, …); the worker stops taking jobs. */
  onHalt?: (error: SerializedError) => void
}

export interface FarmWorkerStats {
  id: string
  host: string
  pid: number
  concurrency: number
  startedAt: number
  done: number
  skipped: number
  failed: number
  unknown: number
  /** When the first job started and the last finished (ms since epoch), for the throughput. */
  firstStartAt: number | null
  lastFinishAt: number | null
}

export interface FarmWorker {
  readonly id: string
  stats(): FarmWorkerStats
  /** Finishes the jobs in flight, then stops (SIGTERM). */
  close(): Promise<void>
}

/**
 * Counts an outcome once per job (see [Note: farm exactly once]). Returns 1 when counted now.
 * KEYS: the job's hash, the counts hash. ARGV: the status.
 */
const COUNT_OUTCOME = `
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('HSETNX', KEYS[1], 'koutuCounted', ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
  return 1
end
return 0`

type CountingRedis = Redis & { koutuCountOutcome(jobKey: string, countsKey: string, status: string): Promise<number> }

/** The output planned at enqueue time: written when absent (or when it replaces), else already done. */
function plannedOutput(outputPath: string, replace: boolean): OutputDecider {
  return {
    async decide(): Promise<OutputDecision> {
      if (replace) return { action: 'write', outputPath, replace: true }
      const exists = await lstat(outputPath).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return false
          throw error
        },
      )
      return exists ? { action: 'skip', outputPath } : { action: 'write', outputPath, replace: false }
    },
    release(): void {},
  }
}

export async function startFarmWorker(options: FarmWorkerOptions): Promise<FarmWorker> {
  const id = options.workerId ?? `${os.hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`
  const keys = farmKeys(options.queue)
  const { logger } = options
  const pathMap = options.pathMap ?? []
  const redis = (await connectRedis(options.redis)) as CountingRedis
  redis.defineCommand('koutuCountOutcome', { numberOfKeys: 2, lua: COUNT_OUTCOME })
  const stats: FarmWorkerStats = {
    id,
    host: os.hostname(),
    pid: process.pid,
    concurrency: options.concurrency,
    startedAt: Date.now(),
    done: 0,
    skipped: 0,
    failed: 0,
    unknown: 0,
    firstStartAt: null,
    lastFinishAt: null,
  }
  const batches = new Map<string, Promise<FarmBatch>>()
  const engines = new Map<string, Promise<CutoutEngine>>()
  let halted = false
  let beatSoon = (): void => undefined

  const batchOf = (batchId: string): Promise<FarmBatch> => {
    let found = batches.get(batchId)
    if (found === undefined) {
      found = redis.hget(keys.batches, batchId).then((json) => {
        const batch = parseFarmBatch(json, batchId)
        const custom = batch.snapshot.customModel
        // The custom model is a file on the share too: this machine may see it elsewhere.
        if (custom !== null) batch.snapshot.customModel = { ...custom, path: mapPath(custom.path, pathMap) }
        return batch
      })
      found.catch(() => batches.delete(batchId))
      batches.set(batchId, found)
    }
    return found
  }

  /** The batch's settings as this machine runs them. */
  const onThisMachine = (batch: FarmBatch): BatchSettingsSnapshot =>
    options.localDevice ? { ...batch.snapshot, localDevice: options.localDevice() } : batch.snapshot

  const engineFor = (batchId: string, snapshot: BatchSettingsSnapshot): Promise<CutoutEngine> => {
    const key = JSON.stringify(snapshot)
    let engine = engines.get(key)
    if (engine === undefined) {
      engine = Promise.resolve().then(() => options.createEngine(snapshot))
      engine.catch(() => engines.delete(key))
      engines.set(key, engine)
      logger.info('farm worker: engine started', { batchId, engine: snapshot.engine })
    }
    return engine
  }

  const dropEngine = (snapshot: BatchSettingsSnapshot): void => {
    const key = JSON.stringify(snapshot)
    const engine = engines.get(key)
    engines.delete(key)
    void engine?.then((started) => started.close()).catch(() => undefined)
  }

  const claim = async (jobId: string): Promise<void> => {
    const taken = await redis.set(keys.claim(jobId), id, 'EX', 30 * 24 * 3600, 'NX')
    if (taken === 'OK') return
    const holder = await redis.get(keys.claim(jobId))
    throw new KoutuError(
      'aipic.outcome-unknown',
      `An earlier delivery of this photo (worker ${holder ?? '?'}) already sent its cutout request and stopped before the reply was saved; it may have been charged, so it is not sent again.`,
      { detail: { outcomeUnknown: true } },
    )
  }

  const finish = async (job: Job<FarmJobData>, outcome: FarmJobOutcome, inputPath: string): Promise<void> => {
    await redis.koutuCountOutcome(keys.bullJob(job.id!), keys.counts, outcome.status)
    stats[outcome.status] += 1
    stats.lastFinishAt = Date.now()
    if (outcome.status === 'done' || outcome.status === 'skipped') await redis.del(keys.claim(job.id!))
    options.onOutcome?.(job.id!, outcome, inputPath)
    beatSoon()
  }

  const processor = async (job: Job<FarmJobData>, token?: string): Promise<FarmJobOutcome> => {
    stats.firstStartAt ??= Date.now()
    const data = parseFarmJob(job.data)
    const batch = await batchOf(data.batchId)
    // Chosen once per job, so a crash drops the very engine this job used.
    const snapshot = onThisMachine(batch)
    const inputPath = mapPath(data.inputPath, pathMap)
    const controller = new AbortController()
    try {
      const outcome = await processPhoto(
        { itemId: 1, inputPath, base: mapPath(data.base, pathMap) },
        {
          decider: plannedOutput(mapPath(data.outputPath, pathMap), data.replace),
          engine: () => engineFor(data.batchId, snapshot),
          options: outputOptionsOf(batch.snapshot),
          signal: controller.signal,
          beforeCharge: () => claim(job.id!),
        },
      )
      const result: FarmJobOutcome = { status: outcome.status, outputPath: outcome.outputPath, worker: id }
      await finish(job, result, inputPath)
      return result
    } catch (error) {
      const verdict = classifyFailure(error, { aborted: controller.signal.aborted, attempts: job.attemptsMade + 1 })
      const serialized = serializeError(error)
      if (verdict.action === 'retry-on-fresh-engine') {
        dropEngine(snapshot)
        logger.warn('farm worker: the engine crashed; the job will be retried', { file: inputPath })
        throw new Error(JSON.stringify({ status: 'failed', error: serialized, worker: id } satisfies FarmJobOutcome), { cause: error })
      }
      if (verdict.action === 'halt' || verdict.action === 'requeue') {
        // Back to the queue, a while later: nothing was done and nothing is recorded against it.
        await job.moveToDelayed(Date.now() + (verdict.action === 'halt' ? (options.haltRetryMs ?? 60_000) : 0), token)
        if (verdict.action === 'halt') {
          await redis.set(keys.halt, JSON.stringify({ error: serialized, worker: id, at: new Date().toISOString() }))
          if (!halted) {
            halted = true
            logger.warn('farm worker halted by the engine', { code: serialized.code, reason: serialized.message })
            options.onHalt?.(serialized)
          }
        }
        throw new DelayedError()
      }
      if (verdict.engineCrashed) dropEngine(snapshot)
      const result: FarmJobOutcome = { status: verdict.action, error: serialized, worker: id }
      await finish(job, result, inputPath)
      logger.warn(`file ${verdict.action}`, { file: inputPath, code: serialized.code, reason: serialized.message })
      // BullMQ's failed reason is the message: `farm status` reads the outcome back from it.
      throw Object.assign(new UnrecoverableError(JSON.stringify(result)), { cause: error })
    }
  }

  const lockDuration = options.lockDurationMs ?? 30_000
  const worker = new Worker<FarmJobData, FarmJobOutcome>(options.queue, processor, {
    connection: options.redis,
    prefix: BULL_PREFIX,
    concurrency: options.concurrency,
    name: id,
    lockDuration,
    stalledInterval: lockDuration,
    // A job whose worker died twice under it is failed rather than offered forever.
    maxStalledCount: 2,
    autorun: false,
  })
  worker.on('error', (error) => logger.warn('farm worker: queue error', { error: String(error) }))

  const heartbeatMs = options.heartbeatMs ?? 5000
  const beat = (): Promise<unknown> =>
    redis.set(keys.worker(id), JSON.stringify(stats), 'PX', heartbeatMs * 3).catch((error: unknown) => {
      logger.warn('farm worker: heartbeat failed', { error: String(error) })
    })
  await beat()
  const heartbeat = setInterval(() => void beat(), heartbeatMs)
  // An outcome is shown within a moment, without a round trip for every photo.
  let pendingBeat: NodeJS.Timeout | null = null
  beatSoon = () => {
    pendingBeat ??= setTimeout(() => {
      pendingBeat = null
      void beat()
    }, 250)
  }
  void worker.run().catch((error: unknown) => logger.error('farm worker stopped', { error: String(error) }))
  logger.info('farm worker started', { id, queue: options.queue, concurrency: options.concurrency })

  let closing: Promise<void> | null = null
  return {
    id,
    stats: () => ({ ...stats }),
    close() {
      closing ??= (async () => {
        await worker.close()
        clearInterval(heartbeat)
        if (pendingBeat !== null) clearTimeout(pendingBeat)
        for (const engine of engines.values()) await engine.then((started) => started.close()).catch(() => undefined)
        engines.clear()
        await redis.del(keys.worker(id)).catch(() => undefined)
        redis.disconnect()
        logger.info('farm worker stopped', { ...stats })
      })()
      return closing
    },
  }
}
