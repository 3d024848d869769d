/**
 * The batch journal: one append-only JSON-lines file per batch in the user data folder
 * (`userDataLayout(dir).journalDir/batch-<id>.jsonl`). It records what was queued, when each
 * file started, the output path just before it is published, and each file's outcome, so that
 * after a crash or a quit the batch can be resumed without redoing finished files, and so the
 * last batches can be shown as reports.
 *
 * [Note: journal durability] Lines are written synchronously with one write() each, so a killed
 * process loses at most the line being written (the reader ignores a torn last line). The file is
 * fsync'd when a batch starts or ends, after each chunk of queued files, and at most once a second
 * while outcomes arrive: after a power cut at most the last second of outcomes is lost, and those
 * files are recognised on resume by their `commit` record and the output on disk.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { KoutuError, type SerializedError } from '../../shared/errors'
import type { Logger } from '../../shared/logger'
import type { BatchSettingsSnapshot, ItemStatus, QualityFlag } from '../../shared/batch'

export type { BatchSettingsSnapshot } from '../../shared/batch'

export const JOURNAL_VERSION = 1

/** A queued file: [id, inputPath, base, key] (key omitted when equal to inputPath). */
export type QueuedTuple = [number, string, string] | [number, string, string, string]

export type JournalRecord =
  | { type: 'batch'; v: number; id: string; at: string; pid: number; host: string; origin: string; settings: BatchSettingsSnapshot }
  | { type: 'run'; at: string; pid: number; host: string }
  | { type: 'paths'; paths: string[] }
  | { type: 'queued'; items: QueuedTuple[] }
  | { type: 'started'; id: number; at: string }
  | { type: 'commit'; id: number; outputPath: string }
  | {
      type: 'outcome'
      id: number
      status: Exclude<ItemStatus, 'queued' | 'working'>
      at: string
      outputPath?: string
      error?: SerializedError
      notes?: Record<string, string>
      flags?: QualityFlag[]
    }
  /** The output was edited by hand (touch-up editor) or replaced by a redo. */
  | { type: 'revised'; id: number; at: string; outputPath: string; touchedUp: boolean; flags?: QualityFlag[]; notes?: Record<string, string> }
  | { type: 'requeued'; ids: number[]; at: string }
  | { type: 'end'; at: string; reason: 'finished' | 'cancelled' | 'dismissed' }

const FILE_PATTERN = /^batch-(.+)\.jsonl$/

/** Journals this process holds open: a batch of our own pid is live only while it is here. */
const openJournals = new Set<string>()

/** True while some process (this one included) is still writing the journal. */
export function isJournalLive(filePath: string, lastRun: { pid: number; host: string }, alive: (pid: number) => boolean): boolean {
  if (lastRun.host !== os.hostname()) return false
  if (lastRun.pid === process.pid) return openJournals.has(filePath)
  return alive(lastRun.pid)
}

export function journalFileName(batchId: string): string {
  return `batch-${batchId}.jsonl`
}

/** A sortable, unique batch id: UTC time plus randomness. */
export function newBatchId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  return `${stamp}-${Math.random().toString(36).slice(2, 8)}`
}

/** Appends records to one journal file. */
export class JournalWriter {
  private dirty = false
  private syncTimer: NodeJS.Timeout | null = null
  private closed = false

  private constructor(
    readonly filePath: string,
    private readonly fd: number,
    private readonly logger: Logger,
  ) {
    openJournals.add(filePath)
  }

  /** Creates the journal of a new batch (and the journal folder). */
  static create(journalDir: string, header: Extract<JournalRecord, { type: 'batch' }>, logger: Logger): JournalWriter {
    fs.mkdirSync(journalDir, { recursive: true })
    const filePath = path.join(journalDir, journalFileName(header.id))
    const writer = new JournalWriter(filePath, fs.openSync(filePath, 'ax'), logger)
    writer.append(header)
    writer.sync()
    return writer
  }

