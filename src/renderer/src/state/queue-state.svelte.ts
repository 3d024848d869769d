/**
 * The queue as the renderer holds it: every item (kept in a raw array, replaced on change, so
 * 10,000 items do not become 10,000 deep proxies), the status filter, the selected item, the
 * latest coalesced progress, and the two questions main may ask (an interrupted batch to resume,
 * a cost to confirm). Events from main are applied here; components only read and call actions.
 */
import type { CostPromptEvent } from '../../../shared/bridge'
import type { SerializedError } from '../../../shared/errors'
import type { UploadHostId } from '../../../shared/settings'
import type { BatchItem, BatchProgress, InterruptedBatch, ItemStatus, ItemStatusChange } from '../../../shared/batch'
import { IDLE_PROGRESS, ITEM_STATUSES } from '../../../shared/batch'
import { call, subscribe } from '../lib/bridge'

export type QueueFilter = 'all' | ItemStatus


/** A short notice after an action (files added, nothing found), shown once. */
export type QueueNotice = { kind: 'added'; count: number } | { kind: 'added-none' } | { kind: 'drop-nothing' }

/** How long a notice stays before it goes away by itself. */
const NOTICE_MS = 6000

type PendingEvent =
  | { kind: 'added'; items: BatchItem[] }
  | { kind: 'changed'; changes: ItemStatusChange[] }

function emptyCounts(): Record<ItemStatus, number> {
  return Object.fromEntries(ITEM_STATUSES.map((status) => [status, 0])) as Record<ItemStatus, number>
}

export class QueueState {
  #items = $state.raw<BatchItem[]>([])
  /** id -> position in #items; replaced together with #items, so it needs no reactivity of its own. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #index = new Map<number, number>()
  #progress = $state.raw<BatchProgress>(IDLE_PROGRESS)
  #filter = $state<QueueFilter>('all')
  #selectedId = $state<number | null>(null)
  #error = $state.raw<unknown>(null)
  #notice = $state.raw<QueueNotice | null>(null)
  #interrupted = $state.raw<InterruptedBatch | null>(null)
  #costPrompt = $state.raw<CostPromptEvent | null>(null)
  #halt = $state.raw<SerializedError | null>(null)
  #busy = $state(false)
  #loading = false
  #pending: PendingEvent[] = []
  #unsubscribers: (() => void)[] = []
  #noticeTimer: ReturnType<typeof setTimeout> | null = null

  #counts = $derived.by(() => {
    const counts = emptyCounts()
    for (const item of this.#items) counts[item.status] += 1
    return counts
  })
  #visible = $derived.by(() => {
    const filter = this.#filter
    return filter === 'all' ? this.#items : this.#items.filter((item) => item.status === filter)
  })

  get items(): readonly BatchItem[] {
    return this.#items
  }
  /** Items that pass the status filter, in queue order. */
  get visibleItems(): readonly BatchItem[] {
    return this.#visible
  }
  get counts(): Readonly<Record<ItemStatus, number>> {
    return this.#counts
  }
  get progress(): BatchProgress {
    return this.#progress
  }
  get filter(): QueueFilter {
    return this.#filter
  }
  get selected(): BatchItem | null {
    if (this.#selectedId === null) return null
    const position = this.#index.get(this.#selectedId)
    return position === undefined ? null : (this.#items[position] ?? null)
  }
  get error(): unknown {
    return this.#error
  }
  get notice(): QueueNotice | null {
    return this.#notice
  }
  get interrupted(): InterruptedBatch | null {
    return this.#interrupted
  }
  get costPrompt(): CostPromptEvent | null {
    return this.#costPrompt
  }
  /** Why the engine paused the whole batch (out of credit, no consent…); null otherwise. */
  get halt(): SerializedError | null {
    return this.#halt
  }
  /** True while a control action is on its way to main (buttons stay disabled meanwhile). */
  get busy(): boolean {
    return this.#busy
  }
  get isActive(): boolean {
    const state = this.#progress.state
    return state === 'running' || state === 'scanning' || state === 'paused' || state === 'cancelling'
  }
  get canStart(): boolean {
    return !this.isActive && this.#counts.queued > 0
  }
  get canRetry(): boolean {
    return !this.isActive && this.#counts.failed > 0
  }

  /** Subscribes to main's events, then reads the queue, progress and any interrupted batch. */
  async load(): Promise<void> {
    if (this.#unsubscribers.length === 0) {
      this.#unsubscribers.push(
        subscribe('queueItemsAdded', (items) => this.#onEvent({ kind: 'added', items })),
        subscribe('itemStatusChanged', (changes) => this.#onEvent({ kind: 'changed', changes })),
        subscribe('queueReset', () => void this.#reload()),
        subscribe('batchProgress', (progress) => {
          this.#progress = progress
          // A halt ends when the batch runs again (resume) or ends.
          if (progress.state !== 'paused') this.#halt = null
        }),
        subscribe('batchHalted', (reason) => {
          this.#halt = reason
        }),
        subscribe('costPrompt', (prompt) => {
          this.#costPrompt = prompt
        }),
      )
    }
    await this.#reload()
    const [interrupted, halt] = await Promise.all([call('getInterruptedBatch'), call('getHaltReason')])
    this.#interrupted = interrupted
    this.#halt = halt
  }

  setFilter(filter: QueueFilter): void {
    this.#filter = filter
  }

  select(id: number | null): void {
    this.#selectedId = id
  }

  /** Paths dropped on the window (obtained by the preload); main scans them. */
  async addPaths(paths: string[]): Promise<void> {
    if (paths.length === 0) {
      this.#setNotice({ kind: 'drop-nothing' })
      return
    }
    await this.#act(async () => this.#noticeForAdded((await call('addPaths', paths)).accepted))
  }

  async chooseAndAdd(kind: 'folders' | 'files'): Promise<void> {
    await this.#act(async () => {
      const { accepted } = await call('chooseAndAdd', kind)
      // A cancelled dialog adds nothing and needs no notice.
      if (accepted > 0) this.#noticeForAdded(accepted)
    })
  }

  start = (): Promise<void> => this.#act(() => call('startBatch'))
  pause = (): Promise<void> => this.#act(() => call('pauseBatch'))
  resume = (): Promise<void> => this.#act(() => call('resumeBatch'))
  cancel = (): Promise<void> => this.#act(() => call('cancelBatch'))
  retryFailed = (): Promise<void> => this.#act(() => call('retryFailed'))
  clear = (): Promise<void> =>
    this.#act(async () => {
      await call('clearQueue')
      await this.#reload()
    })

