/**
 * Renderer-visible types of farm mode (docs/farm.md): the status of a farm's queue as
 * `koutu farm status` and the app's Farm view show it, and what the Farm view knows about this
 * app's connection and its own worker.
 */
import type { SerializedError } from './errors'

export interface FarmWorkerView {
  id: string
  host: string
  pid: number
  concurrency: number
  done: number
  skipped: number
  failed: number
  unknown: number
  /** Photos finished per minute since its first job started (null before the first). */
  perMinute: number | null
}

export interface FarmFailure {
  jobId: string
  inputPath: string
  status: 'failed' | 'unknown'
  error: SerializedError
  worker: string | null
  at: number | null
}

export interface FarmWarning {
  code: 'eviction' | 'no-persistence' | 'config-unreadable'
  message: string
}

export interface FarmStatus {
  queue: string
  /** Jobs as BullMQ holds them now. */
  waiting: number
  active: number
  delayed: number
  /** Outcomes, each job counted once. */
  done: number
  skipped: number
  failed: number
  unknown: number
  workers: FarmWorkerView[]
  /** All workers together, photos per minute. */
  perMinute: number
  /** Seconds until the waiting, delayed and active jobs are done at that pace; null when unknown. */
  etaSeconds: number | null
  /** The most recent failures. */
  failures: FarmFailure[]
  /** Why a worker stopped the farm (out of credit, …), until retry-failed or clear. */
  halt: SerializedError | null
  /** Problems with the Redis setup for a queue. */
  warnings: FarmWarning[]
}

/** What the app's Farm view shows. */
export interface FarmViewState {
  /** A Redis URL is set (Settings → Farm). */
  configured: boolean
  /** The URL without any password, for display. */
  url: string
  queue: string
  /** A password is stored (encrypted, in main). */
  passwordStored: boolean
  /** The queue's status; null when not configured or not reachable (see `error`). */
  status: FarmStatus | null
  error: SerializedError | null
  /** This app is working for the farm too. */
  working: boolean
  workerId: string | null
}

/** What sending folders to the farm did. */
export interface FarmSendResult {
  batchId: string
  found: number
  added: number
  alreadyQueued: number
  alreadyDone: number
  problems: number
}
