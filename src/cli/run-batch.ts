/**
 * `koutu <paths…>`: one headless batch with the app's batch engine and settings. Resumes the
 * interrupted batch of the same paths and settings if there is one (after a crash or Ctrl-C),
 * shows progress, prints a summary (or, with --json, a machine-readable report on stdout), and
 * returns the exit code: 0 when nothing failed, 1 when any file failed or has an unknown
 * outcome, 2 when the batch could not run, 130 after Ctrl-C.
 */
import path from 'node:path'
import readline from 'node:readline/promises'
import type { BatchItem, BatchProgress, CostPrompt, QualityFlag } from '../shared/batch'
import { serializeError, type SerializedError } from '../shared/errors'
import type { Logger } from '../shared/logger'
import type { EngineKind, Settings } from '../shared/settings'
import { BatchService, snapshotSettings, type EngineFactory } from '../main/batch/batch-service'
import { userDataLayout } from '../main/paths'
import { applyFlags, loadAppSettings, type RunFlags } from './cli-settings'
import { deviceOfItems } from '../shared/device-notes'
import { describeDevice, describeFallback, inEnglish } from '../shared/device-texts'
import { engineUnavailable } from './engine-factory'
import { ProgressView } from './progress-view'

export const EXIT_OK = 0
export const EXIT_FILES_FAILED = 1
export const EXIT_ERROR = 2
export const EXIT_INTERRUPTED = 130

export interface RunBatchDeps {
  userDataDir: string
  logger: Logger
  createEngine: (logger: Logger) => EngineFactory
  /** Engines this command line can run (the aipic one is wired later). */
  availableEngines: readonly EngineKind[]
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  /**
   * Last changes to the run's settings once the flags are applied (the remote route's host
   * choice and upload consent); may ask on the terminal, may refuse.
   */
  prepareSettings?: (settings: Settings) => Promise<Settings>
  /** Where SIGINT/SIGTERM are listened for (the process; tests pass an emitter). */
  signals?: NodeJS.EventEmitter
  cwd?: string
}

export interface RunOptions extends RunFlags {
  json: boolean
  verbose: boolean
}

/** The --json report. */
export interface CliReport {
  ok: boolean
  batchId: string | null
  resumed: boolean
  engine: string
  /**
   * 'finished'; 'interrupted' after Ctrl-C; 'halted' when the engine stopped the whole batch
   * (out of credit, …: `error` says why). The last two resume when the same command runs again.
   */
  outcome: 'finished' | 'interrupted' | 'halted'
  durationMs: number
  counts: { total: number; done: number; skipped: number; failed: number; unknown: number; queued: number }
  /** `flags`: the item's quality flags, [] when nothing looked wrong (done items only). */
  items: Array<Pick<BatchItem, 'inputPath' | 'status' | 'outputPath' | 'error' | 'flags'>>
  error?: SerializedError
  /** The local engine's device in English ("GPU, WebGPU: …", "CPU, 2 threads"), when a file was processed. */
  device?: string
  /** Said (in English) when a device failed mid-batch and the engine went on on another. */
  deviceFallback?: string
}

function samePaths(a: readonly string[], b: readonly string[]): boolean {
  const left = [...new Set(a)].sort()
  const right = [...new Set(b)].sort()
  return left.length === right.length && left.every((value, index) => value === right[index])
}

