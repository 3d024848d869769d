/**
 * The typed message protocol between the local engine (parent) and its model process (worker).
 * Messages travel by structured clone (child_process `serialization: 'advanced'`, Electron's
 * MessagePort), so output bytes cross as a Uint8Array, not as JSON.
 *
 * Parent → worker: init once, then any number of process/cancel, then shutdown.
 * Worker → parent: probed (when init asked for a probe), ready (or fatal), then one result or
 * error per process request. A worker whose probe failed sends no ready and waits to be stopped.
 */
import type { QualityFlag } from '../../../shared/batch'
import type { SerializedError } from '../../../shared/errors'
import type { CustomModel, LocalModelId, OutputFormat } from '../../../shared/settings'
import type { OutputOptions } from '../types'
import type { DeviceCandidate, DeviceKind, ModelVariant } from './devices'
import type { ProbeResult } from './probe'

/** Asks the worker to prove its device first (see [Note: device probe] in probe.ts). */
export interface ProbeRequest {
  /** Timed runs after the warm-up. */
  runs: number
  /** Also time the CPU, so the parent can reject a device slower than it (Automatic mode). */
  measureCpu: boolean
  /** Variants to try in order; with `pickFastest` all are timed and the fastest kept. */
  variants: ModelVariant[]
  pickFastest: boolean
  /** Folder with probe.jpg and the CPU's reference masks (<model>.png). */
  probeDir: string
}

export interface InitMessage {
  type: 'init'
  model: LocalModelId
  customModel: CustomModel | null
  threads: number
  /** Overrides where the bundled chunks are read from (tests, packaging checks). */
  modelDir?: string
  /** The device to run on; the CPU when absent. */
  device?: DeviceCandidate
  /** Which weights to load when not probing (the probe chooses otherwise). */
  variant?: ModelVariant
  /** Prove the device before serving; the worker answers `probed`, then `ready` if it passed. */
  probe?: ProbeRequest
  /** Where the fp32 twin is cached (the user data folder); no twin without it. */
  cacheDir?: string
  /** Finishing threads (default 1): see [Note: pipeline sizing] in index.ts. */
  finishThreads?: number
}

export interface ProcessMessage {
  type: 'process'
  id: number
  inputPath: string
  options: OutputOptions
}

export interface CancelMessage {
  type: 'cancel'
  id: number
}

export interface ShutdownMessage {
  type: 'shutdown'
}

export type ParentMessage = InitMessage | ProcessMessage | CancelMessage | ShutdownMessage

export interface ReadyMessage {
  type: 'ready'
  model: LocalModelId
  inputSize: number
  /** Milliseconds spent reading, verifying and loading the model. */
  loadMs: number
  device: DeviceKind
  variant: ModelVariant
  threads: number
}

export interface ProbedMessage {
  type: 'probed'
  result: ProbeResult
}

export interface FatalMessage {
  type: 'fatal'
  error: SerializedError
}

export interface ResultMessage {
  type: 'result'
  id: number
  data: Uint8Array
  format: OutputFormat
  width: number
  height: number
  notes: Record<string, string>
  flags?: QualityFlag[]
}

export interface ErrorMessage {
  type: 'error'
  id: number
  error: SerializedError
}

export type WorkerMessage = ReadyMessage | ProbedMessage | FatalMessage | ResultMessage | ErrorMessage

const PARENT_TYPES = new Set(['init', 'process', 'cancel', 'shutdown'])
const WORKER_TYPES = new Set(['ready', 'probed', 'fatal', 'result', 'error'])

function hasType(value: unknown, types: Set<string>): boolean {
  return typeof value === 'object' && value !== null && types.has(String((value as { type?: unknown }).type))
}

/** Narrow an incoming message in the worker; anything else is ignored there. */
export function isParentMessage(value: unknown): value is ParentMessage {
  return hasType(value, PARENT_TYPES)
}

/** Narrow an incoming message in the parent. */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return hasType(value, WORKER_TYPES)
}
