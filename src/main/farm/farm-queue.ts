/**
 * The farm's shape in Redis, shared by the enqueuer, the workers and the status reader: the
 * BullMQ queue's name and options, Koutu's own keys beside it, the job's data (validated when a
 * worker reads it) and the deterministic ids that make enqueueing idempotent.
 *
 * [Note: farm keys] BullMQ keeps its keys under `koutu:<queue>:*` (prefix `koutu`). Koutu's own
 * keys are under `koutu-farm:<queue>:*`:
 * - `batches` (hash): batch id → JSON { snapshot, paths, createdAt, host, jobs } — the settings
 *   a batch was enqueued with are stored once, not in every job, so a queued job costs little;
 * - `counts` (hash): done / skipped / failed / unknown, each job counted once (see countOutcome);
 * - `worker:<id>` (string, expires): a worker's heartbeat and its own counts;
 * - `claim:<job id>` (string): taken before a job spends a credit (see [Note: farm claims]);
 * - `halt` (string): why a worker stopped the farm (out of credit, …), until `retry-failed`.
 */
import { createHash } from 'node:crypto'
import path from 'node:path'
import { Redis, type RedisOptions } from 'ioredis'
import { z } from 'zod'
import type { BatchSettingsSnapshot } from '../../shared/batch'
import { KoutuError } from '../../shared/errors'
import { settingsSchema } from '../../shared/settings'

export const DEFAULT_FARM_QUEUE = 'farm'
export const BULL_PREFIX = 'koutu'

/**
 * Finished jobs kept as records: enough to look at the last ones, bounded so a million photos do
 * not fill Redis (done photos are counted in `counts`; the output on disk is the real record).
 */
export const KEEP_COMPLETED = { count: 1000 } as const
/** Failed jobs are kept longer: their reasons are what `farm status` shows and `retry-failed` retries. */
export const KEEP_FAILED = { count: 20_000 } as const
/** A job whose engine crashed under it is tried once more (like a local batch), then fails. */
export const JOB_ATTEMPTS = 2

export function farmKeys(queue: string) {
  const base = `koutu-farm:${queue}`
  return {
    base,
    batches: `${base}:batches`,
    counts: `${base}:counts`,
    halt: `${base}:halt`,
    workerPrefix: `${base}:worker:`,
    worker: (id: string) => `${base}:worker:${id}`,
    claim: (jobId: string) => `${base}:claim:${jobId}`,
    /** BullMQ's hash for one job (the outcome-counted marker is kept in it, see countOutcome). */
    bullJob: (jobId: string) => `${BULL_PREFIX}:${queue}:${jobId}`,
  }
}

export const FARM_QUEUE_NAME = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - and _ only')

/** One photo's job. Paths are as the enqueuing machine sees them (workers map them, see path-map.ts). */
export const farmJobSchema = z.object({
  v: z.literal(1),
  batchId: z.string().min(1).max(64),
  inputPath: z.string().min(1).max(8192),
  base: z.string().min(1).max(8192),
  outputPath: z.string().min(1).max(8192),
  /** The output was planned to replace an existing file (onConflict overwrite). */
  replace: z.boolean(),
})
export type FarmJobData = z.infer<typeof farmJobSchema>

const snapshotSchema = settingsSchema
  .pick({
    engine: true,
    localModel: true,
    customModel: true,
    outputSuffix: true,
    outputFormat: true,
    outputRoot: true,
    onConflict: true,
    recursive: true,
    backgroundColor: true,
    maskOnly: true,
    cropMargin: true,
    decontaminateEdges: true,
    maxMegapixels: true,
  })
  .required()

export const farmBatchSchema = z.object({
  snapshot: snapshotSchema,
  paths: z.array(z.string()),
  createdAt: z.string(),
  host: z.string(),
  jobs: z.number().int().min(0),
})
export type FarmBatch = z.infer<typeof farmBatchSchema> & { snapshot: BatchSettingsSnapshot }

export function parseFarmJob(data: unknown): FarmJobData {
  const parsed = farmJobSchema.safeParse(data)
  if (!parsed.success) throw new KoutuError('farm.invalid-job', `A farm job could not be read: ${parsed.error.issues[0]?.message ?? 'invalid'}.`)
  return parsed.data
}