export async function runBatch(givenPaths: readonly string[], options: RunOptions, deps: RunBatchDeps): Promise<number> {
  const cwd = deps.cwd ?? process.cwd()
  const startedAt = Date.now()
  const layout = userDataLayout(deps.userDataDir)
  const print = (text: string): void => {
    deps.stdout.write(`${text}\n`)
  }
  const fail = (error: unknown): number => {
    const serialized = serializeError(error)
    if (options.json) {
      const report: CliReport = {
        ok: false,
        batchId: null,
        resumed: false,
        engine: options.engine ?? 'local',
        outcome: 'finished',
        durationMs: Date.now() - startedAt,
        counts: { total: 0, done: 0, skipped: 0, failed: 0, unknown: 0, queued: 0 },
        items: [],
        error: serialized,
      }
      print(JSON.stringify(report, null, 2))
    } else {
      deps.stderr.write(`koutu: ${serialized.message}\n`)
    }
    return EXIT_ERROR
  }

  let settings
  let appSuffix: string
  try {
    const appSettings = loadAppSettings(layout.settingsFile, deps.logger)
    appSuffix = appSettings.get().outputSuffix
    settings = applyFlags(appSettings, options, cwd)
    if (deps.prepareSettings) settings = await deps.prepareSettings(settings)
  } catch (error) {
    return fail(error)
  }
  if (!deps.availableEngines.includes(settings.engine)) return fail(engineUnavailable(settings.engine))
  const paths = givenPaths.map((given) => path.resolve(cwd, given))
  const service = new BatchService({
    createEngine: deps.createEngine(deps.logger),
    settings: () => settings,
    journalDir: layout.journalDir,
    logger: deps.logger,
    origin: 'cli',
    otherOutputSuffixes: [appSuffix],
  })
  const view = new ProgressView({ stream: deps.stderr, verbose: options.verbose })
  service.onItems((items) => view.items(items))
  service.onItemStatus((change) => view.status(change))
  service.onProgress((progress) => view.progress(progress))

  let interrupted = false
  const signals = deps.signals ?? process
  let interrupts = 0
  const onSignal = (): void => {
    interrupts += 1
    if (interrupts > 1) {
      // A second Ctrl-C: stop now. Outputs stay atomic; the journal is resumable.
      process.exit(EXIT_INTERRUPTED)
    }
    interrupted = true
    view.line('Stopping… (the batch can be resumed by running the same command again; Ctrl-C again to quit now)')
    void service.shutdown()
  }
  signals.on('SIGINT', onSignal)
  signals.on('SIGTERM', onSignal)

  let resumed = false
  try {
    const candidate = service.interruptedBatch()
    const snapshot = snapshotSettings(settings)
    if (candidate !== null && samePaths(candidate.paths, paths) && JSON.stringify(candidate.settings) === JSON.stringify(snapshot)) {
      const result = await service.resumeInterrupted(candidate.batchId)
      if (result) {
        resumed = true
        view.line(`Resuming the interrupted batch ${result.batchId}: ${result.remaining} file(s) left.`)
      }
    }
    const scanned = service.addPaths(paths)
    scanned.catch(() => undefined)
    // An invalid layout (e.g. an empty suffix without --out) is refused before any batch exists.
    if (service.batchId() === null) await scanned
    // Start while the scan streams in (free engines begin at once; costly ones wait for the count).
    await service.start({ confirmCost: (prompt) => confirmCost(prompt, deps, options.json) })
    await scanned
    await service.whenFinished()
  } catch (error) {
    view.stop()
    signals.off('SIGINT', onSignal)
    signals.off('SIGTERM', onSignal)
    const state = service.progress().state
    // A batch that never ran (cost declined, engine failed to start) is closed, not left to resume.
    if (state === 'idle' || state === 'scanning') await service.cancel()
    await service.shutdown()
    return fail(error)
  }
  view.stop()
  signals.off('SIGINT', onSignal)
  signals.off('SIGTERM', onSignal)
  const halt = service.haltReason()
  // A halted batch keeps its journal open-ended so the next run resumes it.
  if (interrupted || halt !== null) await service.shutdown()

  const progress = service.progress()
  const items = service.items()
  const report: CliReport = {
    ok: !interrupted && halt === null && progress.failed === 0 && progress.unknown === 0,
    batchId: service.batchId(),
    resumed,
    engine: settings.engine,
    outcome: interrupted ? 'interrupted' : halt !== null ? 'halted' : 'finished',
    durationMs: Date.now() - startedAt,
    counts: {
      total: progress.total,
      done: progress.done,
      skipped: progress.skipped,
      failed: progress.failed,
      unknown: progress.unknown,
      queued: progress.queued + progress.working,
    },
    items: items.map((item) => {
      const entry: CliReport['items'][number] = { inputPath: item.inputPath, status: item.status }
      if (item.outputPath !== undefined) entry.outputPath = item.outputPath
      if (item.error !== undefined) entry.error = item.error
      if (item.status === 'done') entry.flags = item.flags ?? []
      return entry
    }),
    ...deviceInEnglish(items),
  }
  if (halt !== null) report.error = halt
  if (options.json) print(JSON.stringify(report, null, 2))
  const summary = summaryText(report, progress)
  if (options.json) deps.stderr.write(`${summary}\n`)
  else print(summary)
  if (interrupted) return EXIT_INTERRUPTED
  if (halt !== null) return EXIT_ERROR
  return report.ok ? EXIT_OK : EXIT_FILES_FAILED
}

