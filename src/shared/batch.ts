/**
 * The batch queue as the renderer (and the command line's JSON report) sees it: queue items,
 * per-file status changes, coalesced progress, interrupted batches and reports read back from the
 * journal. Types only, so both sides of the bridge can import it; the engine that produces these
 * lives in src/main/batch.
 */
import type { DeviceFallbackView, DeviceInUseView } from './device-status'
import type { SerializedError } from './errors'
import type { ConflictPolicy, CustomModel, EngineKind, LocalDevice, LocalModelId, OutputFormat } from './settings'

export const ITEM_STATUSES = ['queued', 'working', 'done', 'skipped', 'failed', 'unknown'] as const
/**
 * - `skipped`: deliberately not processed (the output exists, a symlink loop, not an image…);
 *   `error` says why.
 * - `unknown`: the remote engine could not tell whether the file was processed (a credit may have
 *   been spent). Never retried automatically; see [Note: outcome unknown] in src/main/batch.
 */
export type ItemStatus = (typeof ITEM_STATUSES)[number]

/**
 * Signs that a cutout may have gone wrong, computed from its mask as it finishes (see
 * [Note: quality thresholds] in src/main/imaging/quality-flags.ts):
 * - `no-subject`: almost nothing kept; `background-kept`: almost everything kept;
 * - `cut-at-edge`: the subject runs into the top or the upper sides of the frame;
 * - `uncertain`: an unusual share of half-transparent pixels.
 */
export const QUALITY_FLAGS = ['no-subject', 'background-kept', 'cut-at-edge', 'uncertain'] as const
export type QualityFlag = (typeof QUALITY_FLAGS)[number]

/** One file in the queue. `id` is unique within the batch. */
export interface BatchItem {
  id: number
  /** Absolute path of the original, as it was found (a path through a symlink stays so). */
  inputPath: string
  /** File name of the original. */
  name: string
  /** Folder of the original. */
  folder: string
  status: ItemStatus
  /** Where the output was (or would have been) written. */
  outputPath?: string
  /** Why the file failed, was skipped, or has an unknown outcome. */
  error?: SerializedError
  /** Short facts from the engine (`{ model: 'isnet-medium' }`) or the batch (`{ attempts: '2' }`). */
  notes?: Record<string, string>
  /** Quality flags of a finished cutout; absent or empty when nothing looked wrong. */
  flags?: QualityFlag[]
  /** The cutout was edited in the touch-up editor after the engine made it. */
  touchedUp?: boolean
}

/** Every per-file status change, delivered without loss (unlike progress). */
export interface ItemStatusChange {
  id: number
  status: ItemStatus
  outputPath?: string
  error?: SerializedError
  notes?: Record<string, string>
  flags?: QualityFlag[]
  touchedUp?: boolean
}

export const BATCH_STATES = ['idle', 'scanning', 'running', 'paused', 'cancelling', 'finished'] as const
export type BatchState = (typeof BATCH_STATES)[number]

/** Progress of the current batch, coalesced to at most ~10 events per second. */
export interface BatchProgress {
  state: BatchState
  total: number
  done: number
  skipped: number
  failed: number
  /** Files whose remote outcome is unknown (see ItemStatus). */
  unknown: number
  working: number
  queued: number
  /** Input paths being processed right now. */
  currentFiles: string[]
  /** Files processed per minute over the recent past (0 until the first one finishes). */
  imagesPerMinute: number
  /** Seconds left at the current pace; null while there is no pace yet. */
  etaSeconds: number | null
}

/** Progress when there is no batch: the renderer's starting point and main's answer after a clear. */
export const IDLE_PROGRESS: BatchProgress = {
  state: 'idle',
  total: 0,
  done: 0,
  skipped: 0,
  failed: 0,
  unknown: 0,
  working: 0,
  queued: 0,
  currentFiles: [],
  imagesPerMinute: 0,
  etaSeconds: null,
}

/** What the batch engine asks the caller before a batch that costs something. */
export interface CostPrompt {
  /** Credits the batch needs. */
  needed: number
  /** Credits left, or null when they could not be fetched. */
  available: number | null
  /** The configured threshold (settings.costConfirmThreshold). */
  threshold: number
  /** Why the caller is asked: not enough credit, or more than the threshold. */
  reason: 'exceeds-available' | 'exceeds-threshold'
}

/** The settings a batch runs with, frozen in its journal so a resume writes the same outputs. */
export interface BatchSettingsSnapshot {
  engine: EngineKind
  localModel: LocalModelId
  customModel: CustomModel | null
  /** Absent in journals written before the device setting existed: Automatic. */
  localDevice?: LocalDevice
  outputSuffix: string
  outputFormat: OutputFormat
  /** Absolute, or null for "next to each original". */
  outputRoot: string | null
  onConflict: ConflictPolicy
  recursive: boolean
  backgroundColor: string | null
  maskOnly: boolean
  cropMargin: number | null
  decontaminateEdges: boolean
  maxMegapixels: number
}

/** A batch that stopped without finishing (crash or quit) and can be resumed. */
export interface InterruptedBatch {
  batchId: string
  /** The files and folders that were dropped (absolute). */
  paths: string[]
  settings: BatchSettingsSnapshot
  /** ISO time the batch was created. */
  createdAt: string
  engine: EngineKind
  total: number
  /** Files already finished (done, skipped, failed or unknown); these are not redone. */
  finished: number
  /** Files that still need work. */
  remaining: number
}

/**
 * How a batch ended, as recorded in its journal: `running` is the batch of this very service,
 * `interrupted` one that stopped without an end (crash, quit), `dismissed` an interrupted batch
 * the user chose not to resume.
 */
export type BatchOutcome = 'running' | 'finished' | 'cancelled' | 'interrupted' | 'dismissed'

export interface BatchReportEntry {
  inputPath: string
  status: ItemStatus
  outputPath?: string
  error?: SerializedError
  flags?: QualityFlag[]
  touchedUp?: boolean
}

/** One past batch, read back from its journal. */
export interface BatchReport {
  batchId: string
  createdAt: string
  /** ISO time of the last record (the end, or the last outcome before a crash). */
  lastActivityAt: string
  /** Time spent processing: from the first file started to the last outcome, per run. */
  durationMs: number
  outcome: BatchOutcome
  engine: EngineKind
  output: { suffix: string; format: OutputFormat; root: string | null; onConflict: ConflictPolicy }
  counts: { total: number; done: number; skipped: number; failed: number; unknown: number; queued: number }
  /** Failed, unknown and skipped files with reasons (the first 1,000). */
  problems: BatchReportEntry[]
  /**
   * The local engine's device as the last finished file names it, if any: facts to word
   * (device-texts.ts), or the sentence a report of an older version holds.
   */
  device?: DeviceInUseView | string
  /** Set when a device failed mid-batch and the engine went on on another (said once). */
  deviceFallback?: DeviceFallbackView | string
  /** Done files with quality flags or touched up by hand (the first 1,000). */
  flagged?: BatchReportEntry[]
}
