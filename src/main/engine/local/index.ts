/**
 * The local engine: on-device background removal with ISNet (or a user's own ONNX model),
 * implementing CutoutEngine. This parent side owns the model process's life: it chooses the
 * device (candidates from devices.ts, cached verdicts, a probe under a watchdog for an untested
 * one; see docs/gpu.md), starts the process on first use, sends paths and options, matches
 * replies to requests, cancels on abort, falls back to the CPU when a GPU fails mid-batch
 * (retrying the files in hand), and turns an unexpected exit on the CPU into `engine.crashed`
 * for the files in hand, restarting on the next request.
 * The pixels never pass through here except as the encoded result.
 */
import os from 'node:os'
import type { DeviceFallbackView, DeviceInUseView } from '../../../shared/device-status'
import { deviceFacts, deviceNote, fallbackNote } from '../../../shared/device-notes'
import { describeDevice, inEnglish } from '../../../shared/device-texts'
import { deserializeError, KoutuError } from '../../../shared/errors'
import type { Logger } from '../../../shared/logger'
import type { CustomModel, LocalModelId } from '../../../shared/settings'
import { abortable } from '../abortable'
import type { CutoutEngine, CutoutRequest, CutoutResult } from '../types'
import { planCandidate, reasonOfFailure, reasonsInEnglish, verdictOfProbe, type PlanContext } from './device-chooser'
import {
  candidateDevices,
  DEVICE_NAMES,
  type DeviceCandidate,
  type DeviceInUse,
  type DevicePlatform,
  type DevicePreference,
} from './devices'
import { detectDevicePlatform, detectHostGpu, hostIdentity } from './host'
import type { ProbeResult } from './probe'
import { defaultProbeDir } from './probe-material'
import { isWorkerMessage, type InitMessage, type ProbeRequest, type ReadyMessage, type WorkerMessage } from './protocol'
import { createForkSpawner, defaultWorkerPath, type WorkerHandle, type WorkerSpawner } from './spawn'
import { createVerdictStore, type DeviceIdentity, type VerdictStore } from './verdicts'

export type { WorkerHandle, WorkerSpawner, WorkerSpawnSpec } from './spawn'
export { createForkSpawner, defaultWorkerPath } from './spawn'
export { CUSTOM_MODEL_PRESETS, bundledModelDir, loadVerifiedModel, resolveModel } from './model'
export type { ModelSpec, ResolvedModel } from './model'
export { createVerdictStore } from './verdicts'
export type { DeviceIdentity, DeviceVerdict, DeviceVerdictEntry, VerdictStore } from './verdicts'
export type { DeviceInUse, DevicePlatform, DevicePreference } from './devices'

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
  /** onnxruntime intra-op threads; default chosen for the machine and device. */
  threads?: number
  /** Finishing threads in the model process; default chosen for the device (see the note). */
  finishThreads?: number
  /** Where the bundled model chunks are; default: the installed carrier package. */
  modelDir?: string
  /** Automatic (default), GPU or CPU: see [Note: device candidates] in devices.ts. */
  device?: DevicePreference
  /** Platform and bundled providers; default this machine's (tests inject others). */
  platform?: DevicePlatform
  /** Who "this machine" is for the verdicts; default from plain Node (see host.ts). */
  identity?: DeviceIdentity
  /** The GPU's name for display (Electron's GPU info in the app). */
  gpuName?: string | null
  /** Remembered probe verdicts; default in memory (the app and CLI keep a file). */
  verdicts?: VerdictStore
  /** Where the fp32 twin is cached (user data); without it the twin is never used. */
  cacheDir?: string
  /** Folder with the probe photo and reference masks; default resources/probe. */
  probeDir?: string
  /** How long a probe may take before the device counts as hung (default 3 minutes). */
  probeTimeoutMs?: number
  /** Timed probe runs after the warm-up (default 2). */
  probeRuns?: number
  /** Told each time a model process is ready on a device (the app names it in the sidebar). */
  onDeviceReady?: (device: DeviceInUse) => void
  /** Told once per engine when a device fails mid-batch and the engine goes on on the CPU. */
  onDeviceFallback?: (event: DeviceFallback) => void
}

