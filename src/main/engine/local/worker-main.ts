/**
 * Entry point of the model process (built to out/main/engine-worker.js). Owns the process side
 * of the protocol: it finds its channel to the parent (Electron's `process.parentPort` in a
 * utilityProcess, `process.send` under child_process.fork), loads and verifies the model once,
 * creates the one onnxruntime session, and feeds requests to the overlapping pipeline.
 *
 * The process's finishing thread (worker_threads, see pipeline.ts) has an entry of its own,
 * finish-thread.ts, so that thread never loads onnxruntime-node.
 */
import os from 'node:os'
import sharp from 'sharp'
import { KoutuError, serializeError } from '../../../shared/errors'
import { createStderrLogger } from '../../logging/stderr-logger'
import { CPU_CANDIDATE, type ModelVariant } from './devices'
import { createFinisherPool, createThreadFinisher, defaultFinishThreadEntry } from './finish'
import { buildFp32Twin, loadFp32Twin } from './fp32-twin'
import { loadVerifiedModel, resolveModel, type ResolvedModel } from './model'
import { CutoutPipeline } from './pipeline'
import { loadProbeMaterial } from './probe-material'
import { probeDevice } from './probe'
import { isParentMessage, type InitMessage, type ParentMessage, type WorkerMessage } from './protocol'
import { createMaskSession, type MaskSession } from './session'

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void
  postMessage(message: unknown): void
}

const logger = createStderrLogger('warn')

/** Pick the channel this process was started with. */
function connect(onMessage: (message: unknown) => void): (message: WorkerMessage) => void {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort
  if (parentPort) {
    parentPort.on('message', (event) => onMessage(event.data))
    return (message) => parentPort.postMessage(message)
  }
  if (process.send) {
    process.on('message', onMessage)
    // The parent went away (crashed or was killed): nothing left to work for.
    process.on('disconnect', () => process.exit(0))
    return (message) => {
      if (process.connected) process.send!(message)
    }
  }
  process.stderr.write('engine-worker: start me through the local engine (no IPC channel found)\n')
  process.exit(2)
}

// libvips' operation cache would keep recently decoded originals alive; we never reuse them.
sharp.cache(false)
// One libvips thread per operation: onnxruntime owns the cores during inference, and decode and
// encode of neighbouring images run side by side on libuv's pool instead.
sharp.concurrency(1)

let pipeline: CutoutPipeline | null = null
let session: MaskSession | null = null
let ready: Promise<CutoutPipeline> | null = null
let send: (message: WorkerMessage) => void = () => undefined

send = connect((message) => {
  if (!isParentMessage(message)) return
  handle(message).catch((error: unknown) => logger.error('engine worker: unexpected failure', { error: String(error) }))
})

async function handle(message: ParentMessage): Promise<void> {
  switch (message.type) {
    case 'init':
      ready = init(message)
      try {
        await ready
      } catch (error) {
        send({ type: 'fatal', error: serializeError(error) })
      }
      return
    case 'process': {
      try {
        if (!ready) throw new KoutuError('internal.unexpected', 'The engine worker got work before init.')
        const active = await ready
        const result = await active.process(message.id, message.inputPath, message.options)
        send({ type: 'result', id: message.id, ...result, data: new Uint8Array(result.data.buffer, result.data.byteOffset, result.data.byteLength) })
      } catch (error) {
        send({ type: 'error', id: message.id, error: serializeError(error) })
      }
      return
    }
    case 'cancel':
      pipeline?.cancel(message.id)
      return
    case 'shutdown':
      await pipeline?.close().catch(() => undefined)
      await session?.release().catch(() => undefined)
      process.exit(0)
  }
}

/** Loads each variant of the model at most once (the probe may ask for both). */
function variantLoader(resolved: ResolvedModel, cacheDir: string | undefined): (variant: ModelVariant) => Promise<Uint8Array> {
  let bundled: Promise<Uint8Array> | null = null
  const loadBundled = (): Promise<Uint8Array> => (bundled ??= loadVerifiedModel(resolved))
  return async (variant) => {
    if (variant === 'bundled') return loadBundled()
    if (resolved.sha256 === null) {
      // A user's own model: its twin cannot have a known digest, so it is built in memory each
      // time (a second or two for a model of ISNet's size) and never cached.
      const { bytes, stats } = buildFp32Twin(await loadBundled())
      if (stats.initializers + stats.constants + stats.casts === 0) throw new Error('the model has nothing in fp16 to widen')
      return bytes
    }
    const twin = cacheDir ? await loadFp32Twin(resolved.spec.id, loadBundled, cacheDir) : null
    if (!twin) throw new KoutuError('engine.model-missing', `The model ${resolved.spec.id} has no fp32 copy.`)
    return twin
  }
}

async function init(message: InitMessage): Promise<CutoutPipeline> {
  const started = performance.now()
  const resolved = await resolveModel(message.model, message.customModel, message.modelDir ? { modelDir: message.modelDir } : {})
  const threads = message.threads > 0 ? message.threads : os.availableParallelism()
  const device = message.device ?? CPU_CANDIDATE
  const load = variantLoader(resolved, message.cacheDir)
  const create = (bytes: Uint8Array, provider: string | Record<string, unknown>): Promise<MaskSession> =>
    createMaskSession(bytes, resolved.spec, { threads, provider })
  let variant: ModelVariant = message.variant ?? 'bundled'
  if (message.probe) {
    const probe = message.probe
    const material = await loadProbeMaterial(resolved, probe.probeDir, () => load('bundled').then((bytes) => create(bytes, CPU_CANDIDATE.provider)))
    const { result, session: proven } = await probeDevice(
      {
        variants: probe.variants.map((name) => ({ variant: name, load: () => load(name) })),
        createSession: (bytes) => create(bytes, device.provider),
        probeInput: material.input,
        reference: material.reference,
        cpuMsPerRun: material.cpuMsPerRun,
      },
      { runs: probe.runs, measureCpu: probe.measureCpu, pickFastest: probe.pickFastest },
    )
    await material.release()
    send({ type: 'probed', result })
    // A device that failed its probe serves nothing: the parent stops this process.
    if (!proven) return new Promise<CutoutPipeline>(() => undefined)
    session = proven
    variant = result.variant ?? variant
  } else {
    session = await create(await load(variant), device.provider)
  }
  const finishers = Array.from({ length: Math.max(1, message.finishThreads ?? 1) }, () =>
    createThreadFinisher(defaultFinishThreadEntry(), undefined, {
      onFallback: (reason) => logger.warn('engine worker: the finishing thread cannot start; finishing on the model thread', { reason }),
    }),
  )
  pipeline = new CutoutPipeline(session, { finisher: createFinisherPool(finishers) })
  send({
    type: 'ready',
    model: message.model,
    inputSize: resolved.spec.inputSize,
    loadMs: Math.round(performance.now() - started),
    device: device.kind,
    variant,
    threads,
  })
  return pipeline
}
