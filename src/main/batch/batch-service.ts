/**
 * The batch queue: owns one batch at a time from the dropped paths to the last output, for the
 * app (through the bridge) and the command line alike. It streams the scan into queue items,
 * schedules the work of each photo (photo-work.ts, shared with the farm worker) with bounded
 * concurrency, journals everything, and reports per-file status changes (never dropped) and
 * coalesced progress.
 *
 * [Note: outcome unknown] A remote engine can fail in a way where the file may or may not have
 * been processed (and a credit spent): it rejects with `aipic.outcome-unknown` or any KoutuError
 * whose `detail.outcomeUnknown` is true. Such files get the status `unknown`, which "retry
 * failed" leaves alone unless asked explicitly, and a remote file that was in flight when the
 * app died is resumed as `unknown` too.
 *
 * [Note: engine crashes] When the engine rejects with a crash code (its worker died), the file is
 * retried once on a fresh engine (the factory is called again); a file that crashes the engine
 * twice fails, and the batch goes on.
 *
 * [Note: engine halts] Some engine errors concern the whole batch, not one file: out of credit,
 * an expired session, every upload host down, upload consent missing. The engine marks them
 * with `detail.haltsBatch: true`. The file goes back to the front of the queue (nothing lost, no
 * failure recorded), the batch pauses, `onHalt` listeners hear the error once, and `haltReason()`
 * returns it until `resume()`. Files already in flight finish normally (aborting a remote one
 * could waste a credit). `whenFinished()` also resolves once a halted batch has nothing in
 * flight, so the command line can report the error and leave the journal resumable.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type {
  BatchItem,
  BatchProgress,
  BatchReport,
  BatchState,
  CostPrompt,
  InterruptedBatch,
  ItemStatus,
  ItemStatusChange,
  QualityFlag,
} from '../../shared/batch'
import type { ErrorCode } from '../../shared/error-codes'
import { KoutuError, serializeError, type SerializedError } from '../../shared/errors'
import type { Logger } from '../../shared/logger'
import { DEFAULT_SETTINGS, type Settings } from '../../shared/settings'
import type { CutoutEngine } from '../engine/types'
import { isProcessAlive, removeStaleTemp } from './atomic-write'
import { outputOptionsOf, snapshotSettings } from './batch-settings'
import { ownOutputMatcher } from './file-kinds'
import {
  JOURNAL_VERSION,
  JournalWriter,
  isJournalLive,
  lastRecord,
  listJournals,
  newBatchId,
  pruneJournals,
  readJournal,
  type BatchSettingsSnapshot,
  type QueuedTuple,
  type ReplayedJournal,
} from './journal'
import { OutputPlanner, baseOutputPath, validateOutputLayout, type OutputLayout } from './output-planner'
import { Coalescer, ThroughputMeter, systemClock, type Clock } from './progress'
import { classifyFailure, processPhoto } from './photo-work'
import { scanPaths, type ScanChunk } from './scanner'
import { toBatchReport } from './reports'

export { outputOptionsOf, snapshotSettings } from './batch-settings'
export { haltsBatch, isEngineCrash, isOutcomeUnknown } from './engine-errors'

/** Creates the engine a batch runs with; called again after an engine crash. */
export type EngineFactory = (settings: BatchSettingsSnapshot) => CutoutEngine | Promise<CutoutEngine>

/** Asked before a batch that costs more than is available or than the configured threshold. */
export type ConfirmCost = (prompt: CostPrompt) => Promise<boolean>

export interface BatchServiceOptions {
  createEngine: EngineFactory
  /** The current settings; read when a batch is created and when it starts. */
  settings: () => Settings
  /** `userDataLayout(dir).journalDir`. */
  journalDir: string
  logger: Logger
  clock?: Clock
  /** Recorded in the journal ('app' or 'cli'). */
  origin?: string
  /** Progress events at most every this many ms (default 100). */
  progressIntervalMs?: number
  /** Journals kept (default 50). */
  keepJournals?: number
  /**
   * More suffixes whose files the scan treats as earlier outputs (the command line passes the
   * app's configured suffix when a flag overrides it). The current and default ones always count.
   */
  otherOutputSuffixes?: readonly string[]
}

/** What a status change may say about an item besides its status. */
interface ItemFacts {
  outputPath?: string
  error?: SerializedError
  notes?: Record<string, string>
  flags?: QualityFlag[]
  touchedUp?: boolean
}

interface Entry {
  item: BatchItem
  key: string
  base: string
  attempts: number
}

interface CurrentBatch {
  id: string
  snapshot: BatchSettingsSnapshot
  journal: JournalWriter
  planner: OutputPlanner
  layout: OutputLayout
}

type Listener<T> = (value: T) => void