/** A run-time fallback, as told to the user: facts and a reason code, worded by whoever shows it. */
export type DeviceFallback = DeviceFallbackView

/** The local engine with what it adds to CutoutEngine: naming its device. */
export interface LocalEngine extends CutoutEngine {
  /** The device in use, or null before the model process has started. */
  currentDevice(): DeviceInUse | null
  /** Start the model process now (choosing and, if needed, probing the device) and name it. */
  prepare(): Promise<DeviceInUse>
}

/** How the model process is sized: onnxruntime's threads, finishing threads, files in flight. */
export interface PipelineSizing {
  /** onnxruntime's intra-op threads. */
  threads: number
  finishThreads: number
  /** Requests the batch engine keeps in flight. */
  inFlight: number
  /** libuv's pool, where sharp decodes and encodes for every thread of the process. */
  uvThreads: number
}

/**
 * [Note: pipeline sizing] On the CPU, inference takes every core and finishing fills its gaps.
 * Two finishing threads (one on a single core), with two requests in flight beyond them (one
 * inferring, one decoding for the model): photos range from 0.3 to 24 MP, and with one thread a
 * 24 MP photo's finishing (a second or more) held up the small ones behind it while inference
 * ran out of work. Measured end to end with ISNet medium's twin on 2 cores, alternating in one
 * run: 50.2–51.4 images/min with 2 threads and 4 in flight, 48.9–49.4 with 1 and 3, 49.3 with 2
 * and 5; peak RSS the same (1.37–1.39 GB), since a photo holds its full-size pixels only while
 * it is being finished.
 *
 * On a GPU, inference costs the CPU next to nothing and finishing is the whole cost. Measured with
 * the benchmark's pipeline ceiling (inference free) on 2 cores: one finishing thread per core kept
 * 85–87 % of the cores busy, however many files were in flight, because a finishing thread waits
 * on sharp's decode and encode in libuv's pool; one thread more than cores, with two files in
 * flight per finishing thread (so one is always ready when a thread frees up), kept 93 %, for
 * one more full-size original in memory (see docs/benchmarks.md). Capped at 8 finishing threads
 * for memory. onnxruntime keeps two CPU threads for the few operators a GPU provider leaves to
 * the CPU, and libuv's pool (4 threads by default) grows so that it is never what they wait for.
 */
export function pipelineSizing(gpu: boolean, cores: number, cpuThreads: number, override: { threads?: number; finishThreads?: number } = {}): PipelineSizing {
  const finishThreads = override.finishThreads ?? (gpu ? Math.min(cores + 1, 8) : Math.min(2, cores))
  return {
    threads: override.threads ?? (gpu ? Math.min(2, cpuThreads) : cpuThreads),
    finishThreads,
    inFlight: gpu ? 2 * finishThreads : finishThreads + 2,
    uvThreads: Math.max(4, finishThreads + 2),
  }
}
/** How long close() waits for a clean exit before killing the process. */
const SHUTDOWN_GRACE_MS = 3_000
const DEFAULT_PROBE_TIMEOUT_MS = 180_000
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
  request: CutoutRequest
  resolve: (result: CutoutResult) => void
  reject: (error: KoutuError) => void
  /** Already sent again after a device fallback (a second failure is the file's own). */
  retried: boolean
}

interface RunningWorker {
  handle: WorkerHandle
  candidate: DeviceCandidate
  ready: Promise<ReadyMessage>
  /** Resolves with the probe's result when init asked for one. */
  probed: Promise<ProbeResult>
  exited: Promise<void>
  /** Set once we asked it to stop, so its exit is not a crash. */
  stopping: boolean
  /** Set once it is the engine's serving worker (its exit then concerns the requests in hand). */
  serving: boolean
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: KoutuError) => void } {
  let resolve!: (value: T) => void
  let reject!: (error: KoutuError) => void
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok
    reject = fail
  })
  // Callers that never await it (a crash before any request) must not leave it unhandled.
  promise.catch(() => undefined)
  return { promise, resolve, reject }
}

