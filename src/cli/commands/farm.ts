/**
 * `koutu farm enqueue|work|status|retry-failed|clear`: one batch across many machines on a
 * BullMQ queue in Redis (docs/farm.md). Any machine enqueues; every machine that runs
 * `koutu farm work` takes jobs, with the same engine and settings as a local batch and its own
 * device and view of the share (`--map`). Plain Node, like the rest of the command line.
 */
import { Command, InvalidArgumentError, Option } from 'commander'
import { KoutuError, serializeError } from '../../shared/errors'
import type { Logger } from '../../shared/logger'
import { CONFLICT_POLICIES, ENGINE_KINDS, OUTPUT_FORMATS, type Settings } from '../../shared/settings'
import type { EngineFactory } from '../../main/batch/batch-service'
import { enqueueFarmBatch } from '../../main/farm/farm-enqueue'
import { DEFAULT_FARM_QUEUE, FARM_QUEUE_NAME, connectRedis, redactRedisUrl, redisOptionsFromUrl } from '../../main/farm/farm-queue'
import { clearFarm, readFarmStatus, retryFailedJobs, type FarmStatus } from '../../main/farm/farm-status'
import { startFarmWorker, type FarmWorker } from '../../main/farm/farm-worker'
import { parsePathMapping, type PathMapping } from '../../main/farm/path-map'
import { createStderrLogger } from '../../main/logging/stderr-logger'
import { userDataLayout } from '../../main/paths'
import { describeDevice, describeFallback, inEnglish } from '../../shared/device-texts'
import { applyFlags, loadAppSettings, type RunFlags } from '../cli-settings'
import type { DeviceEvents } from '../engine-factory'
import { addRemoteOptions, resolveRemoteOptions } from '../remote-options'
import { EXIT_ERROR, EXIT_FILES_FAILED, EXIT_INTERRUPTED, EXIT_OK } from '../run-batch'

type FarmRedis = Awaited<ReturnType<typeof connectRedis>>

export const REDIS_URL_ENV = 'KOUTU_REDIS_URL'
export const REDIS_PASSWORD_ENV = 'KOUTU_REDIS_PASSWORD'
/** `--device` values: the local engine's device choice (docs/gpu.md), per worker machine. */
export const FARM_DEVICES = ['auto', 'gpu', 'cpu'] as const

export interface FarmCommandDeps {
  userDataDir: string
  env: NodeJS.ProcessEnv
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  setExitCode: (code: number) => void
  /**
   * The engine factory a worker runs, for this machine's settings (the program builds the aipic
   * one); `devices` hears which device the local engine chose, so the worker can name it.
   */
  createEngine: (logger: Logger, settings: () => Settings, devices: DeviceEvents) => EngineFactory
  signals?: NodeJS.EventEmitter
}

function parseCount(min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value)
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(`a whole number from ${min} to ${max}`)
    return parsed
  }
}

function collectMap(value: string, previous: PathMapping[] | undefined): PathMapping[] {
  try {
    return [...(previous ?? []), parsePathMapping(value)]
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message)
  }
}

function parseQueue(value: string): string {
  const parsed = FARM_QUEUE_NAME.safeParse(value)
  if (!parsed.success) throw new InvalidArgumentError('letters, digits, - and _ only (at most 64)')
  return parsed.data
}

function withConnectionOptions(command: Command): Command {
  return command
    .option('--redis <url>', `the farm's Redis: redis://[:password@]host:6379[/db], rediss:// for TLS (env ${REDIS_URL_ENV}; password also from ${REDIS_PASSWORD_ENV})`)
    .option('--queue <name>', `the farm's queue, to keep several farms on one Redis (default "${DEFAULT_FARM_QUEUE}")`, parseQueue)
}

function formatEta(seconds: number | null): string {
  if (seconds === null) return '--'
  if (seconds < 60) return `${seconds}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`
}