const CURRENT_FILES_SHOWN = 8
const PROBLEMS_IN_REPORT = 1000

export class BatchService {
  private state: BatchState = 'idle'
  private batch: CurrentBatch | null = null
  private entries: Entry[] = []
  private readonly byKey = new Map<string, number>()
  private queue: number[] = []
  private queueHead = 0
  private readonly counts: Record<ItemStatus, number> = { queued: 0, working: 0, done: 0, skipped: 0, failed: 0, unknown: 0 }
  private readonly inFlight = new Map<number, AbortController>()
  private readonly scans = new Set<AbortController>()
  private scanIdleWaiters: Array<() => void> = []
  private engine: Promise<CutoutEngine> | null = null
  private engineGeneration = 0
  private concurrency = 1
  private starting = false
  private shuttingDown = false
  /** Output decisions are made one at a time, in the order files start (see OutputPlanner). */
  private planning: Promise<unknown> = Promise.resolve()
  private finishWaiters: Array<() => void> = []
  private readonly clock: Clock
  private readonly throughput: ThroughputMeter
  private readonly progressCoalescer: Coalescer
  private readonly itemsListeners = new Set<Listener<BatchItem[]>>()
  private readonly statusListeners = new Set<Listener<ItemStatusChange>>()
  private readonly progressListeners = new Set<Listener<BatchProgress>>()
  private readonly haltListeners = new Set<Listener<SerializedError>>()
  /** Why the batch halted (see [Note: engine halts]); null while it is not halted. */
  private halted: SerializedError | null = null

  constructor(private readonly options: BatchServiceOptions) {
    this.clock = options.clock ?? systemClock
    this.throughput = new ThroughputMeter(this.clock)
    this.progressCoalescer = new Coalescer(() => this.emitProgress(), options.progressIntervalMs ?? 100)
  }

  // ---- events -------------------------------------------------------------------------------

  /** New queue items, in chunks as the scan finds them. Returns an unsubscribe function. */
  onItems(listener: Listener<BatchItem[]>): () => void {
    this.itemsListeners.add(listener)
    return () => this.itemsListeners.delete(listener)
  }

  /** Every per-file status change, in order, none dropped. */
  onItemStatus(listener: Listener<ItemStatusChange>): () => void {
    this.statusListeners.add(listener)
    return () => this.statusListeners.delete(listener)
  }

  /** Progress, coalesced to at most one event per progressIntervalMs (the latest always arrives). */
  /** The engine halted the batch (see [Note: engine halts]); once per halt. Returns an unsubscribe function. */
  onHalt(listener: Listener<SerializedError>): () => void {
    this.haltListeners.add(listener)
    return () => this.haltListeners.delete(listener)
  }

  /** Why the batch is halted, or null. Cleared by resume(). */
  haltReason(): SerializedError | null {
    return this.halted === null ? null : structuredClone(this.halted)
  }

  onProgress(listener: Listener<BatchProgress>): () => void {
    this.progressListeners.add(listener)
    return () => this.progressListeners.delete(listener)
  }

  // ---- queries ------------------------------------------------------------------------------

  items(): BatchItem[] {
    return this.entries.map((entry) => structuredClone(entry.item))
  }

  item(id: number): BatchItem | null {
    const entry = this.entries[id - 1]
    return entry ? structuredClone(entry.item) : null
  }

  /** The settings the current batch runs with (frozen when it was created), or null. */
  settingsSnapshot(): BatchSettingsSnapshot | null {
    return this.batch === null ? null : structuredClone(this.batch.snapshot)
  }

  /** The id of the current batch (its journal's name), or null. */
  batchId(): string | null {
    return this.batch?.id ?? null
  }

  progress(): BatchProgress {
    const remaining = this.counts.queued + this.counts.working
    const currentFiles: string[] = []
    for (const id of this.inFlight.keys()) {
      if (currentFiles.length >= CURRENT_FILES_SHOWN) break
      currentFiles.push(this.entries[id - 1]!.item.inputPath)
    }
    return {
      state: this.state,
      total: this.entries.length,
      done: this.counts.done,
      skipped: this.counts.skipped,
      failed: this.counts.failed,
      unknown: this.counts.unknown,
      working: this.counts.working,
      queued: this.counts.queued,
      currentFiles,
      imagesPerMinute: Math.round(this.throughput.perMinute() * 10) / 10,
      etaSeconds: this.state === 'running' ? this.throughput.etaSeconds(remaining) : null,
    }
  }

  /** Resolves when the current batch finishes (or at once when there is none running). */
  whenFinished(): Promise<BatchProgress> {
    if (this.state === 'finished' || this.state === 'idle' || this.haltSettled()) return Promise.resolve(this.progress())
    return new Promise((resolve) => this.finishWaiters.push(() => resolve(this.progress())))
  }