  /**
   * Adds one record to a journal no writer holds (a finished batch's), without starting a run:
   * for edits made after the batch ended.
   */
  static appendClosed(filePath: string, record: JournalRecord): void {
    const fd = fs.openSync(filePath, 'a')
    try {
      fs.writeSync(fd, `${JSON.stringify(record)}\n`)
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  }

  /** Opens an existing journal to continue it (resume), marking the new run. */
  static reopen(filePath: string, logger: Logger, now: Date): JournalWriter {
    const writer = new JournalWriter(filePath, fs.openSync(filePath, 'a'), logger)
    writer.append({ type: 'run', at: now.toISOString(), pid: process.pid, host: os.hostname() })
    writer.sync()
    return writer
  }

  append(record: JournalRecord, options: { sync?: boolean } = {}): void {
    if (this.closed) return
    try {
      fs.writeSync(this.fd, `${JSON.stringify(record)}\n`)
    } catch (error) {
      // A journal that cannot be written must not stop the batch: the outputs are what matter.
      this.logger.error('could not write the batch journal', { file: this.filePath, error: String(error) })
      return
    }
    if (options.sync) this.sync()
    else this.scheduleSync()
  }

  /** False once closed. */
  get isOpen(): boolean {
    return !this.closed
  }

  /** Flushes to disk now. */
  sync(): void {
    if (this.closed) return
    if (this.syncTimer) clearTimeout(this.syncTimer)
    this.syncTimer = null
    this.dirty = false
    try {
      fs.fsyncSync(this.fd)
    } catch (error) {
      this.logger.warn('could not flush the batch journal', { file: this.filePath, error: String(error) })
    }
  }

  close(): void {
    if (this.closed) return
    this.sync()
    this.closed = true
    openJournals.delete(this.filePath)
    fs.closeSync(this.fd)
  }

  private scheduleSync(): void {
    this.dirty = true
    if (this.syncTimer) return
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null
      if (this.dirty && !this.closed) {
        this.dirty = false
        fs.fsync(this.fd, (error) => {
          if (error) this.logger.warn('could not flush the batch journal', { file: this.filePath, error: String(error) })
        })
      }
    }, 1000)
    this.syncTimer.unref()
  }
}

/** The state of one item rebuilt from a journal. */
export interface JournalItem {
  id: number
  inputPath: string
  base: string
  key: string
  status: ItemStatus
  /** Started in the last run but no outcome was recorded. */
  interruptedWhileWorking: boolean
  /** Output path recorded just before publishing (see [Note: journal durability]). */
  committedPath?: string
  outputPath?: string
  error?: SerializedError
  notes?: Record<string, string>
  flags?: QualityFlag[]
  touchedUp?: boolean
}

/** A journal replayed into the state it describes. */
export interface ReplayedJournal {
  filePath: string
  header: Extract<JournalRecord, { type: 'batch' }>
  /** The dropped paths, in order, each once. */
  paths: string[]
  items: Map<number, JournalItem>
  /** Pid and host of the process that ran it last. */
  lastRun: { pid: number; host: string }
  end: Extract<JournalRecord, { type: 'end' }> | null
  lastActivityAt: string
  /** Sum over runs of the time from the first start to the last outcome. */
  activeMs: number
  /** Lines that could not be parsed (a torn last line after a kill is normal). */
  skippedLines: number
}