/** The human-readable `farm status`. */
export function formatFarmStatus(status: FarmStatus): string {
  const lines = [
    `queue ${status.queue}: ${status.waiting} waiting, ${status.active} active, ${status.delayed} delayed · ${status.done} done, ${status.skipped} skipped, ${status.failed} failed, ${status.unknown} unknown`,
    `${status.workers.length} worker(s), ${status.perMinute} photos/min, ETA ${formatEta(status.etaSeconds)}`,
  ]
  for (const worker of status.workers) {
    lines.push(`  ${worker.id} (${worker.host}, ${worker.concurrency} at once): ${worker.done} done, ${worker.failed + worker.unknown} failed, ${worker.perMinute ?? '--'}/min`)
  }
  if (status.halt) lines.push(`halted: ${status.halt.code}: ${status.halt.message} (run koutu farm retry-failed to go on)`)
  for (const failure of status.failures) lines.push(`  ${failure.status} ${failure.inputPath}: ${failure.error.code}: ${failure.error.message}`)
  for (const warning of status.warnings) lines.push(`warning: ${warning.message}`)
  return lines.join('\n')
}

export function registerFarmCommands(program: Command, deps: FarmCommandDeps): void {
  const print = (text: string): void => {
    deps.stdout.write(`${text}\n`)
  }
  const fail = (error: unknown): void => {
    const serialized = serializeError(error)
    deps.stderr.write(`koutu farm: ${serialized.message}\n`)
    deps.setExitCode(EXIT_ERROR)
  }
  const connection = (raw: Record<string, unknown>) => {
    const url = typeof raw.redis === 'string' ? raw.redis : deps.env[REDIS_URL_ENV]
    if (url === undefined || url === '') {
      throw new KoutuError('farm.invalid-url', `Give the farm's Redis with --redis redis://host:6379 (or ${REDIS_URL_ENV}).`)
    }
    const password = deps.env[REDIS_PASSWORD_ENV]
    return { url, options: redisOptionsFromUrl(url, password === '' ? null : password), queue: typeof raw.queue === 'string' ? raw.queue : DEFAULT_FARM_QUEUE }
  }
  /**
   * The action of a command that only reads or changes the queue: `work` gets the queue's name
   * and a connection on first ask (so it may refuse before connecting); the exit code, the
   * error message and the disconnect are the same for all of them.
   */
  const onQueue =
    (work: (raw: Record<string, unknown>, queue: string, redis: () => Promise<FarmRedis>) => Promise<void>) =>
    async (raw: Record<string, unknown>): Promise<void> => {
      let redis: FarmRedis | undefined
      try {
        const { options, queue } = connection(raw)
        await work(raw, queue, async () => (redis ??= await connectRedis({ ...options, maxRetriesPerRequest: 1 })))
        deps.setExitCode(EXIT_OK)
      } catch (error) {
        fail(error)
      } finally {
        redis?.disconnect()
      }
    }
  const logger = (raw: Record<string, unknown>): Logger => createStderrLogger(raw.verbose === true ? 'debug' : 'warn')
  const appSettings = (log: Logger) => loadAppSettings(userDataLayout(deps.userDataDir).settingsFile, log)

  const farm = new Command('farm')
    .description('one batch across many machines: a queue in Redis that every `koutu farm work` takes photos from (docs/farm.md)')
    .exitOverride()
  farm.configureOutput({ writeOut: (text) => deps.stdout.write(text), writeErr: (text) => deps.stderr.write(text) })

  withConnectionOptions(
    farm
      .command('enqueue')
      .description('scan files and folders as a batch does and add one job per photo still to do; running it again adds nothing new')
      .argument('<paths...>', 'image files and folders, as this machine sees them')
      .addOption(new Option('--engine <engine>', 'engine the workers use').choices(ENGINE_KINDS))
      .option('--out <dir>', 'output root: mirror the input tree under this folder')
      .option('--suffix <str>', 'appended to output file names')
      .option('--no-recursive', 'do not descend into subfolders')
      .addOption(new Option('--on-conflict <policy>', 'when the output exists').choices(CONFLICT_POLICIES))
      .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS))
      .option('--model <name|path>', 'local model: isnet-medium, isnet-small, custom, or an .onnx file on the share')
      .option('--json', 'print { batchId, found, added, alreadyQueued, alreadyDone, problems } on stdout')
      .option('--verbose', 'debug logs on stderr'),
  ).action(async (paths: string[], raw: Record<string, unknown>, command: Command) => {
    try {
      const log = logger(raw)
      const { options, queue } = connection(raw)
      const flags: RunFlags = {
        ...(typeof raw.engine === 'string' ? { engine: raw.engine as RunFlags['engine'] & string } : {}),
        ...(typeof raw.out === 'string' ? { out: raw.out } : {}),
        ...(typeof raw.suffix === 'string' ? { suffix: raw.suffix } : {}),
        ...(command.getOptionValueSource('recursive') === 'cli' ? { recursive: raw.recursive === true } : {}),
        ...(typeof raw.onConflict === 'string' ? { onConflict: raw.onConflict as RunFlags['onConflict'] & string } : {}),
        ...(typeof raw.format === 'string' ? { format: raw.format as RunFlags['format'] & string } : {}),
        ...(typeof raw.model === 'string' ? { model: raw.model } : {}),
      }
      const service = appSettings(log)
      const configuredSuffix = service.get().outputSuffix
      const settings = applyFlags(service, flags)
      const result = await enqueueFarmBatch(paths, settings, {
        redis: options,
        queue,
        logger: log,
        ...(settings.outputSuffix !== configuredSuffix ? { otherOutputSuffixes: [configuredSuffix] } : {}),
      })
      if (raw.json === true) print(JSON.stringify(result))
      else {
        print(`farm batch ${result.batchId}: ${result.added} new job(s) (${result.found} photos found, ${result.alreadyQueued} already queued, ${result.alreadyDone} already done)`)
        for (const problem of result.problems) deps.stderr.write(`  skipped ${problem.inputPath}: ${problem.message}\n`)
      }
      deps.setExitCode(EXIT_OK)
    } catch (error) {
      fail(error)
    }
  })

  addRemoteOptions(
    withConnectionOptions(
      farm
        .command('work')
        .description('take photos from the farm until stopped (SIGTERM or Ctrl-C finishes the photos in flight, then exits)')
        .option('--concurrency <n>', 'photos in flight on this machine (1-32, default: the local engine 3, the aipic engine twice its concurrency)', parseCount(1, 32))
        .option('--map <from=to>', 'rewrite a path prefix: where this machine sees the share (repeatable), e.g. /Volumes/Shoot=/mnt/shoot', collectMap)
        .addOption(new Option('--device <device>', "where this machine's local model runs").choices(FARM_DEVICES))
        .option('--lock-ms <ms>', "how long a job stays with a worker that stopped answering before another takes it (default 30000)", parseCount(1000, 3_600_000))
        .option('--verbose', 'one line per photo, and debug logs on stderr'),
    ),
  ).action(async (raw: Record<string, unknown>) => {
    const log = logger(raw)
    try {
      const { url, options, queue } = connection(raw)
      let settings = appSettings(log).get()
      // Each worker chooses its own device: the machine's setting, or --device for this run.
      if (typeof raw.device === 'string') settings = { ...settings, localDevice: raw.device as (typeof FARM_DEVICES)[number] }
      settings = await resolveRemoteOptions(raw, settings, { stdin: deps.stdin, stderr: deps.stderr, interactive: false })
      const current = settings
      const concurrency =
        typeof raw.concurrency === 'number'
          ? raw.concurrency
          : current.engine === 'aipic'
            ? current.remoteConcurrency * 2
            : current.localConcurrency > 0
              ? current.localConcurrency
              : 3
      const verbose = raw.verbose === true
      // Each batch gets its engine, each engine chooses its device: named when it changes.
      let deviceNamed: string | null = null
      const devices: DeviceEvents = {
        onDeviceReady: (device) => {
          const name = describeDevice(inEnglish, device)
          if (name === deviceNamed) return
          deviceNamed = name
          deps.stderr.write(`koutu farm: the local model runs on ${name} (device ${current.localDevice})\n`)
        },
        onDeviceFallback: (event) => deps.stderr.write(`koutu farm: ${describeFallback(inEnglish, event)}\n`),
      }
      const signals = deps.signals ?? process
      let worker: FarmWorker | null = null
      let halted: string | null = null
      let stopping = false
      let failures = 0
      let resolveStopped: (code: number) => void = () => undefined
      const stopped = new Promise<number>((resolve) => (resolveStopped = resolve))
      const stop = async (why: 'signal' | 'halt'): Promise<void> => {
        if (stopping) {
          // A second signal: leave now; the photos in flight go to another worker when their locks expire.
          if (why === 'signal') resolveStopped(EXIT_INTERRUPTED)
          return
        }
        stopping = true
        deps.stderr.write(why === 'halt' ? `koutu farm: stopping: ${halted}\n` : 'koutu farm: finishing the photos in flight…\n')
        // Stopped before the worker was up (a halt on its very first photo): close it once it is.
        while (worker === null) await new Promise((resolve) => setTimeout(resolve, 20))
        await worker.close()
        resolveStopped(why === 'halt' ? EXIT_ERROR : EXIT_OK)
      }
      worker = await startFarmWorker({
        redis: options,
        queue,
        concurrency,
        pathMap: (raw.map as PathMapping[] | undefined) ?? [],
        createEngine: deps.createEngine(log, () => current, devices),
        localDevice: () => current.localDevice,
        logger: log,
        ...(typeof raw.lockMs === 'number' ? { lockDurationMs: raw.lockMs } : {}),
        onOutcome: (_jobId, outcome, inputPath) => {
          if (outcome.status === 'failed' || outcome.status === 'unknown') {
            failures += 1
            deps.stderr.write(`${outcome.status} ${inputPath}: ${outcome.error?.message ?? ''}\n`)
          } else if (verbose) deps.stderr.write(`${outcome.status} ${inputPath} -> ${outcome.outputPath}\n`)
        },
        onHalt: (error) => {
          halted = error.message
          void stop('halt')
        },
      })
      deps.stderr.write(`koutu farm: worker ${worker.id} on ${redactRedisUrl(url)} (queue ${queue}, ${concurrency} at once); SIGTERM or Ctrl-C to stop\n`)
      const onSignal = (): void => void stop('signal')
      signals.on('SIGTERM', onSignal)
      signals.on('SIGINT', onSignal)
      const code = await stopped
      signals.off('SIGTERM', onSignal)
      signals.off('SIGINT', onSignal)
      const stats = (worker as FarmWorker).stats()
      deps.stderr.write(`koutu farm: worker stopped: ${stats.done} done, ${stats.skipped} skipped, ${stats.failed} failed, ${stats.unknown} unknown\n`)
      deps.setExitCode(code === EXIT_OK && failures > 0 ? EXIT_FILES_FAILED : code)
      if (code === EXIT_INTERRUPTED) process.exit(EXIT_INTERRUPTED)
    } catch (error) {
      fail(error)
    }
  })

  withConnectionOptions(
    farm
      .command('status')
      .description('waiting / active / done / failed, the workers and their throughput, an ETA, the failures with their reasons')
      .option('--json', 'print the status as JSON')
      .option('--watch [seconds]', 'print it again every few seconds (default 2) until Ctrl-C'),
  ).action(
    onQueue(async (raw, queue, connect) => {
      const redis = await connect()
      const every = raw.watch === undefined ? null : raw.watch === true ? 2 : Number(raw.watch)
      if (every !== null && !(every > 0)) throw new KoutuError('batch.invalid-options', '--watch takes a number of seconds.')
      let running = true
      const onSignal = (): void => {
        running = false
      }
      const signals = deps.signals ?? process
      signals.once('SIGINT', onSignal)
      do {
        const status = await readFarmStatus(redis, queue)
        print(raw.json === true ? JSON.stringify(status) : formatFarmStatus(status))
        if (every === null) break
        await new Promise((resolve) => setTimeout(resolve, every * 1000))
      } while (running)
      signals.off('SIGINT', onSignal)
    }),
  )

  withConnectionOptions(
    farm
      .command('retry-failed')
      .description('put the failed photos back in the queue (not those with an unknown remote outcome, unless asked)')
      .option('--include-unknown', 'also retry photos whose remote outcome is unknown (they may be charged again)'),
  ).action(
    onQueue(async (raw, queue, connect) => {
      const retried = await retryFailedJobs(await connect(), queue, { includeUnknown: raw.includeUnknown === true })
      print(`${retried} job(s) back in the queue`)
    }),
  )

  withConnectionOptions(
    farm
      .command('clear')
      .description("remove every job, count and record of the farm's queue (outputs on disk are not touched)")
      .option('--yes', 'do not ask (required without a terminal)'),
  ).action(
    onQueue(async (raw, queue, connect) => {
      if (raw.yes !== true) {
        throw new KoutuError('batch.invalid-options', `This removes every job of the queue "${queue}"; run again with --yes to confirm.`)
      }
      await clearFarm(await connect(), queue)
      print(`queue ${queue} cleared`)
    }),
  )

  program.addCommand(farm)
}