  // ---- building the queue -------------------------------------------------------------------

  /**
   * Scans `paths` and queues every image found (each file once, even if dropped twice). Items
   * arrive through onItems while the scan runs; the promise resolves with how many were added.
   * After a finished batch, this starts a new one.
   */
  async addPaths(paths: readonly string[]): Promise<{ added: number }> {
    this.assertNotShutDown()
    if (this.state === 'cancelling') throw new KoutuError('batch.busy', 'The batch is being cancelled; try again in a moment.')
    if (this.state === 'finished') this.reset()
    const batch = this.batch ?? this.createBatch(paths)
    batch.journal.append({ type: 'paths', paths: paths.map((given) => path.resolve(given)) })
    const controller = new AbortController()
    this.scans.add(controller)
    if (this.state === 'idle') this.setState('scanning')
    let added = 0
    try {
      const scan = scanPaths(paths, {
        recursive: batch.snapshot.recursive,
        isOwnOutput: ownOutputMatcher([batch.snapshot.outputSuffix, DEFAULT_SETTINGS.outputSuffix, ...(this.options.otherOutputSuffixes ?? [])]),
        excludeFolders: batch.snapshot.outputRoot === null ? [] : [batch.snapshot.outputRoot],
        signal: controller.signal,
      })
      for await (const chunk of scan) added += this.acceptChunk(batch, chunk)
    } catch (error) {
      if (!controller.signal.aborted) throw error
    } finally {
      this.scans.delete(controller)
      if (this.scans.size === 0) {
        if (this.state === 'scanning') this.setState('idle')
        for (const waiter of this.scanIdleWaiters.splice(0)) waiter()
        this.pump()
      }
    }
    return { added }
  }

  private createBatch(paths: readonly string[]): CurrentBatch {
    const snapshot = snapshotSettings(this.options.settings())
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
    const now = new Date(this.clock.now())
    const id = newBatchId(now)
    const journal = JournalWriter.create(
      this.options.journalDir,
      {
        type: 'batch',
        v: JOURNAL_VERSION,
        id,
        at: now.toISOString(),
        pid: process.pid,
        host: os.hostname(),
        origin: this.options.origin ?? 'app',
        settings: snapshot,
      },
      this.options.logger,
    )
    pruneJournals(this.options.journalDir, this.options.keepJournals ?? 50, new Set([journal.filePath]), this.options.logger)
    this.batch = { id, snapshot, journal, planner: new OutputPlanner(layout), layout }
    this.options.logger.info('batch created', { batchId: id, engine: snapshot.engine })
    return this.batch
  }

  private acceptChunk(batch: CurrentBatch, chunk: ScanChunk): number {
    const fresh: Entry[] = []
    const tuples: QueuedTuple[] = []
    for (const file of chunk.files) {
      if (this.byKey.has(file.key)) continue
      const entry = this.newEntry(file.inputPath, file.key, file.base)
      batch.planner.addOriginal(file.inputPath)
      batch.planner.addOriginal(file.key)
      fresh.push(entry)
      tuples.push(file.key === file.inputPath ? [entry.item.id, file.inputPath, file.base] : [entry.item.id, file.inputPath, file.base, file.key])
    }
    const problems: Array<{ entry: Entry; status: 'skipped' | 'failed'; error: KoutuError }> = []
    for (const problem of chunk.problems) {
      const key = `problem:${problem.inputPath}`
      if (this.byKey.has(key)) continue
      const entry = this.newEntry(problem.inputPath, key, path.dirname(problem.inputPath))
      fresh.push(entry)
      tuples.push([entry.item.id, problem.inputPath, entry.base, key])
      problems.push({ entry, status: problem.status, error: problem.error })
    }
    for (const temp of chunk.staleTemps) void removeStaleTemp(temp, this.options.logger)
    if (fresh.length === 0) return 0
    batch.journal.append({ type: 'queued', items: tuples }, { sync: true })
    for (const entry of fresh) {
      this.counts.queued += 1
      if (!problems.some((problem) => problem.entry === entry)) this.enqueue(entry.item.id)
    }
    this.emitItems(fresh)
    for (const problem of problems) this.finishItem(problem.entry, problem.status, { error: serializeError(problem.error) })
    this.progressCoalescer.request()
    this.pump()
    return fresh.length
  }

  private newEntry(inputPath: string, key: string, base: string): Entry {
    const id = this.entries.length + 1
    const entry: Entry = {
      item: { id, inputPath, name: path.basename(inputPath), folder: path.dirname(inputPath), status: 'queued' },
      key,
      base,
      attempts: 0,
    }
    this.entries.push(entry)
    this.byKey.set(key, id)
    return entry
  }

