/**
 * Runs the aipic engine's finishing stage (finishRemoteCutout) off the main thread, on a small
 * pool of worker threads (finish-worker.ts), so the app's main process stays responsive while
 * cutouts are composited. Workers start on first use and are replaced when one dies; a task
 * whose worker died rejects with `engine.crashed` (the batch engine retries such a file once).
 *
 * [Note: finish worker path] From the bundle the worker is out/main/aipic-finish-worker.js next
 * to the main bundle (an entry in electron.vite.config.ts); from the TypeScript source (tests,
 * benches, `tsx`) it is finish-worker.ts run with tsx's loader. `inProcess: true` skips threads
 * entirely (same results, but the main thread does the pixel loops). A worker that dies before
 * it has loaded (a packaging slip, a missing file) switches the pool to in-process for good and
 * its task is run there: the credit for that cutout is already spent, so the work must not be
 * lost to a setup problem.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { KoutuError, deserializeError, type SerializedError } from '../../../shared/errors'
import type { Logger } from '../../../shared/logger'
import { abortable } from '../abortable'
import { finishRemoteCutout, type FinishInput, type FinishOutput } from './apply-result'

export interface FinishPoolOptions {
  /** Worker threads (default 2: compositing is CPU-bound and machines have few cores to spare). */
  size?: number
  /** Run in this thread instead (no workers). */
  inProcess?: boolean
  /** Overrides the worker entry (see [Note: finish worker path]). */
  worker?: WorkerEntry
  logger: Logger
}

export interface FinishPool {
  /** Starts the workers now, so their start-up overlaps the first uploads and cutouts. */
  warm(): void
  run(input: FinishInput, signal?: AbortSignal): Promise<FinishOutput>
  close(): Promise<void>
}

/** A worker entry file; `viaTsx` loads it through tsx (TypeScript source). */
export interface WorkerEntry {
  url: URL
  viaTsx?: boolean
}

type Reply = { ready: true } | { id: number; ok: true; output: FinishOutput } | { id: number; ok: false; error: SerializedError }

interface Task {
  id: number
  input: FinishInput
  resolve: (output: FinishOutput) => void
  reject: (error: unknown) => void
}

interface Slot {
  worker: Worker
  task: Task | null
  /** The worker has loaded its code and said so. */
  ready: boolean
}

/** The worker entry for the way this module runs; see [Note: finish worker path]. */
export function defaultFinishWorker(): WorkerEntry {
  if (import.meta.url.endsWith('.ts')) return { url: new URL('./finish-worker.ts', import.meta.url), viaTsx: true }
  return { url: new URL('./aipic-finish-worker.js', import.meta.url) }
}

/** tsx's ESM API as a file URL (its `import` condition), or the bare name if it cannot be resolved here. */
function resolveTsxApi(): string {
  try {
    const packageJson = createRequire(import.meta.url).resolve('tsx/package.json')
    const manifest = createRequire(import.meta.url)('tsx/package.json') as { exports?: Record<string, { import?: { default?: string } }> }
    const target = manifest.exports?.['./esm/api']?.import?.default
    if (target) return pathToFileURL(join(dirname(packageJson), target)).href
  } catch {
    // fall through to the bare specifier
  }
  return 'tsx/esm/api'
}

/**
 * Starts a worker on `entry`. `--import tsx` in a worker's execArgv does not reach its entry
 * module on Node 20, so TypeScript entries get a two-line bootstrap that registers tsx's loader
 * in the worker first (tsx is a devDependency: only tests, benches and `tsx` runs take this path).
 */
function spawnWorker(entry: WorkerEntry): Worker {
  if (!entry.viaTsx) return new Worker(entry.url)
  // Resolved here, from this package, so the worker finds tsx whatever its working folder.
  const tsxApi = resolveTsxApi()
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.url.href)}) })`
  return new Worker(bootstrap, { eval: true })
}

export function createFinishPool(options: FinishPoolOptions): FinishPool {
  if (options.inProcess) {
    return { warm: () => {}, run: (input, signal) => abortable(finishRemoteCutout(input), signal), close: async () => {} }
  }
  const size = options.size ?? 2
  const entry = options.worker ?? defaultFinishWorker()
  const slots: Slot[] = []
  const queue: Task[] = []
  let nextId = 1
  let closed = false
  /** Set when workers cannot start here; every task then runs in this thread. */
  let inProcess = false

  function runHere(task: Task): void {
    finishRemoteCutout(task.input).then(task.resolve, task.reject)
  }

  function start(): Slot {
    const worker = spawnWorker(entry)
    const slot: Slot = { worker, task: null, ready: false }
    // An idle worker must not keep the command line alive; a busy one must (see dispatch).
    worker.unref()
    worker.on('message', (reply: Reply) => {
      if ('ready' in reply) {
        slot.ready = true
        return
      }
      const task = slot.task
      if (!task || task.id !== reply.id) return
      slot.task = null
      worker.unref()
      if (reply.ok) task.resolve(reply.output)
      else task.reject(deserializeError(reply.error))
      dispatch()
    })
    const die = (reason: string): void => {
      const index = slots.indexOf(slot)
      if (index < 0) return
      slots.splice(index, 1)
      const task = slot.task
      slot.task = null
      if (closed) {
        task?.reject(new KoutuError('engine.closed', 'The aipic engine was closed.'))
        return
      }
      if (!slot.ready) {
        if (!inProcess) options.logger.warn('aipic: compositing threads cannot start; compositing in the main thread', { reason })
        inProcess = true
        if (task) runHere(task)
      } else {
        options.logger.warn('aipic: a finishing worker stopped', { reason })
        task?.reject(new KoutuError('engine.crashed', `The compositing worker stopped (${reason}).`))
      }
      dispatch()
    }
    worker.on('error', (error) => die(error.message))
    worker.on('exit', (code) => die(`exit code ${code}`))
    slots.push(slot)
    return slot
  }

  function dispatch(): void {
    if (inProcess) {
      for (const task of queue.splice(0)) runHere(task)
      return
    }
    while (!closed && queue.length > 0) {
      const slot = slots.find((candidate) => candidate.task === null) ?? (slots.length < size ? start() : null)
      if (!slot) return
      const task = queue.shift()!
      slot.task = task
      slot.worker.ref()
      slot.worker.postMessage({ id: task.id, input: task.input })
    }
  }

  return {
    warm() {
      while (!closed && !inProcess && slots.length < size) start()
    },
    run(input, signal) {
      if (closed) return Promise.reject(new KoutuError('engine.closed', 'The aipic engine was closed.'))
      const done = new Promise<FinishOutput>((resolve, reject) => {
        queue.push({ id: nextId++, input, resolve, reject })
      })
      dispatch()
      return abortable(done, signal)
    },
    async close() {
      if (closed) return
      closed = true
      for (const task of queue.splice(0)) task.reject(new KoutuError('engine.closed', 'The aipic engine was closed.'))
      await Promise.all(slots.splice(0).map((slot) => slot.worker.terminate()))
    },
  }
}
