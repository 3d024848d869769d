/**
 * The finishing stage of the local pipeline: full-resolution decode of the original, the model's
 * mask scaled to it, compositing and encoding. It runs on its own thread inside the model
 * process (see [Note: overlapping stages] in pipeline.ts; the thread's entry is
 * finish-thread.ts), or inline for tests and benchmarks, or when that thread cannot start.
 */
import { pathToFileURL } from 'node:url'
import { Worker, type MessagePort } from 'node:worker_threads'
import { deserializeError, KoutuError, serializeError, type SerializedError } from '../../../shared/errors'
import type { OutputFormat } from '../../../shared/settings'
import { composeCutoutFromMask } from '../../imaging/compose'
import { decodeImage } from '../../imaging/decode'
import type { OutputOptions } from '../types'

export interface FinishJob {
  inputPath: string
  /** The model's mask, maskSize² bytes. */
  mask: Uint8Array
  maskSize: number
  /** The model's input (maskSize² x 3 bytes of RGB): a cheap low-resolution view of the photo. */
  modelInput?: Uint8Array
  /** The upright original's size, as the model-input decode saw it. */
  width: number
  height: number
  options: OutputOptions
}

export interface FinishResult {
  data: Uint8Array
  format: OutputFormat
  width: number
  height: number
  emptyMask: boolean
  finishMs: number
}

/** Runs finishing jobs one at a time, so at most one full-size original is in memory. */
export interface Finisher {
  finish(job: FinishJob): Promise<FinishResult>
  close(): Promise<void>
}

/** Decode the original in full, scale the mask to it and render the cutout. */
export async function finishCutout(job: FinishJob): Promise<FinishResult> {
  const started = performance.now()
  const image = await decodeImage(job.inputPath, { maxMegapixels: job.options.maxMegapixels })
  if (image.width !== job.width || image.height !== job.height) {
    throw new KoutuError('image.unreadable', `${job.inputPath} changed while it was being processed.`, {
      detail: { path: job.inputPath },
    })
  }
  const lowResolution = job.modelInput ? { rgb: job.modelInput, alpha: job.mask, width: job.maskSize, height: job.maskSize } : undefined
  const composed = await composeCutoutFromMask(image, job.mask, job.maskSize, job.maskSize, job.options, lowResolution)
  return {
    data: composed.data,
    format: composed.format,
    width: composed.width,
    height: composed.height,
    emptyMask: composed.emptyMask,
    finishMs: performance.now() - started,
  }
}

/** Jobs run on the calling thread, one after another. */
export function createInlineFinisher(): Finisher {
  let tail: Promise<unknown> = Promise.resolve()
  return {
    finish(job) {
      const run = tail.then(() => finishCutout(job))
      tail = run.catch(() => undefined)
      return run
    },
    async close() {},
  }
}

/**
 * Several finishers as one. With inference on a GPU the finishing work is the whole cost, so it
 * is spread over every core; each finisher still takes one photo at a time, so memory grows by
 * one original per finisher.
 *
 * Jobs wait here and go to whichever finisher is free first, rather than being queued on one at
 * once: photos range from 0.3 to 24 MP, and a job queued behind a big one on a busy thread would
 * leave another thread idle. A waiting job holds only its mask and the model's small input.
 */
export function createFinisherPool(finishers: Finisher[]): Finisher {
  if (finishers.length === 1) return finishers[0]!
  const idle = [...finishers]
  const waiting: Array<{ job: FinishJob; resolve: (result: FinishResult) => void; reject: (error: unknown) => void }> = []
  const dispatch = (): void => {
    while (idle.length > 0 && waiting.length > 0) {
      const finisher = idle.pop()!
      const { job, resolve, reject } = waiting.shift()!
      finisher
        .finish(job)
        .then(resolve, reject)
        .finally(() => {
          idle.push(finisher)
          dispatch()
        })
    }
  }
  return {
    finish(job) {
      return new Promise<FinishResult>((resolve, reject) => {
        waiting.push({ job, resolve, reject })
        dispatch()
      })
    },
    async close() {
      await Promise.all(finishers.map((finisher) => finisher.close()))
    },
  }
}

/** Messages between the model thread and the finishing thread. */
type ToFinishThread = { id: number; job: FinishJob }
type FromFinishThread = { ready: true } | { id: number; result: FinishResult } | { id: number; error: SerializedError }

/**
 * The finishing thread's entry for the way this module runs: the built
 * out/main/local-finish-thread.js beside the bundle (an input in electron.vite.config.ts), or
 * finish-thread.ts when the source runs through tsx (tests, benchmarks).
 */
export function defaultFinishThreadEntry(): URL {
  return import.meta.url.endsWith('.ts') ? new URL('./finish-thread.ts', import.meta.url) : new URL('./local-finish-thread.js', import.meta.url)
}

export interface ThreadFinisherOptions {
  /** Told once when the thread cannot start and finishing moves to the calling thread. */
  onFallback?(reason: string): void
}

