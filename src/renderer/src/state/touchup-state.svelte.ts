/**
 * The touch-up editor's state: the session main opened (previews, photo size, earlier strokes),
 * the strokes of the edit with their undo and redo stacks, the brush (mode, size, softness,
 * edge-aware), the view (after, before, original beside it; zoom) and saving. The editor
 * component draws; this class decides. Strokes are kept in the photo's pixels; the preview is
 * painted at `scale` with the same function main renders the saved file with.
 */
import type { BatchItem } from '../../../shared/batch'
import type { TouchUpSession } from '../../../shared/review'
import { MAX_BRUSH_SIZE, MAX_STROKES, type TouchUpMode, type TouchUpStroke } from '../../../shared/touchup'
import { call } from '../lib/bridge'

export type EditorView = 'after' | 'before'

/** Brush size bounds in photo pixels (the slider's range). */
export const MIN_BRUSH = 2
export const MAX_BRUSH = Math.min(600, MAX_BRUSH_SIZE)

export class TouchUpState {
  #session = $state.raw<TouchUpSession | null>(null)
  #strokes = $state.raw<readonly TouchUpStroke[]>([])
  #undone = $state.raw<readonly TouchUpStroke[]>([])
  /** The strokes as last saved (or opened): `dirty` compares against it. */
  #saved = $state.raw<readonly TouchUpStroke[]>([])
  #mode = $state<TouchUpMode>('erase')
  #size = $state(60)
  #softness = $state(0.3)
  #edgeAware = $state(false)
  #view = $state<EditorView>('after')
  #showOriginal = $state(false)
  #zoom = $state(1)
  #saving = $state(false)
  #error = $state.raw<unknown>(null)
  #loading = $state(false)

  get session(): TouchUpSession | null {
    return this.#session
  }
  get strokes(): readonly TouchUpStroke[] {
    return this.#strokes
  }
  get canUndo(): boolean {
    return this.#strokes.length > 0
  }
  get canRedo(): boolean {
    return this.#undone.length > 0
  }
  get dirty(): boolean {
    return this.#strokes !== this.#saved
  }
  get mode(): TouchUpMode {
    return this.#mode
  }
  get size(): number {
    return this.#size
  }
  get softness(): number {
    return this.#softness
  }
  get edgeAware(): boolean {
    return this.#edgeAware
  }
  get view(): EditorView {
    return this.#view
  }
  get showOriginal(): boolean {
    return this.#showOriginal
  }
  get zoom(): number {
    return this.#zoom
  }
  get saving(): boolean {
    return this.#saving
  }
  get loading(): boolean {
    return this.#loading
  }
  get error(): unknown {
    return this.#error
  }
  /** Preview pixels per photo pixel. */
  get scale(): number {
    const session = this.#session
    return session ? session.previewWidth / session.width : 1
  }

  async open(itemId: number): Promise<void> {
    this.reset()
    this.#loading = true
    try {
      const session = await call('openTouchUp', itemId)
      this.#session = session
      this.#strokes = session.strokes
      this.#saved = this.#strokes
    } catch (error) {
      this.#error = error
    } finally {
      this.#loading = false
    }
  }

  setMode(mode: TouchUpMode): void {
    this.#mode = mode
  }
  setSize(size: number): void {
    this.#size = Math.round(Math.min(MAX_BRUSH, Math.max(MIN_BRUSH, size)))
  }
  setSoftness(softness: number): void {
    this.#softness = Math.min(1, Math.max(0, softness))
  }
  setEdgeAware(on: boolean): void {
    this.#edgeAware = on
  }
  setView(view: EditorView): void {
    this.#view = view
  }
  setShowOriginal(on: boolean): void {
    this.#showOriginal = on
  }
  setZoom(zoom: number): void {
    this.#zoom = Math.min(16, Math.max(0.1, zoom))
  }

  /** A new stroke with the current brush, starting at a photo point. */
  beginStroke(x: number, y: number): TouchUpStroke {
    return { mode: this.#mode, size: this.#size, softness: this.#softness, edgeAware: this.#edgeAware, points: [round(x), round(y)] }
  }

  /** Adds a finished stroke; a new stroke ends what could be redone. */
  commit(stroke: TouchUpStroke): void {
    if (this.#strokes.length >= MAX_STROKES) return
    this.#strokes = [...this.#strokes, stroke]
    this.#undone = []
    this.#view = 'after'
  }

  undo(): TouchUpStroke | null {
    const last = this.#strokes.at(-1)
    if (!last) return null
    this.#strokes = this.#strokes.slice(0, -1)
    this.#undone = [...this.#undone, last]
    return last
  }

  redo(): TouchUpStroke | null {
    const next = this.#undone.at(-1)
    if (!next) return null
    this.#undone = this.#undone.slice(0, -1)
    this.#strokes = [...this.#strokes, next]
    return next
  }

  /** Renders the strokes at full resolution in main and writes the cutout. */
  async save(): Promise<BatchItem | null> {
    const session = this.#session
    if (!session || this.#saving) return null
    const strokes = this.#strokes
    this.#saving = true
    this.#error = null
    try {
      const item = await call('saveTouchUp', session.itemId, [...strokes])
      this.#saved = strokes
      return item
    } catch (error) {
      this.#error = error
      return null
    } finally {
      this.#saving = false
    }
  }

  reset(): void {
    this.#session = null
    this.#strokes = []
    this.#undone = []
    this.#saved = this.#strokes
    this.#view = 'after'
    this.#showOriginal = false
    this.#zoom = 1
    this.#saving = false
    this.#error = null
    this.#loading = false
  }
}

/** Photo coordinates to a tenth of a pixel: enough for any brush, and short on the wire. */
function round(value: number): number {
  return Math.round(value * 10) / 10
}

export const touchUpState = new TouchUpState()