export function parseFarmBatch(json: string | null, batchId: string): FarmBatch {
  let value: unknown
  try {
    value = json === null ? null : JSON.parse(json)
  } catch {
    value = null
  }
  const parsed = farmBatchSchema.safeParse(value)
  if (!parsed.success) throw new KoutuError('farm.invalid-job', `The farm batch ${batchId} is missing or unreadable.`, { detail: { batchId } })
  return parsed.data
}

function digest(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex')
}

/** What decides an output: a different value here is a different job for the same photo. */
function outputIdentity(snapshot: BatchSettingsSnapshot): unknown[] {
  return [
    snapshot.engine,
    snapshot.engine === 'local' ? snapshot.localModel : null,
    snapshot.engine === 'local' && snapshot.localModel === 'custom' ? snapshot.customModel : null,
    snapshot.outputSuffix,
    snapshot.outputFormat,
    snapshot.outputRoot,
    snapshot.backgroundColor,
    snapshot.maskOnly,
    snapshot.cropMargin,
    snapshot.decontaminateEdges,
  ]
}

/**
 * The job id of one photo: its real path, size and modification time, and the output options.
 * Enqueueing the same photo with the same options again gives the same id, which BullMQ refuses
 * to add twice; an edited photo (new size or time) or other options make a new job.
 */
export function farmJobId(source: { key: string; size: number; mtimeMs: number }, snapshot: BatchSettingsSnapshot): string {
  return `p${digest(['photo', source.key, source.size, Math.round(source.mtimeMs), ...outputIdentity(snapshot)]).slice(0, 40)}`
}

/** The batch id of one enqueue: the paths given and the options (so enqueueing again names the same batch). */
export function farmBatchId(paths: readonly string[], snapshot: BatchSettingsSnapshot): string {
  const resolved = [...new Set(paths.map((given) => path.resolve(given)))].sort()
  return `b${digest(['batch', resolved, ...outputIdentity(snapshot), snapshot.onConflict, snapshot.recursive]).slice(0, 15)}`
}

/**
 * Connection options from a `redis://` or `rediss://` URL (password and TLS through the URL),
 * with a password given apart (the app keeps it encrypted and never puts it in the URL it shows).
 */
export function redisOptionsFromUrl(url: string, password?: string | null): RedisOptions {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new KoutuError('farm.invalid-url', `"${url}" is not a Redis URL (redis://host:6379).`, { detail: { url } })
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new KoutuError('farm.invalid-url', `"${url}" is not a Redis URL: it must start with redis:// or rediss://.`, { detail: { url } })
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0
  if (!Number.isInteger(db) || db < 0) throw new KoutuError('farm.invalid-url', `"${url}" names an invalid database.`, { detail: { url } })
  const options: RedisOptions = {
    host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    db,
    // BullMQ's workers block on Redis; they must wait for a reconnect instead of failing commands.
    maxRetriesPerRequest: null,
  }
  if (parsed.username !== '') options.username = decodeURIComponent(parsed.username)
  const secret = password ?? (parsed.password === '' ? null : decodeURIComponent(parsed.password))
  if (secret !== null && secret !== '') options.password = secret
  if (parsed.protocol === 'rediss:') options.tls = { servername: options.host! }
  return options
}

/** The URL without its password, for logs and the UI. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return url
  }
}

/** Opens a connection and checks it answers, with a clear error when it does not (a wrong password, no server). */
export async function connectRedis(options: RedisOptions, what = 'Redis', timeoutMs = 8000): Promise<Redis> {
  // No retries while connecting, so a refused connection or a wrong password fails at once;
  // once connected, a dropped connection is retried (workers must ride out a Redis restart).
  const redis = new Redis({ ...options, lazyConnect: true, connectTimeout: options.connectTimeout ?? 5000, retryStrategy: () => null })
  let lastError: Error | null = null
  redis.on('error', (error: Error) => {
    lastError = error
  })
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      (async () => {
        await redis.connect()
        await redis.ping()
      })(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(lastError ?? new Error(`no answer in ${timeoutMs} ms`)), timeoutMs)
      }),
    ])
  } catch (error) {
    redis.disconnect()
    throw new KoutuError('farm.unreachable', `${what} at ${options.host}:${options.port} cannot be reached (${(lastError ?? (error as Error)).message}).`, {
      detail: { host: String(options.host), port: Number(options.port) },
      cause: error,
    })
  } finally {
    clearTimeout(timer)
  }
  redis.options.retryStrategy = (times) => Math.min(times * 200, 2000)
  return redis
}
