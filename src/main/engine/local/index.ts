/**
 * The local engine: on-device background removal with ISNet (or a user's own ONNX model),
 * implementing CutoutEngine. This parent side owns the model process's life: it starts it on
 * first use, sends paths and options, matches replies to requests, cancels on abort, and turns
 * an unexpected exit into `engine.crashed` for the files in hand, restarting on the next request.
 * The pixels never pass through here except as the encoded result.
 */
import os from 'node:os'
import { deserializeError, KoutuError } from '../../../shared/errors'
import type { Logger } from '../../../shared/logger'
import type { CustomModel, LocalModelId } from '../../../shared/settings'
import { abortable } from '../abortable'
import type { CutoutEngine, CutoutRequest, CutoutResult } from '../types'
import { isWorkerMessage, type WorkerMessage } from './protocol'
import { createForkSpawner, defaultWorkerPath, type WorkerHandle, type WorkerSpawner } from './spawn'

export type { WorkerHandle, WorkerSpawner, WorkerSpawnSpec } from './spawn'
export { createForkSpawner, defaultWorkerPath } from './spawn'
export { CUSTOM_MODEL_PRESETS, bundledModelDir, loadVerifiedModel, resolveModel } from './model'
export type { ModelSpec, ResolvedModel } from './model'

export interface LocalEngineOptions {
  model: LocalModelId
  customModel: CustomModel | null
  logger: Logger
  /**
   * Starts the model process. Default: child_process.fork of the built worker
   * (out/main/engine-worker.js next to the caller). The app injects one that uses Electron's
   * utilityProcess; tests fork src/main/engine/local/worker-main.ts with execArgv
   * ['--import', 'tsx'].
   */
  spawnWorker?: WorkerSpawner
  /** onnxruntime intra-op threads; default chosen for the machine. */
  threads?: number
  /** Where the bundled model chunks are; default: the installed carrier package. */
  modelDir?: string
}

/**
 * Requests the batch engine keeps in flight: one decoding, one inferring, one encoding. More
 * would only queue inside the worker (and hold memory there).
 */
const DEFAULT_CONCURRENCY = 3
/** How long close() waits for a clean exit before killing the process. */
const SHUTDOWN_GRACE_MS = 3_000
/**
 * [Note: worker malloc settings] glibc raises its mmap threshold each time a large block is freed,
 * so after the first photo every 20–70 MB pixel buffer comes from the heap, where freed space
 * fragments and is never returned: peak RSS over the 11-photo benchmark set was 1650 MB. A fixed
 * 1 MB threshold keeps every large buffer (and onnxruntime's arena blocks) mmap-ed and returned to
 * the system on free: 1464 MB peak, ~1.3 GB steady. Two malloc arenas bound what libvips' threads
 * keep. Read by glibc at process start; harmless elsewhere.
 */
const WORKER_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '1048576' }

interface Pending {
  resolve: (result: CutoutResult) => void
  reject: (error: KoutuError) => void
}

interface RunningWorker {
  handle: WorkerHandle
  ready: Promise<void>
  exited: Promise<void>
  /** Set once we asked it to stop, so its exit is not a crash. */
  stopping: boolean
}