function summaryText(report: CliReport, progress: BatchProgress): string {
  const { counts } = report
  const seconds = (report.durationMs / 1000).toFixed(1)
  const lines = [
    `${report.outcome === 'interrupted' ? 'Interrupted' : report.outcome === 'halted' ? 'Stopped' : 'Finished'}: ${counts.done} done, ${counts.skipped} skipped, ` +
      `${counts.failed} failed${counts.unknown > 0 ? `, ${counts.unknown} unknown` : ''}` +
      `${counts.queued > 0 ? `, ${counts.queued} left` : ''} of ${counts.total} in ${seconds}s` +
      (progress.imagesPerMinute > 0 ? ` (${progress.imagesPerMinute.toFixed(1)}/min)` : ''),
  ]
  if (report.device) lines.push(`Device: ${report.device}`)
  if (report.deviceFallback) lines.push(`Note: ${report.deviceFallback}`)
  const problems = report.items.filter((item) => item.status === 'failed' || item.status === 'unknown')
  for (const item of problems.slice(0, 20)) lines.push(`  ${item.status}: ${item.inputPath}: ${item.error?.message ?? ''}`)
  if (problems.length > 20) lines.push(`  … and ${problems.length - 20} more (use --json for all)`)
  const flagged = report.items.filter((item) => (item.flags?.length ?? 0) > 0)
  if (flagged.length > 0) lines.push(`${flagged.length} ${flagged.length === 1 ? 'cutout' : 'cutouts'} to check:`)
  for (const item of flagged.slice(0, 20)) lines.push(`  ${item.flags!.map(flagText).join(', ')}: ${item.outputPath ?? item.inputPath}`)
  if (flagged.length > 20) lines.push(`  … and ${flagged.length - 20} more (use --json for all)`)
  if (report.error) lines.push(`The batch stopped: ${report.error.message}`)
  if (report.outcome !== 'finished') lines.push('Run the same command again to resume.')
  return lines.join('\n')
}

/**
 * The device and a fallback as the summary and --json name them: in English, as the rest of the
 * command line speaks (the files' notes hold facts, see [Note: device notes]).
 */
function deviceInEnglish(items: Iterable<BatchItem>): Pick<CliReport, 'device' | 'deviceFallback'> {
  const { device, deviceFallback } = deviceOfItems(items)
  return {
    ...(device !== undefined ? { device: describeDevice(inEnglish, device) } : {}),
    ...(deviceFallback !== undefined ? { deviceFallback: describeFallback(inEnglish, deviceFallback) } : {}),
  }
}

/** The flag as the summary prints it (the JSON keeps the stable id). */
function flagText(flag: QualityFlag): string {
  return { 'no-subject': 'no subject found', 'background-kept': 'background kept', 'cut-at-edge': 'cut at the edge', uncertain: 'uncertain' }[flag]
}

/** Asks on a terminal; without one (scripts, CI) a costly batch is declined. */
async function confirmCost(prompt: CostPrompt, deps: RunBatchDeps, json: boolean): Promise<boolean> {
  const why =
    prompt.reason === 'exceeds-available'
      ? `needs ${prompt.needed} credits but only ${prompt.available} are left`
      : `needs ${prompt.needed} credits (more than the threshold of ${prompt.threshold})`
  if (json || deps.stdin.isTTY !== true) {
    deps.stderr.write(`This batch ${why}; not started (no terminal to confirm on).\n`)
    return false
  }
  const rl = readline.createInterface({ input: deps.stdin, output: deps.stderr, terminal: false })
  try {
    const answer = await rl.question(`This batch ${why}. Continue? [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}
