/**
 * Types of the review grid's bridge methods: the touch-up editor's session and the redo of
 * marked items with another engine. Types only, shared by main and the renderer.
 */
import type { SerializedError } from './errors'
import type { TouchUpStroke } from './touchup'
import type { EngineKind, LocalModelId } from './settings'

/** What the editor opens with. Sizes are in the photo's pixels; previews are data URLs. */
export interface TouchUpSession {
  itemId: number
  name: string
  width: number
  height: number
  previewWidth: number
  previewHeight: number
  /** The original photo, upright, at the preview size (JPEG). */
  original: string
  /** The cutout as the engine made it (before any touch-up), at the preview size (PNG). */
  base: string
  /** Strokes saved by earlier sessions, in order. */
  strokes: TouchUpStroke[]
}

/** How to redo marked items. */
export interface RedoOptions {
  engine: EngineKind
  /** For the local engine; the batch's model when absent. */
  localModel?: LocalModelId
  /** Write over the cutout, or save the new one beside it (numbered) and keep the old. */
  output: 'replace' | 'keep-both'
  /** The person agreed to throw away hand edits of touched-up items. */
  discardEdits: boolean
}

/** What a redo will cost before it runs; null for free engines. */
export interface RedoEstimate {
  count: number
  /** Items among them that were touched up by hand. */
  touchedUp: number
  cost: { needed: number; available: number | null } | null
}

export interface RedoResult {
  redone: number
  failed: Array<{ itemId: number; error: SerializedError }>
}
