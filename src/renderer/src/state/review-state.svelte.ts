/**
 * The review grid's state: which finished cutouts are shown (filter by flag, marked, touched
 * up), over which backdrop, where the keyboard cursor is, which items are marked, and the two
 * things that open over the grid (the viewer and the touch-up editor), plus the redo question.
 * The items themselves come from the queue state (one raw array, as the queue holds it).
 */
import type { BatchItem, QualityFlag } from '../../../shared/batch'
import type { RedoEstimate, RedoOptions, RedoResult } from '../../../shared/review'
import { call } from '../lib/bridge'
import { queueState } from './queue-state.svelte'

export type ReviewFilter = 'all' | 'flagged' | 'marked' | 'touched-up' | QualityFlag
export type Backdrop = 'checker' | 'white' | 'black' | 'colour'

/** The redo question while it is open. */
export interface RedoDraft {
  itemIds: number[]
  engine: RedoOptions['engine']
  localModel: NonNullable<RedoOptions['localModel']>
  output: RedoOptions['output']
  estimate: RedoEstimate | null
  /** The estimate could not be made (engine unavailable, not logged in…). */
  error: unknown
}

function emptySet(): ReadonlySet<number> {
  return new Set<number>()
}

function isReviewable(item: BatchItem): boolean {
  return item.status === 'done' && item.outputPath !== undefined
}

export class ReviewState {
  #filter = $state<ReviewFilter>('all')
  #backdrop = $state<Backdrop>('checker')
  #colour = $state('#3a7bd5')
  #cursorId = $state<number | null>(null)
  #marked = $state.raw<ReadonlySet<number>>(emptySet())
  #viewerId = $state<number | null>(null)
  #editorId = $state<number | null>(null)
  #redo = $state.raw<RedoDraft | null>(null)
  /** How many items the running redo handles; 0 when none runs. */
  #redoing = $state(0)
  #lastRedo = $state.raw<RedoResult | null>(null)
  #error = $state.raw<unknown>(null)

