/**
 * Redoing chosen cutouts of a finished batch with another engine or model (the aipic service for
 * the few the local model got wrong, a larger local model…): the cost first, then each file
 * through the engine with the batch's own output options, written over the cutout or beside it,
 * and the queue item revised (new flags, notes, output path). Runs outside the batch's own run,
 * so it is refused while a batch is working.
 */
import path from 'node:path'
import type { BatchItem, BatchProgress, BatchSettingsSnapshot, QualityFlag } from '../../shared/batch'
import { KoutuError, serializeError } from '../../shared/errors'
import type { Logger } from '../../shared/logger'
import type { RedoEstimate, RedoOptions, RedoResult } from '../../shared/review'
import { writeFileAtomic, outputWriteError } from '../batch/atomic-write'
import { outputOptionsOf } from '../batch/batch-settings'
import type { CutoutEngine } from '../engine/types'
import { removeSidecars } from './touchup-service'

/** What the redo needs from the batch queue. */
export interface RedoQueue {
  item(id: number): BatchItem | null
  progress(): BatchProgress
  settingsSnapshot(): BatchSettingsSnapshot | null
  reviseItem(id: number, revision: { outputPath: string; touchedUp: boolean; flags?: QualityFlag[]; notes?: Record<string, string> }): boolean
}

export interface RedoServiceOptions {
  queue: RedoQueue
  /** The same factory the batch uses (see [Note: engine choice] in app-services.ts). */
  createEngine: (snapshot: BatchSettingsSnapshot) => CutoutEngine | Promise<CutoutEngine>
  logger: Logger
}

const BUSY_STATES = new Set(['scanning', 'running', 'paused', 'cancelling'])
/** Numbered names tried for "keep both" before giving up. */
const MAX_NUMBERED = 1000

export class RedoService {
  private running = false

  constructor(private readonly options: RedoServiceOptions) {}

  /** How many items would be redone, how many of them carry hand edits, and the engine's cost. */
  async estimate(itemIds: readonly number[], redo: Pick<RedoOptions, 'engine' | 'localModel'>): Promise<RedoEstimate> {
    const items = this.redoable(itemIds)
    const engine = await this.options.createEngine(this.snapshotFor(redo))
    try {
      const cost = await engine.estimateCost(items.length)
      return { count: items.length, touchedUp: items.filter((item) => item.touchedUp === true).length, cost }
    } finally {
      await engine.close().catch(() => undefined)
    }
  }

  /** Redoes the items; a file that fails is reported and the rest go on. */
  async redo(itemIds: readonly number[], redo: RedoOptions): Promise<RedoResult> {
    if (this.running) throw new KoutuError('batch.busy', 'A redo is already running.')
    const items = this.redoable(itemIds)
    const edited = items.filter((item) => item.touchedUp === true)
    if (edited.length > 0 && !redo.discardEdits) {
      throw new KoutuError('review.edits-would-be-lost', `${edited.length} of these cutouts were touched up by hand.`, {
        detail: { count: edited.length },
      })
    }
    const snapshot = this.snapshotFor(redo)
    this.running = true
    const engine = await Promise.resolve(this.options.createEngine(snapshot)).catch((error: unknown) => {
      this.running = false
      throw error
    })
    const result: RedoResult = { redone: 0, failed: [] }
    try {
      const queue = [...items]
      const worker = async (): Promise<void> => {
        for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
          try {
            await this.redoOne(engine, snapshot, item, redo)
            result.redone += 1
          } catch (error) {
            this.options.logger.warn('redo failed', { file: item.inputPath, error: String(error) })
            result.failed.push({ itemId: item.id, error: serializeError(error) })
          }
        }
      }
      await Promise.all(Array.from({ length: Math.max(1, Math.min(engine.defaultConcurrency, items.length)) }, worker))
    } finally {
      this.running = false
      await engine.close().catch(() => undefined)
    }
    this.options.logger.info('redo finished', { engine: snapshot.engine, model: snapshot.localModel, ...result, failed: result.failed.length })
    return result
  }

  private async redoOne(engine: CutoutEngine, snapshot: BatchSettingsSnapshot, item: BatchItem, redo: RedoOptions): Promise<void> {
    const current = item.outputPath!
    const made = await engine.process({ inputPath: item.inputPath, options: outputOptionsOf(snapshot) }, new AbortController().signal)
    let outputPath = current
    if (redo.output === 'replace') {
      await writeFileAtomic(current, made.data, { replace: true })
      await removeSidecars(current)
    } else {
      outputPath = await writeBeside(current, made.data)
    }
    const notes = { ...made.notes, redoneWith: snapshot.engine === 'local' ? snapshot.localModel : snapshot.engine }
    // A new batch started meanwhile reuses the ids: only the same file is revised.
    if (this.options.queue.item(item.id)?.inputPath !== item.inputPath) return
    this.options.queue.reviseItem(item.id, { outputPath, touchedUp: false, flags: made.flags ?? [], notes })
  }

  private redoable(itemIds: readonly number[]): BatchItem[] {
    if (BUSY_STATES.has(this.options.queue.progress().state)) {
      throw new KoutuError('batch.busy', 'Wait for the batch to finish (or cancel it) before redoing cutouts.')
    }
    const items: BatchItem[] = []
    for (const id of new Set(itemIds)) {
      const item = this.options.queue.item(id)
      if (item === null || item.status !== 'done' || item.outputPath === undefined) {
        throw new KoutuError('review.no-cutout', `Item ${id} has no finished cutout to redo.`, { detail: { itemId: id } })
      }
      items.push(item)
    }
    return items
  }

  private snapshotFor(redo: Pick<RedoOptions, 'engine' | 'localModel'>): BatchSettingsSnapshot {
    const snapshot = this.options.queue.settingsSnapshot()
    if (snapshot === null) throw new KoutuError('review.no-cutout', 'There is no batch to redo cutouts of.')
    return { ...snapshot, engine: redo.engine, ...(redo.localModel ? { localModel: redo.localModel } : {}) }
  }
}

/** Writes `data` as `<name> (n).<ext>` beside `outputPath`, with the first n that is free. */
async function writeBeside(outputPath: string, data: Uint8Array): Promise<string> {
  const folder = path.dirname(outputPath)
  const extension = path.extname(outputPath)
  const stem = path.basename(outputPath, extension).replace(/ \(\d+\)$/, '')
  for (let n = 2; n < MAX_NUMBERED; n++) {
    const candidate = path.join(folder, `${stem} (${n})${extension}`)
    if (await writeFileAtomic(candidate, data, { replace: false })) return candidate
  }
  throw outputWriteError(new Error('no free numbered name'), outputPath)
}