/** Create the local engine. Nothing starts until the first `process` call. */
export function createLocalEngine(options: LocalEngineOptions): CutoutEngine {
  const spawn = options.spawnWorker ?? createForkSpawner({ modulePath: defaultWorkerPath() })
  const threads = options.threads ?? defaultThreads()
  const { logger } = options
  const pending = new Map<number, Pending>()
  let worker: RunningWorker | null = null
  let nextId = 1
  let closed = false

  function start(): RunningWorker {
    const handle = spawn({ serviceName: 'Koutu model', env: WORKER_ENV })
    let markReady!: () => void
    let failReady!: (error: KoutuError) => void
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve
      failReady = reject
    })
    // Callers that never await `ready` (a crash before any request) must not leave it unhandled.
    ready.catch(() => undefined)
    let markExited!: () => void
    const exited = new Promise<void>((resolve) => (markExited = resolve))
    const running: RunningWorker = { handle, ready, exited, stopping: false }

    handle.on('message', (message: unknown) => {
      if (!isWorkerMessage(message)) return
      onMessage(running, message, markReady, failReady)
    })
    handle.on('exit', (code: number | null) => {
      markExited()
      if (worker === running) worker = null
      const error = running.stopping
        ? new KoutuError('engine.closed', 'The local engine was closed.')
        : new KoutuError('engine.crashed', `The model process stopped unexpectedly (exit code ${code ?? 'none'}).`, {
            detail: { exitCode: code ?? -1 },
          })
      if (!running.stopping) logger.error('local engine: model process exited', { exitCode: code })
      failReady(error)
      // Every request in flight was inside that process.
      for (const [id, entry] of pending) {
        pending.delete(id)
        entry.reject(error)
      }
    })
    handle.postMessage({
      type: 'init',
      model: options.model,
      customModel: options.customModel,
      threads,
      ...(options.modelDir ? { modelDir: options.modelDir } : {}),
    })
    logger.info('local engine: model process started', { pid: handle.pid, model: options.model, threads })
    return running
  }

  function onMessage(
    running: RunningWorker,
    message: WorkerMessage,
    markReady: () => void,
    failReady: (error: KoutuError) => void,
  ): void {
    switch (message.type) {
      case 'ready':
        logger.info('local engine: model loaded', { model: message.model, loadMs: message.loadMs })
        markReady()
        return
      case 'fatal': {
        const error = deserializeError(message.error)
        logger.error('local engine: model process could not start', { code: error.code, message: error.message })
        failReady(error)
        // A process without a model is useless; the next request starts a fresh one.
        running.stopping = true
        running.handle.kill()
        if (worker === running) worker = null
        return
      }
      case 'result': {
        const entry = pending.get(message.id)
        if (!entry) return
        pending.delete(message.id)
        entry.resolve({
          data: message.data,
          format: message.format,
          width: message.width,
          height: message.height,
          notes: message.notes,
          ...(message.flags ? { flags: message.flags } : {}),
        })
        return
      }
      case 'error': {
        const entry = pending.get(message.id)
        if (!entry) return
        pending.delete(message.id)
        entry.reject(deserializeError(message.error))
      }
    }
  }

  async function processImage(request: CutoutRequest, signal: AbortSignal): Promise<CutoutResult> {
    if (closed) throw new KoutuError('engine.closed', 'The local engine was closed.')
    if (signal.aborted) throw aborted()
    const running = worker ?? (worker = start())
    await abortable(running.ready, signal, aborted)
    if (running.handle !== worker?.handle) {
      throw new KoutuError('engine.crashed', 'The model process stopped while starting.')
    }
    const id = nextId++
    return new Promise<CutoutResult>((resolve, reject) => {
      const onAbort = (): void => {
        if (!pending.delete(id)) return
        running.handle.postMessage({ type: 'cancel', id })
        reject(aborted())
      }
      signal.addEventListener('abort', onAbort, { once: true })
      pending.set(id, {
        resolve: (result) => {
          signal.removeEventListener('abort', onAbort)
          resolve(result)
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort)
          reject(error)
        },
      })
      running.handle.postMessage({ type: 'process', id, inputPath: request.inputPath, options: request.options })
    })
  }

  return {
    kind: 'local',
    defaultConcurrency: DEFAULT_CONCURRENCY,
    process: processImage,
    async estimateCost() {
      return null
    },
    async close() {
      closed = true
      const running = worker
      worker = null
      if (!running) return
      running.stopping = true
      running.handle.postMessage({ type: 'shutdown' })
      const timer = setTimeout(() => running.handle.kill(), SHUTDOWN_GRACE_MS)
      await running.exited
      clearTimeout(timer)
    },
  }
}

/** All cores for onnxruntime's intra-op pool; decode and encode fill its gaps (see session.ts). */
function defaultThreads(): number {
  return Math.max(1, Math.min(os.availableParallelism(), 8))
}

function aborted(): KoutuError {
  return new KoutuError('job.aborted', 'Cancelled.')
}