  private enqueue(id: number, front = false): void {
    if (front && this.queueHead > 0) {
      this.queueHead -= 1
      this.queue[this.queueHead] = id
    } else if (front) {
      this.queue.unshift(id)
    } else {
      this.queue.push(id)
    }
  }

  private nextQueued(): Entry | null {
    while (this.queueHead < this.queue.length) {
      const id = this.queue[this.queueHead]!
      this.queueHead += 1
      const entry = this.entries[id - 1]
      if (entry && entry.item.status === 'queued') return entry
    }
    if (this.queueHead > 0) {
      this.queue = []
      this.queueHead = 0
    }
    return null
  }

  // ---- running ------------------------------------------------------------------------------

  /**
   * Starts (or continues, after retryFailed) the batch. Resolves once work has begun; use
   * whenFinished() to wait for the end. With an engine that costs something, waits for the scan
   * to finish, asks `confirmCost` when the cost exceeds what is available or the configured
   * threshold, and rejects with `batch.cost-declined` when it is not confirmed.
   */
  async start(options: { confirmCost?: ConfirmCost } = {}): Promise<void> {
    this.assertNotShutDown()
    const batch = this.batch
    if (batch === null) throw new KoutuError('batch.invalid-options', 'There is nothing to process: add files or folders first.')
    if (this.starting || this.state === 'running' || this.state === 'paused' || this.state === 'cancelling') {
      throw new KoutuError('batch.busy', 'A batch is already running.')
    }
    if (this.state === 'finished') throw new KoutuError('batch.invalid-options', 'This batch has finished; add files to start a new one.')
    this.starting = true
    try {
      const settings = this.options.settings()
      const engine = await this.ensureEngine(batch)
      let estimate = await engine.estimateCost(this.counts.queued)
      if (estimate !== null) {
        await this.scansIdle()
        estimate = await engine.estimateCost(await this.countToProcess(batch))
      }
      if (estimate !== null && estimate.needed > 0) {
        const reason: CostPrompt['reason'] | null =
          estimate.available !== null && estimate.needed > estimate.available
            ? 'exceeds-available'
            : estimate.needed > settings.costConfirmThreshold
              ? 'exceeds-threshold'
              : null
        if (reason !== null) {
          const prompt: CostPrompt = { needed: estimate.needed, available: estimate.available, threshold: settings.costConfirmThreshold, reason }
          const confirmed = options.confirmCost ? await options.confirmCost(prompt) : false
          if (!confirmed) {
            await this.closeEngine()
            throw new KoutuError('batch.cost-declined', `The batch needs ${estimate.needed} credits and was not confirmed.`, {
              detail: { needed: estimate.needed, available: estimate.available ?? -1, reason },
            })
          }
        }
      }
      this.concurrency = this.concurrencyFor(batch.snapshot, engine, settings)
      this.throughput.begin()
      this.starting = false
      this.setState('running')
      this.options.logger.info('batch started', { batchId: batch.id, queued: this.counts.queued, concurrency: this.concurrency })
      this.pump()
    } finally {
      this.starting = false
    }
  }

  /** Stops taking new files; files in flight finish (a remote file in flight may already cost a credit). */
  pause(): void {
    if (this.state !== 'running') return
    this.setState('paused')
  }

  resume(): void {
    if (this.state !== 'paused') return
    this.halted = null
    this.throughput.begin()
    this.setState('running')
    this.pump()
  }

  /**
   * Ends the batch: stops the scan, aborts files in flight (they return to `queued`), and
   * records the batch as cancelled. Resolves when everything has stopped.
   */
  async cancel(): Promise<void> {
    if (this.batch === null || this.state === 'finished' || this.state === 'cancelling') return this.whenFinished().then(() => undefined)
    this.setState('cancelling')
    for (const scan of this.scans) scan.abort()
    for (const controller of this.inFlight.values()) controller.abort()
    this.checkFinished()
    await this.whenFinished()
  }

  /**
   * Puts failed files (and, only when asked, files with an unknown outcome) back in the queue.
   * During a run they are picked up at once; after a finished batch call start() again.
   * Returns how many were requeued.
   */
  retryFailed(options: { includeUnknown?: boolean } = {}): number {
    const batch = this.batch
    if (batch === null || this.state === 'cancelling') return 0
    const ids: number[] = []
    for (const entry of this.entries) {
      const status = entry.item.status
      if (status === 'failed' || (status === 'unknown' && options.includeUnknown === true)) {
        if (entry.key.startsWith('problem:')) continue
        ids.push(entry.item.id)
      }
    }
    if (ids.length === 0) return 0
    if (this.state === 'finished') {
      batch.journal = JournalWriter.reopen(batch.journal.filePath, this.options.logger, new Date(this.clock.now()))
      this.setState('idle')
    }
    batch.journal.append({ type: 'requeued', ids, at: this.isoNow() }, { sync: true })
    for (const id of ids) {
      const entry = this.entries[id - 1]!
      entry.attempts = 0
      this.changeStatus(entry, 'queued', {})
      this.enqueue(id)
    }
    this.pump()
    return ids.length
  }