/** Create the local engine. Nothing starts until the first `process` (or `prepare`) call. */
export function createLocalEngine(options: LocalEngineOptions): LocalEngine {
  const spawn = options.spawnWorker ?? createForkSpawner({ modulePath: defaultWorkerPath() })
  const cpuThreads = options.threads ?? defaultThreads()
  const sizingFor = (candidate: DeviceCandidate): PipelineSizing => pipelineSizing(candidate.gpu, os.availableParallelism(), cpuThreads, options)
  const preference = options.device ?? 'auto'
  const { logger } = options
  const verdicts = options.verdicts ?? createVerdictStore(null)
  const hostGpu = options.identity ? null : detectHostGpu()
  const identity = options.identity ?? hostIdentity('koutu', hostGpu ?? undefined)
  const gpuName = options.gpuName ?? hostGpu?.name ?? null
  const platform = options.platform ?? detectDevicePlatform()
  const modelKey = options.model === 'custom' ? `custom:${options.customModel?.path ?? ''}` : options.model
  const context: PlanContext = { preference, model: options.model, twinAvailable: options.cacheDir !== undefined }
  const pending = new Map<number, Pending>()
  let worker: Promise<RunningWorker> | null = null
  let current: RunningWorker | null = null
  let device: DeviceInUse | null = null
  /** Devices that failed in this engine's life: never chosen again by it. */
  const failed = new Set<string>()
  let fallback: (DeviceFallback & { told: boolean }) | null = null
  let nextId = 1
  let closed = false

  function spawnWorker(candidate: DeviceCandidate, init: Partial<InitMessage>): RunningWorker {
    const { threads, finishThreads, uvThreads } = sizingFor(candidate)
    const handle = spawn({ serviceName: 'Koutu model', env: { ...WORKER_ENV, UV_THREADPOOL_SIZE: String(uvThreads) } })
    const ready = deferred<ReadyMessage>()
    const probed = deferred<ProbeResult>()
    const exited = deferred<void>()
    const running: RunningWorker = { handle, candidate, ready: ready.promise, probed: probed.promise, exited: exited.promise, stopping: false, serving: false }
    handle.on('message', (message: unknown) => {
      if (isWorkerMessage(message)) onMessage(running, message, ready, probed)
    })
    handle.on('exit', (code: number | null) => {
      exited.resolve()
      const error = running.stopping
        ? new KoutuError('engine.closed', 'The local engine was closed.')
        : new KoutuError('engine.crashed', `The model process stopped unexpectedly (exit code ${code ?? 'none'}).`, {
            detail: { exitCode: code ?? -1 },
          })
      if (!running.stopping) logger.error('local engine: model process exited', { exitCode: code, device: candidate.kind })
      ready.reject(error)
      probed.reject(error)
      if (running.serving && current === running) onServingWorkerLost(running, error)
    })
    handle.postMessage({
      type: 'init',
      model: options.model,
      customModel: options.customModel,
      threads,
      finishThreads,
      ...(options.modelDir ? { modelDir: options.modelDir } : {}),
      ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
      device: candidate,
      ...init,
    })
    logger.info('local engine: model process started', { pid: handle.pid, model: options.model, threads, finishThreads, device: candidate.kind })
    return running
  }

  function onMessage(
    running: RunningWorker,
    message: WorkerMessage,
    ready: ReturnType<typeof deferred<ReadyMessage>>,
    probed: ReturnType<typeof deferred<ProbeResult>>,
  ): void {
    switch (message.type) {
      case 'probed':
        probed.resolve(message.result)
        return
      case 'ready':
        logger.info('local engine: model loaded', { model: message.model, loadMs: message.loadMs, device: message.device, variant: message.variant })
        ready.resolve(message)
        return
      case 'fatal': {
        const error = deserializeError(message.error)
        logger.error('local engine: model process could not start', { code: error.code, message: error.message, device: running.candidate.kind })
        ready.reject(error)
        probed.reject(error)
        // A process without a model is useless; the next request starts a fresh one.
        stop(running, true)
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
          notes: resultNotes(message.notes),
          ...(message.flags ? { flags: message.flags } : {}),
        })
        return
      }
      case 'error': {
        const entry = pending.get(message.id)
        if (!entry) return
        const error = deserializeError(message.error)
        // A model that fails to run on a GPU is the device's failure, not the photo's.
        if (running.candidate.gpu && error.code === 'engine.model-invalid' && current === running && !entry.retried) {
          onServingWorkerLost(running, error)
          return
        }
        pending.delete(message.id)
        entry.reject(error)
      }
    }
  }

  /** The device and a fallback not yet told, as facts (see [Note: device notes] in src/shared/device-notes.ts). */
  function resultNotes(notes: Record<string, string>): Record<string, string> {
    const extra: Record<string, string> = device ? { device: deviceNote(device) } : {}
    if (fallback && !fallback.told) {
      fallback.told = true
      extra.deviceFallback = fallbackNote(fallback)
    }
    return { ...notes, ...extra }
  }

  /** A device known only as a candidate (its process never said it was ready). */
  function candidateFacts(candidate: DeviceCandidate): DeviceInUseView {
    return { kind: candidate.kind, gpu: candidate.gpu, gpuName: candidate.gpu ? gpuName : null, threads: sizingFor(candidate).threads, variant: 'bundled' }
  }

  function stop(running: RunningWorker, kill: boolean): void {
    running.stopping = true
    if (kill) running.handle.kill()
    else running.handle.postMessage({ type: 'shutdown' })
  }

  /**
   * The serving worker died or its GPU failed. On the CPU that is a crash: the files in hand fail
   * with it (the batch engine retries them on a new engine). On a GPU the engine falls back:
   * the device is recorded as failed, a CPU worker starts, and every file in hand is sent again.
   */
  function onServingWorkerLost(running: RunningWorker, error: KoutuError): void {
    current = null
    worker = null
    if (!running.candidate.gpu || closed) {
      for (const [id, entry] of pending) {
        pending.delete(id)
        entry.reject(error)
      }
      return
    }
    if (!running.stopping) stop(running, true)
    const from = deviceFacts(device ?? candidateFacts(running.candidate))
    failed.add(running.candidate.kind)
    const crashed = error.code === 'engine.crashed'
    const reason = reasonOfFailure('batch', error)
    void verdicts
      .set(identity, running.candidate.kind, modelKey, {
        status: crashed ? 'crashed' : 'rejected',
        variant: null,
        reason: [reason],
        msPerRun: null,
        cpuMsPerRun: null,
        gpuName,
        testedAt: new Date().toISOString(),
      })
      .catch(() => undefined)
    device = null
    const next = (worker = launch())
    next.catch(() => {
      if (worker === next) worker = null
    })
    next.then(
      (replacement) => {
        const to = deviceFacts(device ?? candidateFacts(replacement.candidate))
        if (!fallback) {
          fallback = { from, to, reason, told: false }
          logger.warn('local engine: device failed during the batch; continuing on the next device', {
            from: describeDevice(inEnglish, from),
            to: describeDevice(inEnglish, to),
            reason: error.message,
          })
          options.onDeviceFallback?.({ from, to, reason })
        }
        for (const [id, entry] of pending) {
          if (entry.retried) {
            pending.delete(id)
            entry.reject(error)
            continue
          }
          entry.retried = true
          replacement.handle.postMessage({ type: 'process', id, inputPath: entry.request.inputPath, options: entry.request.options })
        }
      },
      (launchError: KoutuError) => {
        for (const [id, entry] of pending) {
          pending.delete(id)
          entry.reject(launchError)
        }
      },
    )
  }

  /** Wait for the probe, killing a worker that takes longer than the watchdog allows. */
  async function awaitProbe(running: RunningWorker): Promise<ProbeResult | { hung: true }> {
    const timeoutMs = options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS
    let timer: NodeJS.Timeout | undefined
    const watchdog = new Promise<{ hung: true }>((resolve) => {
      timer = setTimeout(() => resolve({ hung: true }), timeoutMs)
    })
    try {
      return await Promise.race([running.probed, watchdog])
    } finally {
      clearTimeout(timer)
    }
  }

  function inUse(running: RunningWorker, ready: ReadyMessage, notes: string[]): DeviceInUse {
    return { kind: ready.device, gpu: running.candidate.gpu, gpuName: running.candidate.gpu ? gpuName : null, threads: ready.threads, variant: ready.variant, notes }
  }

  /**
   * Choose the device and start its worker: each candidate in order, by its cached verdict, or
   * by a probe in the worker that will then serve (see [Note: device probe] in probe.ts).
   */
  async function launch(): Promise<RunningWorker> {
    const notes: string[] = []
    const candidates = candidateDevices(platform, preference).filter((candidate) => !failed.has(candidate.kind))
    for (const candidate of candidates) {
      const name = DEVICE_NAMES[candidate.kind]
      const last = candidate === candidates.at(-1)
      const plan = planCandidate(candidate, await verdicts.get(identity, candidate.kind, modelKey), context)
      if (plan.action === 'skip') {
        notes.push(plan.reason)
        logger.info('local engine: device skipped', { device: candidate.kind, reason: plan.reason })
        continue
      }
      if (plan.action === 'use') {
        const running = spawnWorker(candidate, { variant: plan.variant })
        try {
          return serve(running, await running.ready, notes)
        } catch (error) {
          if (last || !candidate.gpu) throw error
          // It passed its probe once but no longer starts (a driver update, a different adapter):
          // remembered, so the next start does not try it first again.
          const reason = reasonOfFailure('start', error as KoutuError)
          notes.push(`${name}: ${reasonsInEnglish([reason], 'did not start')}`)
          failed.add(candidate.kind)
          stop(running, true)
          await verdicts.set(identity, candidate.kind, modelKey, {
            status: (error as KoutuError).code === 'engine.crashed' ? 'crashed' : 'rejected', variant: null, reason: [reason], msPerRun: null, cpuMsPerRun: null, gpuName, testedAt: new Date().toISOString(),
          })
          continue
        }
      }
      const probeDir = options.probeDir ?? defaultProbeDir()
      // The CPU's probe only chooses between two variants that both work: one timed run each.
      const runs = plan.pickFastest && !candidate.gpu ? 1 : (options.probeRuns ?? 2)
      const request: ProbeRequest = { runs, measureCpu: plan.measureCpu, variants: plan.variants, pickFastest: plan.pickFastest, probeDir }
      await verdicts.set(identity, candidate.kind, modelKey, {
        status: 'probing', variant: null, reason: null, msPerRun: null, cpuMsPerRun: null, gpuName, testedAt: new Date().toISOString(),
      })
      const running = spawnWorker(candidate, { probe: request })
      let outcome: ProbeResult | { hung: true }
      try {
        outcome = await awaitProbe(running)
      } catch (error) {
        stop(running, true)
        // The process died during its probe: the device's doing. Anything else (a missing or
        // damaged model, no probe photo) is not, and would fail on every device alike.
        if ((error as KoutuError).code !== 'engine.crashed') {
          await verdicts.remove(identity, candidate.kind, modelKey)
          throw error
        }
        const reason = reasonOfFailure('probe', error as KoutuError)
        await verdicts.set(identity, candidate.kind, modelKey, {
          status: 'crashed', variant: null, reason: [reason], msPerRun: null, cpuMsPerRun: null, gpuName, testedAt: new Date().toISOString(),
        })
        if (last || !candidate.gpu) throw error
        notes.push(`${name}: ${reasonsInEnglish([reason], 'crashed')}`)
        continue
      }
      if ('hung' in outcome) {
        const reasons = [{ code: 'probe.hung' as const, params: { seconds: Math.round((options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS) / 1000) } }]
        stop(running, true)
        await verdicts.set(identity, candidate.kind, modelKey, {
          status: 'crashed', variant: null, reason: reasons, msPerRun: null, cpuMsPerRun: null, gpuName, testedAt: new Date().toISOString(),
        })
        const said = reasonsInEnglish(reasons, 'no answer')
        if (last) throw new KoutuError('engine.crashed', `The model process did not answer its device test within the time allowed (${said}).`)
        notes.push(`${name}: ${said}`)
        continue
      }
      const verdict = verdictOfProbe(outcome, candidate.gpu ? gpuName : null, new Date())
      await verdicts.set(identity, candidate.kind, modelKey, verdict)
      logger.info('local engine: device tested', { device: candidate.kind, passed: outcome.passed, variant: outcome.variant, msPerRun: outcome.msPerRun, cpuMsPerRun: outcome.cpuMsPerRun, reason: outcome.reason })
      const judged = planCandidate(candidate, verdict, context)
      if (judged.action !== 'use') {
        stop(running, true)
        if (last) throw new KoutuError('engine.model-invalid', `The model could not run on the ${name}: ${reasonsInEnglish(outcome.reason, 'unknown reason')}`)
        notes.push(judged.action === 'skip' ? judged.reason : `${name} failed its test`)
        continue
      }
      return serve(running, await running.ready, notes)
    }
    throw new KoutuError('engine.model-invalid', `No device could run the model: ${notes.join('; ')}`)
  }

  function serve(running: RunningWorker, ready: ReadyMessage, notes: string[]): RunningWorker {
    if (closed) {
      stop(running, false)
      throw new KoutuError('engine.closed', 'The local engine was closed.')
    }
    running.serving = true
    current = running
    device = inUse(running, ready, notes)
    logger.info('local engine: running on', { device: describeDevice(inEnglish, device), notes })
    options.onDeviceReady?.(device)
    return running
  }

  function ensureWorker(): Promise<RunningWorker> {
    if (!worker) {
      const launching = (worker = launch())
      // A failed start is reported to the requests waiting for it; the next request tries again.
      launching.catch(() => {
        if (worker === launching) worker = null
      })
    }
    return worker
  }

  async function processImage(request: CutoutRequest, signal: AbortSignal): Promise<CutoutResult> {
    if (closed) throw new KoutuError('engine.closed', 'The local engine was closed.')
    if (signal.aborted) throw aborted()
    const running = await abortable(ensureWorker(), signal, aborted)
    if (running !== current) {
      throw new KoutuError('engine.crashed', 'The model process stopped while starting.')
    }
    const id = nextId++
    return new Promise<CutoutResult>((resolve, reject) => {
      const onAbort = (): void => {
        if (!pending.delete(id)) return
        current?.handle.postMessage({ type: 'cancel', id })
        reject(aborted())
      }
      signal.addEventListener('abort', onAbort, { once: true })
      pending.set(id, {
        request,
        retried: false,
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
    // Known once the device is (a batch that starts before that gets the CPU's figure).
    get defaultConcurrency() {
      return device?.gpu && current ? sizingFor(current.candidate).inFlight : pipelineSizing(false, os.availableParallelism(), cpuThreads).inFlight
    },
    process: processImage,
    currentDevice: () => device,
    async prepare() {
      if (closed) throw new KoutuError('engine.closed', 'The local engine was closed.')
      await ensureWorker()
      return device!
    },
    async estimateCost() {
      return null
    },
    async close() {
      closed = true
      const launching = worker
      worker = null
      const running = current ?? (await launching?.catch(() => null)) ?? null
      current = null
      if (!running) return
      stop(running, false)
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
