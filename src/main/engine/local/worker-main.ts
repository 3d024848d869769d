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
import { createThreadFinisher, defaultFinishThreadEntry } from './finish'
import { loadVerifiedModel, resolveModel } from './model'
import { CutoutPipeline } from './pipeline'
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

async function init(message: InitMessage): Promise<CutoutPipeline> {
  const started = performance.now()
  const resolved = await resolveModel(message.model, message.customModel, message.modelDir ? { modelDir: message.modelDir } : {})
  const bytes = await loadVerifiedModel(resolved)
  const threads = message.threads > 0 ? message.threads : os.availableParallelism()
  session = await createMaskSession(bytes, resolved.spec, { threads })
  const finisher = createThreadFinisher(defaultFinishThreadEntry(), undefined, {
    onFallback: (reason) => logger.warn('engine worker: the finishing thread cannot start; finishing on the model thread', { reason }),
  })
  pipeline = new CutoutPipeline(session, { finisher })
  send({ type: 'ready', model: message.model, inputSize: resolved.spec.inputSize, loadMs: Math.round(performance.now() - started) })
  return pipeline
}