  /**
   * Stops everything for an app quit or a Ctrl-C: files in flight are aborted and return to the
   * queue, and the journal is left without an end, so the batch is offered for resuming. The
   * service then only answers queries (items, progress, reports).
   */
  async shutdown(): Promise<void> {
    this.shuttingDown = true
    for (const scan of this.scans) scan.abort()
    const wasActive = this.state === 'running' || this.state === 'paused'
    if (wasActive) this.setState('cancelling')
    for (const controller of this.inFlight.values()) controller.abort()
    while (this.inFlight.size > 0) await new Promise((resolve) => setTimeout(resolve, 10))
    await this.closeEngine()
    this.batch?.journal.close()
    this.progressCoalescer.dispose()
    this.state = 'idle'
    for (const waiter of this.finishWaiters.splice(0)) waiter()
  }

  private concurrencyFor(snapshot: BatchSettingsSnapshot, engine: CutoutEngine, settings: Settings): number {
    const extra = engine.extraInFlight ?? 0
    if (snapshot.engine === 'local') return (settings.localConcurrency > 0 ? settings.localConcurrency : Math.max(1, engine.defaultConcurrency)) + extra
    return settings.remoteConcurrency + extra
  }

  private async countToProcess(batch: CurrentBatch): Promise<number> {
    if (batch.layout.onConflict !== 'skip') return this.counts.queued
    let count = 0
    for (const entry of this.entries) {
      if (entry.item.status !== 'queued') continue
      const exists = await fs.lstat(baseOutputPath({ inputPath: entry.item.inputPath, base: entry.base }, batch.layout)).then(
        () => true,
        () => false,
      )
      if (!exists) count += 1
    }
    return count
  }

  private scansIdle(): Promise<void> {
    if (this.scans.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.scanIdleWaiters.push(resolve))
  }

  private ensureEngine(batch: CurrentBatch): Promise<CutoutEngine> {
    if (this.engine === null) {
      const created = Promise.resolve().then(() => this.options.createEngine(batch.snapshot))
      this.engine = created
      created.catch(() => {
        if (this.engine === created) this.engine = null
      })
    }
    return this.engine
  }

  private async closeEngine(): Promise<void> {
    const engine = this.engine
    this.engine = null
    if (engine === null) return
    try {
      await (await engine).close()
    } catch (error) {
      this.options.logger.warn('closing the engine failed', { error: String(error) })
    }
  }

  /** See [Note: engine crashes]. Only the first report of a crash of one engine restarts it. */
  private restartEngine(generation: number): void {
    if (generation !== this.engineGeneration) return
    this.engineGeneration += 1
    this.options.logger.warn('the engine crashed; starting a new one')
    void this.closeEngine()
  }

  private pump(): void {
    if (this.state === 'running' && this.batch !== null && !this.shuttingDown) {
      while (this.inFlight.size < this.concurrency) {
        const entry = this.nextQueued()
        if (entry === null) break
        this.inFlight.set(entry.item.id, new AbortController())
        void this.runItem(this.batch, entry)
      }
    }
    this.checkFinished()
  }

  private async runItem(batch: CurrentBatch, entry: Entry): Promise<void> {
    const controller = this.inFlight.get(entry.item.id)!
    const generation = this.engineGeneration
    entry.attempts += 1
    this.changeStatus(entry, 'working', {})
    batch.journal.append({ type: 'started', id: entry.item.id, at: this.isoNow() })
    try {
      const outcome = await processPhoto(
        { itemId: entry.item.id, inputPath: entry.item.inputPath, base: entry.base },
        {
          decider: batch.planner,
          engine: () => this.ensureEngine(batch),
          options: outputOptionsOf(batch.snapshot),
          signal: controller.signal,
          plan: (task) => {
            const planned = this.planning.then(task)
            this.planning = planned.catch(() => undefined)
            return planned
          },
          onCommit: (outputPath) => batch.journal.append({ type: 'commit', id: entry.item.id, outputPath }),
        },
      )
      if (outcome.status === 'skipped') {
        this.finishItem(entry, 'skipped', { outputPath: outcome.outputPath, error: serializeError(outcome.error) })
        return
      }
      const notes = entry.attempts > 1 ? { ...outcome.notes, attempts: String(entry.attempts) } : outcome.notes
      this.finishItem(entry, 'done', { outputPath: outcome.outputPath, notes, ...(outcome.flags ? { flags: outcome.flags } : {}) })
    } catch (error) {
      this.handleFailure(batch, entry, controller, generation, error)
    } finally {
      this.inFlight.delete(entry.item.id)
      this.pump()
    }
  }

