/**
 * The batch service as the window sees it: forwards the service's events to the renderer in the
 * bridge's shapes (status changes batched per tick, a new batch announced as `queueReset` so the
 * renderer never mixes the ids of two batches), turns the service's `confirmCost` question into
 * a `costPrompt` event answered through `answerCostPrompt`, and lets the window clear a batch
 * that is not running (the list is hidden until the next batch; the journal keeps its record).
 *
 * It holds no queue of its own: every read goes to the BatchService.
 */
import type { BridgeEventName, BridgeEvents } from '../../shared/bridge'
import { IDLE_PROGRESS, type BatchItem, type BatchProgress, type CostPrompt, type ItemStatusChange } from '../../shared/batch'
import { KoutuError, type SerializedError } from '../../shared/errors'
import type { Logger } from '../../shared/logger'
import type { BatchService } from '../batch'

/** Sends a main-to-renderer event (webContents.send in the app). */
export type EmitEvent = <E extends BridgeEventName>(event: E, payload: BridgeEvents[E]) => void

/** How long status changes are gathered before one `itemStatusChanged` event goes out. */
const STATUS_FLUSH_MS = 30


export class QueueSession {
  private lastBatchId: string | null = null
  /** The batch the user cleared from the window; hidden until another batch replaces it. */
  private hiddenBatchId: string | null = null
  private statusBuffer: ItemStatusChange[] = []
  private statusTimer: NodeJS.Timeout | null = null
  private nextPromptId = 1
  private readonly prompts = new Map<number, (accepted: boolean) => void>()
  private readonly unsubscribers: Array<() => void>

  constructor(
    private readonly batch: BatchService,
    private readonly emit: EmitEvent,
    private readonly logger: Logger,
  ) {
    this.unsubscribers = [
      batch.onItems((items) => this.forwardItems(items)),
      batch.onItemStatus((change) => this.bufferStatus(change)),
      batch.onProgress((progress) => {
        if (this.hidden()) return
        // The summary must not run ahead of the rows: a "finished" batch whose last file still
        // reads "working" for 30 ms is a visible contradiction. Progress is coalesced by the
        // service, so this adds at most one status event per progress event.
        this.flushStatus()
        this.emit('batchProgress', progress)
      }),
      batch.onHalt((reason) => {
        this.flushStatus()
        this.emit('batchHalted', reason)
      }),
    ]
  }

  items(): BatchItem[] {
    return this.hidden() ? [] : this.batch.items()
  }

  /** An item of the batch shown in the window; null for unknown ids and for a cleared batch. */
  item(id: number): BatchItem | null {
    return this.hidden() ? null : this.batch.item(id)
  }

  progress(): BatchProgress {
    return this.hidden() ? IDLE_PROGRESS : this.batch.progress()
  }

  /** See [Note: engine halts] in src/main/batch/batch-service.ts. */
  haltReason(): SerializedError | null {
    return this.hidden() ? null : this.batch.haltReason()
  }

  async addPaths(paths: readonly string[]): Promise<{ accepted: number }> {
    const { added } = await this.batch.addPaths(paths)
    return { accepted: added }
  }

  async start(): Promise<void> {
    await this.batch.start({ confirmCost: (prompt) => this.askCost(prompt) })
  }

  pause(): void {
    this.batch.pause()
  }

  resume(): void {
    this.batch.resume()
  }

  async cancel(): Promise<void> {
    await this.batch.cancel()
  }

  /** Requeues failed files; after a finished batch that means starting it again. */
  async retryFailed(): Promise<void> {
    const requeued = this.batch.retryFailed()
    if (requeued > 0 && this.batch.progress().state === 'idle') await this.start()
  }

  /** Empties the window's list. A batch that is working must be cancelled first. */
  async clear(): Promise<void> {
    const state = this.batch.progress().state
    if (state === 'running' || state === 'paused' || state === 'cancelling') {
      throw new KoutuError('batch.busy', 'Cancel the batch before clearing the list.')
    }
    if (this.batch.batchId() === null) return
    // A batch that never started (or is still being scanned) is ended as cancelled, so its
    // journal is complete and it is not offered for resuming.
    if (state !== 'finished') await this.batch.cancel()
    this.hiddenBatchId = this.batch.batchId()
    this.emit('queueReset', null)
    this.emit('batchProgress', IDLE_PROGRESS)
  }

  answerCostPrompt(promptId: number, accepted: boolean): void {
    const answer = this.prompts.get(promptId)
    if (!answer) {
      throw new KoutuError('ipc.invalid-argument', `There is no open cost question ${promptId}.`, { detail: { promptId } })
    }
    this.prompts.delete(promptId)
    answer(accepted)
  }

  /** Loads the interrupted batch back into the queue and goes on with it. */
  async resumeInterrupted(): Promise<void> {
    const interrupted = this.batch.interruptedBatch()
    if (interrupted === null) return
    const resumed = await this.batch.resumeInterrupted(interrupted.batchId)
    this.announceBatch()
    if (resumed !== null && resumed.remaining > 0) await this.start()
  }

  dismissInterrupted(): void {
    const interrupted = this.batch.interruptedBatch()
    if (interrupted !== null) this.batch.dismissInterrupted(interrupted.batchId)
  }

  dispose(): void {
    for (const unsubscribe of this.unsubscribers) unsubscribe()
    if (this.statusTimer) clearTimeout(this.statusTimer)
    this.statusTimer = null
    // An unanswered question must not keep a batch waiting forever.
    for (const answer of this.prompts.values()) answer(false)
    this.prompts.clear()
  }

  private hidden(): boolean {
    return this.hiddenBatchId !== null && this.batch.batchId() === this.hiddenBatchId
  }

  private askCost(prompt: CostPrompt): Promise<boolean> {
    const promptId = this.nextPromptId++
    this.logger.info('asking the user to confirm a batch cost', { needed: prompt.needed, reason: prompt.reason })
    return new Promise<boolean>((resolve) => {
      this.prompts.set(promptId, resolve)
      this.emit('costPrompt', { ...prompt, promptId })
    })
  }

  /** A new batch (new ids): the renderer must read the queue again rather than append. */
  private announceBatch(): boolean {
    const id = this.batch.batchId()
    if (id === this.lastBatchId) return false
    this.flushStatus()
    this.lastBatchId = id
    this.emit('queueReset', null)
    return true
  }

  private forwardItems(items: BatchItem[]): void {
    if (this.announceBatch()) return
    this.flushStatus()
    this.emit('queueItemsAdded', items)
  }

  private bufferStatus(change: ItemStatusChange): void {
    this.statusBuffer.push(change)
    this.statusTimer ??= setTimeout(() => this.flushStatus(), STATUS_FLUSH_MS)
  }

  private flushStatus(): void {
    if (this.statusTimer) clearTimeout(this.statusTimer)
    this.statusTimer = null
    if (this.statusBuffer.length === 0) return
    const changes = this.statusBuffer
    this.statusBuffer = []
    this.emit('itemStatusChanged', changes)
  }
}