/**
 * Jobs run on a worker thread started from `entry` (a module that calls `serveFinishThread()`).
 * Jobs wait until the thread says it has loaded, and only then is each mask handed over, so a
 * thread that cannot start (a packaging slip, a module that fails to load) loses nothing: its
 * jobs, and every later one, are finished inline on the calling thread instead, as the aipic
 * pool does. A thread that dies after it has loaded fails its jobs with `engine.crashed`; the
 * next job starts a new one.
 */
export function createThreadFinisher(entry: URL | string, workerData?: unknown, options: ThreadFinisherOptions = {}): Finisher {
  let worker: { thread: Worker; ready: boolean } | null = null
  let inline: Finisher | null = null
  let nextId = 1
  const waiting: Array<{ id: number; job: FinishJob }> = []
  const pending = new Map<number, { resolve: (r: FinishResult) => void; reject: (e: Error) => void }>()

  const post = (thread: Worker, id: number, job: FinishJob): void => {
    const message: ToFinishThread = { id, job }
    thread.postMessage(message, [job.mask.buffer as ArrayBuffer])
  }

  const finishInline = (id: number, job: FinishJob): void => {
    const entry = pending.get(id)
    if (!entry) return
    pending.delete(id)
    inline!.finish(job).then(entry.resolve, entry.reject)
  }

  const start = (): { thread: Worker; ready: boolean } => {
    const started = { thread: spawnThread(entry, workerData), ready: false }
    const { thread } = started
    thread.on('message', (message: FromFinishThread) => {
      if ('ready' in message) {
        started.ready = true
        for (const { id, job } of waiting.splice(0)) post(thread, id, job)
        return
      }
      const entry = pending.get(message.id)
      if (!entry) return
      pending.delete(message.id)
      if ('result' in message) entry.resolve(message.result)
      else entry.reject(deserializeError(message.error))
    })
    const fail = (reason: string): void => {
      if (worker === started) worker = null
      if (!started.ready) {
        if (!inline) {
          inline = createInlineFinisher()
          options.onFallback?.(reason)
        }
        for (const { id, job } of waiting.splice(0)) finishInline(id, job)
        return
      }
      for (const [id, entry] of pending) {
        pending.delete(id)
        entry.reject(new KoutuError('engine.crashed', `The finishing thread stopped: ${reason}`))
      }
    }
    thread.on('error', (error) => fail(error.message))
    thread.on('exit', (code) => fail(`exit code ${code}`))
    return started
  }

  return {
    finish(job) {
      if (inline) return inline.finish(job)
      const current = worker ?? (worker = start())
      const id = nextId++
      return new Promise<FinishResult>((resolve, reject) => {
        pending.set(id, { resolve, reject })
        if (current.ready) post(current.thread, id, job)
        else waiting.push({ id, job })
      })
    },
    async close() {
      const current = worker
      worker = null
      if (current) await current.thread.terminate()
    },
  }
}

/**
 * Start a thread on `entry`. A TypeScript entry (tests and benchmarks run the source through
 * tsx) needs tsx's loader registered inside the thread, because `--import tsx` hooks of the
 * process do not reach worker threads on Node 20; the built app always has a .js entry.
 */
function spawnThread(entry: URL | string, workerData: unknown): Worker {
  const href = entry instanceof URL ? entry.href : pathToFileURL(entry).href
  if (!href.endsWith('.ts')) return new Worker(entry, { workerData })
  const tsxApi = import.meta.resolve('tsx/esm/api')
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(href)}) })`
  return new Worker(bootstrap, { eval: true, workerData })
}

/**
 * The finishing thread's side: take jobs from the parent port and answer each, one at a time.
 * Call from the thread's entry module.
 */
export function serveFinishThread(port: MessagePort): void {
  const finisher = createInlineFinisher()
  // Loaded: from now on a death is a crash, not a thread that cannot start.
  port.postMessage({ ready: true } satisfies FromFinishThread)
  port.on('message', (message: ToFinishThread) => {
    finisher.finish(message.job).then(
      (result) => postResult(port, { id: message.id, result }),
      (error: unknown) => port.postMessage({ id: message.id, error: serializeError(error) } satisfies FromFinishThread),
    )
  })
}

/**
 * Hand the encoded cutout over rather than copying it: a 24 MP PNG is ~12 MB, and a copy would
 * sit in memory beside the next photo until a collection frees it. Only a buffer that owns its
 * whole ArrayBuffer can move (our PNG writer's are; a slice of a shared pool is not), and some
 * native-backed buffers refuse to, so anything else is copied as before.
 */
function postResult(port: MessagePort, message: { id: number; result: FinishResult }): void {
  const { data } = message.result
  const owned = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer
  if (owned) {
    try {
      port.postMessage(message satisfies FromFinishThread, [data.buffer as ArrayBuffer])
      return
    } catch {
      // Not transferable after all: fall through to a copy.
    }
  }
  port.postMessage(message satisfies FromFinishThread)
}