  private handleFailure(batch: CurrentBatch, entry: Entry, controller: AbortController, generation: number, error: unknown): void {
    const verdict = classifyFailure(error, { aborted: controller.signal.aborted, attempts: entry.attempts })
    if (verdict.action === 'requeue' || verdict.action === 'halt') {
      // Cancelled, shut down or halted: the file simply was not done.
      batch.journal.append({ type: 'requeued', ids: [entry.item.id], at: this.isoNow() })
      entry.attempts = Math.max(0, entry.attempts - 1)
      this.changeStatus(entry, 'queued', {})
      this.enqueue(entry.item.id, true)
      if (verdict.action === 'halt') this.halt(serializeError(error))
      return
    }
    if (verdict.action === 'retry-on-fresh-engine') {
      this.restartEngine(generation)
      this.options.logger.warn('retrying a file after an engine crash', { file: entry.item.inputPath })
      batch.journal.append({ type: 'requeued', ids: [entry.item.id], at: this.isoNow() })
      this.changeStatus(entry, 'queued', {})
      this.enqueue(entry.item.id, true)
      return
    }
    if (verdict.engineCrashed) this.restartEngine(generation)
    const serialized = serializeError(error)
    if (serialized.code === 'internal.unexpected') {
      this.options.logger.error('unexpected failure on a file', { file: entry.item.inputPath, error: serialized.message })
    }
    this.finishItem(entry, verdict.action, { error: serialized })
  }

  private finishItem(
    entry: Entry,
    status: 'done' | 'skipped' | 'failed' | 'unknown',
    facts: ItemFacts,
  ): void {
    this.batch?.journal.append({ type: 'outcome', id: entry.item.id, status, at: this.isoNow(), ...facts })
    // Skips are instant; counting them would make the pace (and the ETA) a fiction.
    if (entry.item.status === 'working' && status !== 'skipped') this.throughput.record()
    this.changeStatus(entry, status, facts)
    if (status === 'failed' || status === 'unknown') {
      this.options.logger.warn(`file ${status}`, { file: entry.item.inputPath, code: facts.error?.code, reason: facts.error?.message })
    } else {
      this.options.logger.debug(`file ${status}`, { file: entry.item.inputPath, output: facts.outputPath })
    }
  }

  private changeStatus(
    entry: Entry,
    status: ItemStatus,
    facts: ItemFacts,
  ): void {
    const item = entry.item
    this.counts[item.status] -= 1
    this.counts[status] += 1
    item.status = status
    if (facts.outputPath !== undefined) item.outputPath = facts.outputPath
    if (status === 'queued' || status === 'working' || status === 'done') delete item.error
    if (facts.error !== undefined) item.error = facts.error
    if (facts.notes !== undefined) item.notes = facts.notes
    // A new outcome replaces the old one's flags and hand edits; a revision says what it keeps.
    if (facts.flags !== undefined) item.flags = facts.flags
    else if (status !== 'done') delete item.flags
    if (facts.touchedUp === true) item.touchedUp = true
    else if (facts.touchedUp === false || status !== 'done') delete item.touchedUp
    const change: ItemStatusChange = { id: item.id, status }
    if (item.outputPath !== undefined) change.outputPath = item.outputPath
    if (item.error !== undefined) change.error = item.error
    if (item.notes !== undefined) change.notes = item.notes
    if (item.flags !== undefined) change.flags = item.flags
    if (item.touchedUp !== undefined) change.touchedUp = item.touchedUp
    for (const listener of this.statusListeners) this.safely(() => listener(structuredClone(change)))
    this.progressCoalescer.request()
  }

  /** See [Note: engine halts]. */
  private halt(error: SerializedError): void {
    const first = this.halted === null
    this.halted = error
    if (this.state === 'running') this.setState('paused')
    if (!first) return
    this.options.logger.warn('batch halted by the engine', { code: error.code, reason: error.message, queued: this.counts.queued })
    for (const listener of this.haltListeners) this.safely(() => listener(structuredClone(error)))
  }

  /** A halted batch with nothing in flight: whenFinished() waiters are released. */
  private haltSettled(): boolean {
    return this.halted !== null && this.state === 'paused' && this.inFlight.size === 0
  }

  private checkFinished(): void {
    if (this.haltSettled()) for (const waiter of this.finishWaiters.splice(0)) waiter()
    if (this.batch === null || this.inFlight.size > 0 || this.shuttingDown) return
    if (this.state === 'cancelling') {
      if (this.scans.size === 0) void this.finish('cancelled')
      return
    }
    if (this.state === 'running' && this.scans.size === 0 && this.counts.queued === 0 && !this.starting) void this.finish('finished')
  }