  /**
   * The answer to `upload.consent-required`: agree to the hosts it names (on top of `consented`),
   * then go on: resume a halted batch, or start one that was refused.
   */
  async allowHostsAndContinue(hosts: readonly UploadHostId[], consented: readonly UploadHostId[]): Promise<void> {
    await this.#act(async () => {
      const consent = [...consented, ...hosts.filter((host) => !consented.includes(host))]
      await call('setSetting', 'uploadConsent', consent)
      if (this.#progress.state === 'paused') await call('resumeBatch')
      else await call('startBatch')
    })
  }

  async showInFolder(id: number): Promise<void> {
    await this.#act(() => call('showInFolder', id))
  }

  async answerCostPrompt(accepted: boolean): Promise<void> {
    const prompt = this.#costPrompt
    if (!prompt) return
    this.#costPrompt = null
    await this.#act(() => call('answerCostPrompt', prompt.promptId, accepted))
  }

  async resumeInterrupted(): Promise<void> {
    await this.#act(async () => {
      await call('resumeInterrupted')
      this.#interrupted = null
      await this.#reload()
    })
  }

  async dismissInterrupted(): Promise<void> {
    await this.#act(async () => {
      await call('dismissInterrupted')
      this.#interrupted = null
    })
  }

  dismissNotice(): void {
    this.#notice = null
  }

  dismissError(): void {
    this.#error = null
  }

  #noticeForAdded(count: number): void {
    this.#setNotice(count > 0 ? { kind: 'added', count } : { kind: 'added-none' })
  }

  /** Notices are confirmations, not errors: they go away by themselves after a while. */
  #setNotice(notice: QueueNotice): void {
    this.#notice = notice
    if (this.#noticeTimer !== null) clearTimeout(this.#noticeTimer)
    this.#noticeTimer = setTimeout(() => {
      this.#noticeTimer = null
      if (this.#notice === notice) this.#notice = null
    }, NOTICE_MS)
  }

  async #act(action: () => Promise<unknown>): Promise<void> {
    this.#busy = true
    this.#error = null
    try {
      await action()
    } catch (error) {
      this.#error = error
    } finally {
      this.#busy = false
    }
  }

  /** Events that arrive while the snapshot is being read are applied after it. */
  #onEvent(event: PendingEvent): void {
    if (this.#loading) this.#pending.push(event)
    else this.#apply([event])
  }

  async #reload(): Promise<void> {
    this.#loading = true
    try {
      const [items, progress] = await Promise.all([call('getQueue'), call('getProgress')])
      this.#setItems(items)
      this.#progress = progress
    } finally {
      this.#loading = false
      const pending = this.#pending
      this.#pending = []
      this.#apply(pending)
    }
  }

  #setItems(items: BatchItem[]): void {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- see #index
    this.#index = new Map(items.map((item, position) => [item.id, position]))
    this.#items = items
    if (this.#selectedId !== null && !this.#index.has(this.#selectedId)) this.#selectedId = null
  }

  #apply(events: PendingEvent[]): void {
    if (events.length === 0) return
    const items = this.#items.slice()
    for (const event of events) {
      if (event.kind === 'added') {
        for (const item of event.items) {
          if (this.#index.has(item.id)) continue
          this.#index.set(item.id, items.length)
          items.push(item)
        }
      } else {
        for (const change of event.changes) {
          const position = this.#index.get(change.id)
          if (position === undefined) continue
          const before = items[position]!
          const next: BatchItem = { ...before, status: change.status }
          if (change.outputPath !== undefined) next.outputPath = change.outputPath
          if (change.error !== undefined) next.error = change.error
          else if (change.status === 'queued' || change.status === 'working' || change.status === 'done') delete next.error
          if (change.notes !== undefined) next.notes = change.notes
          if (change.flags !== undefined) next.flags = change.flags
          else if (change.status !== 'done') delete next.flags
          if (change.touchedUp !== undefined) next.touchedUp = change.touchedUp
          else delete next.touchedUp
          items[position] = next
        }
      }
    }
    this.#items = items
  }

  reset(): void {
    for (const unsubscribe of this.#unsubscribers) unsubscribe()
    this.#unsubscribers = []
    this.#items = []
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- see #index
    this.#index = new Map()
    this.#progress = IDLE_PROGRESS
    this.#filter = 'all'
    this.#selectedId = null
    this.#error = null
    this.#notice = null
    if (this.#noticeTimer !== null) clearTimeout(this.#noticeTimer)
    this.#noticeTimer = null
    this.#interrupted = null
    this.#costPrompt = null
    this.#halt = null
    this.#busy = false
    this.#pending = []
  }
}

export const queueState = new QueueState()