  /** Every finished cutout, in queue order. */
  #done = $derived(queueState.items.filter(isReviewable))
  #visible = $derived.by(() => {
    const filter = this.#filter
    const marked = this.#marked
    switch (filter) {
      case 'all':
        return this.#done
      case 'flagged':
        return this.#done.filter((item) => (item.flags?.length ?? 0) > 0)
      case 'marked':
        return this.#done.filter((item) => marked.has(item.id))
      case 'touched-up':
        return this.#done.filter((item) => item.touchedUp === true)
      default:
        return this.#done.filter((item) => item.flags?.includes(filter) === true)
    }
  })
  #counts = $derived.by(() => {
    const counts = { all: 0, flagged: 0, 'touched-up': 0, 'no-subject': 0, 'background-kept': 0, 'cut-at-edge': 0, uncertain: 0 }
    for (const item of this.#done) {
      counts.all += 1
      if (item.touchedUp === true) counts['touched-up'] += 1
      if (!item.flags || item.flags.length === 0) continue
      counts.flagged += 1
      for (const flag of item.flags) counts[flag] += 1
    }
    return counts
  })

  get items(): readonly BatchItem[] {
    return this.#visible
  }
  get counts(): Readonly<Record<Exclude<ReviewFilter, 'marked'>, number>> {
    return this.#counts
  }
  get filter(): ReviewFilter {
    return this.#filter
  }
  get backdrop(): Backdrop {
    return this.#backdrop
  }
  get colour(): string {
    return this.#colour
  }
  /** The CSS background for tiles and the viewer. */
  get backdropCss(): string {
    switch (this.#backdrop) {
      case 'white':
        return '#ffffff'
      case 'black':
        return '#000000'
      case 'colour':
        return this.#colour
      default:
        return 'var(--checker) 0 0 / 16px 16px'
    }
  }
  get cursorId(): number | null {
    return this.#cursorId
  }
  /** Position of the cursor among the visible items (0 when it is not among them). */
  get cursorIndex(): number {
    const index = this.#visible.findIndex((item) => item.id === this.#cursorId)
    return index < 0 ? 0 : index
  }
  get marked(): ReadonlySet<number> {
    return this.#marked
  }
  get viewer(): BatchItem | null {
    return this.#done.find((item) => item.id === this.#viewerId) ?? null
  }
  get editorId(): number | null {
    return this.#editorId
  }
  get redo(): RedoDraft | null {
    return this.#redo
  }
  get redoing(): number {
    return this.#redoing
  }
  get lastRedo(): RedoResult | null {
    return this.#lastRedo
  }
  get error(): unknown {
    return this.#error
  }

  setFilter(filter: ReviewFilter): void {
    this.#filter = filter
  }
  setBackdrop(backdrop: Backdrop): void {
    this.#backdrop = backdrop
  }
  setColour(colour: string): void {
    this.#colour = colour
    this.#backdrop = 'colour'
  }

  /** Moves the cursor by `delta` visible items (clamped); returns the new index. */
  move(delta: number): number {
    const items = this.#visible
    if (items.length === 0) return 0
    const next = Math.min(items.length - 1, Math.max(0, this.cursorIndex + delta))
    this.#cursorId = items[next]!.id
    return next
  }
  focus(id: number): void {
    this.#cursorId = id
  }

  toggleMark(id: number): void {
    // A new set each time: the state is raw and replaced, never mutated in place.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const next = new Set(this.#marked)
    if (!next.delete(id)) next.add(id)
    this.#marked = next
  }
  clearMarks(): void {
    this.#marked = emptySet()
  }

  open(id: number): void {
    this.#cursorId = id
    this.#viewerId = id
  }
  closeViewer(): void {
    this.#viewerId = null
  }
  edit(id: number): void {
    this.#cursorId = id
    this.#viewerId = null
    this.#editorId = id
  }
  closeEditor(): void {
    this.#editorId = null
  }
  dismissError(): void {
    this.#error = null
  }

  /** Asks how to redo the marked items (or the one under the cursor when none is marked). */
  async askRedo(engine: RedoDraft['engine'] = 'local', localModel: RedoDraft['localModel'] = 'isnet-medium'): Promise<void> {
    const ids = this.#marked.size > 0 ? this.#done.filter((item) => this.#marked.has(item.id)).map((item) => item.id) : []
    if (ids.length === 0 && this.#cursorId !== null) ids.push(this.#cursorId)
    if (ids.length === 0) return
    this.#redo = { itemIds: ids, engine, localModel, output: 'replace', estimate: null, error: null }
    await this.#estimate()
  }

  async setRedoChoice(choice: Partial<Pick<RedoDraft, 'engine' | 'localModel' | 'output'>>): Promise<void> {
    if (!this.#redo) return
    const engineChanged = (choice.engine !== undefined && choice.engine !== this.#redo.engine) || (choice.localModel !== undefined && choice.localModel !== this.#redo.localModel)
    this.#redo = { ...this.#redo, ...choice }
    if (engineChanged) await this.#estimate()
  }

  cancelRedo(): void {
    this.#redo = null
  }

  /** Runs the redo the question describes; `discardEdits` once the person agreed to lose hand edits. */
  async runRedo(discardEdits: boolean): Promise<void> {
    const draft = this.#redo
    if (!draft) return
    this.#redo = null
    this.#redoing = draft.itemIds.length
    this.#error = null
    try {
      const options: RedoOptions = { engine: draft.engine, output: draft.output, discardEdits }
      if (draft.engine === 'local') options.localModel = draft.localModel
      this.#lastRedo = await call('redoItems', draft.itemIds, options)
      this.clearMarks()
    } catch (error) {
      this.#error = error
    } finally {
      this.#redoing = 0
    }
  }

  async #estimate(): Promise<void> {
    const draft = this.#redo
    if (!draft) return
    try {
      const choice = draft.engine === 'local' ? { engine: draft.engine, localModel: draft.localModel } : { engine: draft.engine }
      const estimate = await call('estimateRedo', draft.itemIds, choice)
      if (this.#redo === draft || this.#redo?.itemIds === draft.itemIds) this.#redo = { ...this.#redo!, estimate, error: null }
    } catch (error) {
      if (this.#redo?.itemIds === draft.itemIds) this.#redo = { ...this.#redo, estimate: null, error }
    }
  }

  reset(): void {
    this.#filter = 'all'
    this.#backdrop = 'checker'
    this.#cursorId = null
    this.#marked = emptySet()
    this.#viewerId = null
    this.#editorId = null
    this.#redo = null
    this.#redoing = 0
    this.#lastRedo = null
    this.#error = null
  }
}

export const reviewState = new ReviewState()