  private async finish(reason: 'finished' | 'cancelled'): Promise<void> {
    const batch = this.batch!
    this.setState('finished')
    batch.journal.append({ type: 'end', at: this.isoNow(), reason }, { sync: true })
    batch.journal.close()
    this.options.logger.info(`batch ${reason}`, { batchId: batch.id, ...this.counts })
    await this.closeEngine()
    for (const waiter of this.finishWaiters.splice(0)) waiter()
  }

  private reset(): void {
    this.batch = null
    this.halted = null
    this.entries = []
    this.byKey.clear()
    this.queue = []
    this.queueHead = 0
    for (const key of Object.keys(this.counts) as ItemStatus[]) this.counts[key] = 0
    this.state = 'idle'
  }

  /**
   * Records that a done item's output was replaced outside a run: edited by hand in the touch-up
   * editor (`touchedUp`), or redone with another engine (new flags and notes). Journalled, so
   * reports and a later session see it. Returns false for an item that is not done.
   */
  reviseItem(id: number, revision: { outputPath: string; touchedUp: boolean; flags?: QualityFlag[]; notes?: Record<string, string> }): boolean {
    const entry = this.entries[id - 1]
    const batch = this.batch
    if (!entry || !batch || entry.item.status !== 'done') return false
    const at = this.isoNow()
    // `revised` changes with every revision, so views know the file behind the path changed.
    const notes = { ...(revision.notes ?? entry.item.notes ?? {}), revised: at }
    const record = { type: 'revised' as const, id, at, ...revision, notes }
    if (batch.journal.isOpen) batch.journal.append(record, { sync: true })
    else JournalWriter.appendClosed(batch.journal.filePath, record)
    this.changeStatus(entry, 'done', { ...revision, notes })
    return true
  }

  // ---- crash recovery and reports -----------------------------------------------------------

  /** The most recent batch that stopped without finishing and still has work left, if any. */
  interruptedBatch(): InterruptedBatch | null {
    const found = this.findInterrupted()
    if (found === null) return null
    const { journal, remaining } = found
    return {
      batchId: journal.header.id,
      paths: journal.paths,
      settings: journal.header.settings,
      createdAt: journal.header.at,
      engine: journal.header.settings.engine,
      total: journal.items.size,
      finished: journal.items.size - remaining,
      remaining,
    }
  }

  private findInterrupted(batchId?: string): { journal: ReplayedJournal; remaining: number } | null {
    for (const file of listJournals(this.options.journalDir)) {
      if (file === this.batch?.journal.filePath) continue
      if (lastRecord(file)?.type === 'end') continue
      let journal: ReplayedJournal
      try {
        journal = readJournal(file)
      } catch (error) {
        this.options.logger.warn('skipping an unreadable batch journal', { file, error: String(error) })
        continue
      }
      if (batchId !== undefined && journal.header.id !== batchId) continue
      if (journal.end !== null) continue
      if (isJournalLive(file, journal.lastRun, isProcessAlive)) continue
      let remaining = 0
      for (const item of journal.items.values()) if (item.status === 'queued' || item.status === 'working') remaining += 1
      if (remaining > 0) return { journal, remaining }
    }
    return null
  }

