/**
 * `npm run bench:farm`: farm mode's scaling (issue 15). A real redis-server on a loopback port,
 * a share of image-named files, and 1, 2, 4 and 8 real worker processes (test/farm/helpers/
 * worker-child.ts: the real startFarmWorker, BullMQ, the shared per-photo work and atomic
 * publish) whose engine stand-in waits 200 ms per photo and returns a tiny PNG, as a GPU or the
 * remote service would: the workers' CPU stays free, so what is measured is the farm's own cost.
 *
 * For each worker count: throughput, its ratio to N × one worker (target ≥ 0.9 × N), Redis
 * commands per job (as Redis counts them, those inside Lua scripts included), round trips per
 * job (a separate pass under MONITOR), milliseconds of overhead
 * per job beyond the engine's 200 ms, and Redis memory per queued job (measured after enqueue,
 * before any worker starts).
 *
 * Flags: --jobs N (default 2000, the issue's configuration; 1 worker then takes ~7 min, the
 * whole run ~13 min), --workers 1,2,4,8, --delay-ms 200, --concurrency 1 (jobs in flight per
 * worker), --out FILE (also write the markdown table there).
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Redis as IORedis, type Redis } from 'ioredis'
import { enqueueFarmBatch } from '../src/main/farm/farm-enqueue'
import { redisOptionsFromUrl } from '../src/main/farm/farm-queue'
import { clearFarm } from '../src/main/farm/farm-status'
import { createStderrLogger } from '../src/main/logging/stderr-logger'
import { DEFAULT_SETTINGS } from '../src/shared/settings'
import { startRedis } from '../test/farm/helpers/redis-server'
import { startWorkerProcess, stopWorker, type WorkerProcess } from '../test/farm/helpers/workers'

const here = path.dirname(fileURLToPath(import.meta.url))
const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '2000' },
    workers: { type: 'string', default: '1,2,4,8' },
    'delay-ms': { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
})
const jobs = Number(args.jobs)
const delayMs = Number(args['delay-ms'])
const concurrency = Number(args.concurrency)
const counts = args.workers.split(',').map(Number)
const logger = createStderrLogger('warn')

async function info(client: Redis, section: string, field: string): Promise<number> {
  const text = await client.info(section)
  const match = new RegExp(`^${field}:(\\d+)`, 'm').exec(text)
  return match ? Number(match[1]) : NaN
}

interface Row {
  workers: number
  seconds: number
  perSecond: number
  ratio: number | null
  commandsPerJob: number
  overheadMs: number
  bytesPerJob: number
  enqueueMs: number
}

const redis = await startRedis()
const share = path.join(here, '.scratch', 'farm-share')
await rm(share, { recursive: true, force: true })
for (let folder = 0; folder * 500 < jobs; folder += 1) {
  const dir = path.join(share, `roll-${folder}`)
  await mkdir(dir, { recursive: true })
  // The stand-in engine never reads them; the farm stats, plans and publishes beside them.
  await Promise.all(Array.from({ length: Math.min(500, jobs - folder * 500) }, (_, index) => writeFile(path.join(dir, `photo-${index}.jpg`), '')))
}
const rows: Row[] = []
const results: { roundTrips: { perJob: number; inScriptsPerJob: number; sample: number } | null } = { roundTrips: null }
process.stderr.write(`bench:farm: ${jobs} jobs, ${delayMs} ms per photo, workers ${counts.join(', ')}, ${concurrency} in flight each, ${os.cpus().length} cores\n`)
try {
  for (const n of counts) {
    await clearFarm(redis.client, 'farm')
    for (const folder of await readdir(share)) {
      for (const file of await readdir(path.join(share, folder))) if (file.includes('-cutout')) await rm(path.join(share, folder, file))
    }
    const memoryBefore = await info(redis.client, 'memory', 'used_memory')
    const enqueueStart = performance.now()
    const enqueued = await enqueueFarmBatch([share], DEFAULT_SETTINGS, { redis: redisOptionsFromUrl(redis.url), queue: 'farm', logger })
    const enqueueMs = performance.now() - enqueueStart
    if (enqueued.added !== jobs) throw new Error(`enqueued ${enqueued.added} of ${jobs}`)
    const bytesPerJob = ((await info(redis.client, 'memory', 'used_memory')) - memoryBefore) / jobs

    const workers: WorkerProcess[] = []
    for (let index = 0; index < n; index += 1) {
      workers.push(startWorkerProcess({ redisUrl: redis.url, queue: 'farm', concurrency, lockMs: 30_000, heartbeatMs: 5000, engine: { kind: 'sleep', delayMs } }))
    }
    // Workers take jobs as soon as they are up; the clock starts at the first outcome's
    // predecessor: when every worker is ready (the slower starts are not the farm's cost).
    await Promise.all(workers.map((worker) => worker.waitFor((event) => event.event === 'ready', 120_000)))
    const commandsBefore = await info(redis.client, 'stats', 'total_commands_processed')
    const started = performance.now()
    const doneBefore = workers.reduce((sum, worker) => sum + worker.outcomes().length, 0)
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        const done = workers.reduce((sum, worker) => sum + worker.outcomes().length, 0)
        if (done >= jobs) {
          clearInterval(timer)
          resolve()
        }
        if (workers.some((worker) => worker.child.exitCode !== null)) {
          clearInterval(timer)
          reject(new Error(`a worker exited: ${workers.map((worker) => worker.stderr()).join('\n')}`))
        }
      }, 20)
    })
    const seconds = (performance.now() - started) / 1000
    const commands = (await info(redis.client, 'stats', 'total_commands_processed')) - commandsBefore
    await Promise.all(workers.map((worker) => stopWorker(worker)))
    const measured = jobs - doneBefore
    const perSecond = measured / seconds
    const one = rows[0]?.workers === 1 ? rows[0].perSecond : null
    rows.push({
      workers: n,
      seconds,
      perSecond,
      ratio: one === null ? (n === 1 ? 1 : null) : perSecond / (n * one),
      commandsPerJob: commands / jobs,
      // Each worker slot spends (n × concurrency × wall / jobs) per job; the engine's part is delayMs.
      overheadMs: (n * concurrency * seconds * 1000) / measured - delayMs,
      bytesPerJob,
      enqueueMs,
    })
    const row = rows.at(-1)!
    process.stderr.write(
      `  ${n} worker(s): ${row.perSecond.toFixed(2)} jobs/s, ratio ${row.ratio?.toFixed(3) ?? '–'}, ${row.commandsPerJob.toFixed(1)} Redis commands/job, ${row.overheadMs.toFixed(1)} ms overhead/job\n`,
    )
  }
  // Round trips: a separate pass with MONITOR on (it slows Redis, so not during the timed runs).
  // MONITOR shows each command a client sent, and those run inside Lua scripts marked "lua".
  const sample = Math.min(jobs, 200)
  await clearFarm(redis.client, 'farm')
  await rm(share, { recursive: true, force: true })
  for (let index = 0; index < sample; index += 1) {
    await mkdir(path.join(share, 'sample'), { recursive: true })
    await writeFile(path.join(share, 'sample', `photo-${index}.jpg`), '')
  }
  await enqueueFarmBatch([share], DEFAULT_SETTINGS, { redis: redisOptionsFromUrl(redis.url), queue: 'farm', logger })
  const pair = [0, 1].map(() =>
    startWorkerProcess({ redisUrl: redis.url, queue: 'farm', concurrency, lockMs: 30_000, heartbeatMs: 5000, engine: { kind: 'sleep', delayMs } }),
  )
  const monitorClient = new IORedis({ host: '127.0.0.1', port: redis.port })
  let topLevel = 0
  let inScripts = 0
  let measuring = true
  const monitor = await monitorClient.monitor()
  monitor.on('monitor', (_time: string, _args: string[], source: string) => {
    if (source === 'lua') inScripts += 1
    else if (measuring) topLevel += 1
  })
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (pair.reduce((sum, worker) => sum + worker.outcomes().length, 0) >= sample) {
        clearInterval(timer)
        resolve()
      }
    }, 20)
  })
  measuring = false
  await Promise.all(pair.map((worker) => stopWorker(worker)))
  monitor.disconnect()
  monitorClient.disconnect()
  results.roundTrips = { perJob: topLevel / sample, inScriptsPerJob: inScripts / sample, sample }
} finally {
  await redis.stop()
  await rm(share, { recursive: true, force: true })
}

const ideal = 1000 / delayMs
const table = [
  `| workers | wall | jobs/s | ideal (N × ${ideal.toFixed(1)}) | ÷ N × one worker | Redis commands / job (scripts incl.) | overhead / job | Redis memory / queued job | enqueue |`,
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (row) =>
      `| ${row.workers} | ${row.seconds.toFixed(1)} s | ${row.perSecond.toFixed(2)} | ${(row.workers * ideal * concurrency).toFixed(1)} | ${row.ratio === null ? '–' : row.ratio.toFixed(3)} | ${row.commandsPerJob.toFixed(1)} | ${row.overheadMs.toFixed(1)} ms | ${Math.round(row.bytesPerJob)} B | ${(row.enqueueMs / 1000).toFixed(1)} s |`,
  ),
].join('\n')
const roundTrips = results.roundTrips
const trips =
  roundTrips === null
    ? ''
    : `\nRedis round trips per job (MONITOR, 2 workers, ${roundTrips.sample} jobs, the enqueue excluded): ${roundTrips.perJob.toFixed(1)} commands sent by the workers (a pipeline's commands counted one by one), running ${roundTrips.inScriptsPerJob.toFixed(1)} more inside BullMQ's and Koutu's Lua scripts.\n`
process.stdout.write(`\n${jobs} jobs, ${delayMs} ms engine stand-in, ${concurrency} job(s) in flight per worker process\n\n${table}\n${trips}`)
if (args.out) await writeFile(args.out, `${table}\n${trips}`)