/** Reads and replays one journal file. Throws `batch.journal-unreadable` if it has no header. */
export function readJournal(filePath: string): ReplayedJournal {
  const text = fs.readFileSync(filePath, 'utf8')
  let header: Extract<JournalRecord, { type: 'batch' }> | null = null
  const items = new Map<number, JournalItem>()
  const paths = new Set<string>()
  let end: ReplayedJournal['end'] = null
  let lastRun = { pid: 0, host: '' }
  let lastActivityAt = ''
  let skippedLines = 0
  let activeMs = 0
  let runFirst: number | null = null
  let runLast: number | null = null
  const closeRun = (): void => {
    if (runFirst !== null && runLast !== null) activeMs += Math.max(0, runLast - runFirst)
    runFirst = null
    runLast = null
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    let record: JournalRecord
    try {
      record = JSON.parse(line) as JournalRecord
    } catch {
      skippedLines += 1
      continue
    }
    if ('at' in record && typeof record.at === 'string') lastActivityAt = record.at
    switch (record.type) {
      case 'batch':
        header = record
        lastRun = { pid: record.pid, host: record.host }
        break
      case 'run':
        // A finished batch can be reopened (retry failed): a new run supersedes the old end.
        end = null
        closeRun()
        lastRun = { pid: record.pid, host: record.host }
        for (const item of items.values()) {
          if (item.status === 'working') item.interruptedWhileWorking = true
        }
        break
      case 'paths':
        for (const dropped of record.paths) paths.add(dropped)
        break
      case 'queued':
        for (const [id, inputPath, base, key] of record.items) {
          items.set(id, { id, inputPath, base, key: key ?? inputPath, status: 'queued', interruptedWhileWorking: false })
        }
        break
      case 'started': {
        const item = items.get(record.id)
        if (item) {
          item.status = 'working'
          item.interruptedWhileWorking = false
          delete item.committedPath
        }
        const at = Date.parse(record.at)
        if (runFirst === null) runFirst = at
        runLast = Math.max(runLast ?? at, at)
        break
      }
      case 'commit': {
        const item = items.get(record.id)
        if (item) item.committedPath = record.outputPath
        break
      }
      case 'outcome': {
        const item = items.get(record.id)
        if (item) {
          item.status = record.status
          item.interruptedWhileWorking = false
          if (record.outputPath !== undefined) item.outputPath = record.outputPath
          if (record.error !== undefined) item.error = record.error
          else delete item.error
          if (record.notes !== undefined) item.notes = record.notes
          if (record.flags !== undefined) item.flags = record.flags
          else delete item.flags
          delete item.touchedUp
        }
        const at = Date.parse(record.at)
        if (runFirst !== null) runLast = Math.max(runLast ?? at, at)
        break
      }
      case 'revised': {
        const item = items.get(record.id)
        if (item) {
          item.outputPath = record.outputPath
          if (record.touchedUp) item.touchedUp = true
          else delete item.touchedUp
          if (record.flags !== undefined) item.flags = record.flags
          if (record.notes !== undefined) item.notes = record.notes
        }
        break
      }
      case 'requeued':
        end = null
        for (const id of record.ids) {
          const item = items.get(id)
          if (item) {
            item.status = 'queued'
            delete item.error
          }
        }
        break
      case 'end':
        end = record
        break
    }
  }
  closeRun()
  if (header === null) {
    throw new KoutuError('batch.journal-unreadable', `${filePath} is not a batch journal.`, { detail: { file: filePath } })
  }
  for (const item of items.values()) {
    if (item.status === 'working') item.interruptedWhileWorking = true
  }
  return { filePath, header, paths: [...paths], items, lastRun, end, lastActivityAt: lastActivityAt || header.at, activeMs, skippedLines }
}

/**
 * The last complete record of a journal, read from its tail only: lets the search for an
 * interrupted batch pass over finished ones (which end with an `end` record) without replaying
 * journals of 100,000 files.
 */
export function lastRecord(filePath: string): JournalRecord | null {
  let fd: number
  try {
    fd = fs.openSync(filePath, 'r')
  } catch {
    return null
  }
  try {
    const size = fs.fstatSync(fd).size
    const length = Math.min(size, 64 * 1024)
    const buffer = Buffer.alloc(length)
    fs.readSync(fd, buffer, 0, length, size - length)
    const lines = buffer.toString('utf8').split('\n').filter((line) => line.trim() !== '')
    for (let index = lines.length - 1; index >= 0; index -= 1) {
      try {
        return JSON.parse(lines[index]!) as JournalRecord
      } catch {
        // a torn last line (or the cut first line of the tail): try the one before
      }
    }
    return null
  } finally {
    fs.closeSync(fd)
  }
}

/** Journal files in `journalDir`, newest first. */
export function listJournals(journalDir: string): string[] {
  let names: string[]
  try {
    names = fs.readdirSync(journalDir)
  } catch {
    return []
  }
  return names
    .filter((name) => FILE_PATTERN.test(name))
    .sort()
    .reverse()
    .map((name) => path.join(journalDir, name))
}

/** Deletes the oldest journals beyond `keep`, never one that is still open (`protect`). */
export function pruneJournals(journalDir: string, keep: number, protect: ReadonlySet<string>, logger: Logger): void {
  for (const file of listJournals(journalDir).slice(keep)) {
    if (protect.has(file)) continue
    try {
      fs.rmSync(file, { force: true })
    } catch (error) {
      logger.warn('could not delete an old batch journal', { file, error: String(error) })
    }
  }
}