  /**
   * Loads an interrupted batch (the most recent, or `batchId`) back into the queue with the
   * settings it was started with: finished files keep their outcome, files that were in flight
   * are recovered from their commit record, requeued (local engine) or marked unknown (remote).
   * Call start() to continue. Returns the number of files still to do.
   */
  async resumeInterrupted(batchId?: string): Promise<{ batchId: string; remaining: number } | null> {
    this.assertNotShutDown()
    if (this.batch !== null && this.state !== 'finished') {
      throw new KoutuError('batch.busy', 'Finish or cancel the current batch before resuming another.')
    }
    const found = this.findInterrupted(batchId)
    if (found === null) return null
    this.reset()
    const { journal } = found
    const snapshot = journal.header.settings
    const layout: OutputLayout = {
      suffix: snapshot.outputSuffix,
      format: snapshot.outputFormat,
      outputRoot: snapshot.outputRoot,
      onConflict: snapshot.onConflict,
    }
    const writer = JournalWriter.reopen(journal.filePath, this.options.logger, new Date(this.clock.now()))
    const batch: CurrentBatch = { id: journal.header.id, snapshot, journal: writer, planner: new OutputPlanner(layout), layout }
    this.batch = batch
    const ordered = [...journal.items.values()].sort((a, b) => a.id - b.id)
    const recovered: Array<{ entry: Entry; status: 'done' | 'unknown'; outputPath?: string }> = []
    for (const saved of ordered) {
      // Ids are dense from 1; keep them so the journal's records keep pointing at the right file.
      while (this.entries.length < saved.id - 1) {
        const filler = this.newEntry(`(missing ${this.entries.length + 1})`, `missing:${this.entries.length + 1}`, '')
        filler.item.status = 'skipped'
        this.counts.skipped += 1
      }
      const entry = this.newEntry(saved.inputPath, saved.key, saved.base)
      if (!saved.key.startsWith('problem:')) {
        batch.planner.addOriginal(saved.inputPath)
        batch.planner.addOriginal(saved.key)
      }
      entry.item.status = saved.status === 'working' ? 'queued' : saved.status
      if (saved.outputPath !== undefined) entry.item.outputPath = saved.outputPath
      if (saved.error !== undefined) entry.item.error = saved.error
      if (saved.notes !== undefined) entry.item.notes = saved.notes
      if (saved.flags !== undefined) entry.item.flags = saved.flags
      if (saved.touchedUp === true) entry.item.touchedUp = true
      this.counts[entry.item.status] += 1
      if (saved.outputPath !== undefined && (saved.status === 'done' || saved.status === 'skipped')) {
        batch.planner.reserve(saved.outputPath, saved.id)
      }
      if (saved.status === 'working') {
        const committed = saved.committedPath
        const published = committed !== undefined && (await fs.lstat(committed).then(() => true, () => false))
        if (published && snapshot.onConflict !== 'overwrite') {
          batch.planner.reserve(committed, saved.id)
          recovered.push({ entry, status: 'done', outputPath: committed })
        } else if (snapshot.engine !== 'local') {
          recovered.push({ entry, status: 'unknown' })
        } else {
          this.enqueue(saved.id)
        }
      } else if (saved.status === 'queued') {
        this.enqueue(saved.id)
      }
    }
    this.emitItems(this.entries)
    for (const { entry, status, outputPath } of recovered) {
      if (status === 'done') {
        this.finishItem(entry, 'done', { outputPath: outputPath!, notes: { recovered: 'true' } })
      } else {
        this.finishItem(entry, 'unknown', {
          error: serializeError(
            new KoutuError('aipic.outcome-unknown', 'The app stopped while this file was being processed remotely; it may have been charged.', {
              detail: { outcomeUnknown: true },
            }),
          ),
        })
      }
    }
    this.options.logger.info('resuming an interrupted batch', { batchId: batch.id, remaining: this.counts.queued })
    this.progressCoalescer.flush()
    return { batchId: batch.id, remaining: this.counts.queued }
  }

  /** Marks an interrupted batch as not to be resumed (it stays in the reports). */
  dismissInterrupted(batchId: string): boolean {
    const found = this.findInterrupted(batchId)
    if (found === null) return false
    const writer = JournalWriter.reopen(found.journal.filePath, this.options.logger, new Date(this.clock.now()))
    writer.append({ type: 'end', at: this.isoNow(), reason: 'dismissed' }, { sync: true })
    writer.close()
    return true
  }

  /** Reports of the last `limit` batches, newest first, read from their journals. */
  reports(limit = 20): BatchReport[] {
    const reports: BatchReport[] = []
    for (const file of listJournals(this.options.journalDir)) {
      if (reports.length >= limit) break
      try {
        const journal = readJournal(file)
        const live = journal.end === null && file === this.batch?.journal.filePath && this.batch.journal.isOpen
        reports.push(toBatchReport(journal, live, PROBLEMS_IN_REPORT))
      } catch (error) {
        this.options.logger.warn('skipping an unreadable batch journal', { file, error: String(error) })
      }
    }
    return reports
  }

  // ---- plumbing -----------------------------------------------------------------------------

  /** After shutdown() the service only answers queries (its journal is closed). */
  private assertNotShutDown(): void {
    if (this.shuttingDown) throw new KoutuError('batch.busy', 'The batch service has shut down.')
  }

  private setState(state: BatchState): void {
    if (this.state === state) return
    this.state = state
    this.progressCoalescer.flush()
  }

  private emitItems(entries: readonly Entry[]): void {
    if (entries.length === 0 || this.itemsListeners.size === 0) return
    const items = entries.map((entry) => structuredClone(entry.item))
    for (const listener of this.itemsListeners) this.safely(() => listener(items))
  }

  private emitProgress(): void {
    if (this.progressListeners.size === 0) return
    const progress = this.progress()
    for (const listener of this.progressListeners) this.safely(() => listener(progress))
  }

  /** A listener that throws must not break the batch. */
  private safely(call: () => void): void {
    try {
      call()
    } catch (error) {
      this.options.logger.error('a batch event listener threw', { error: String(error) })
    }
  }

  private isoNow(): string {
    return new Date(this.clock.now()).toISOString()
  }
}

/** For callers that want to know which codes the batch itself produces. */
export type BatchErrorCode = Extract<ErrorCode, `batch.${string}`>
