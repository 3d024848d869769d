/**
 * The finishing stage of the aipic engine in a worker thread (built to
 * out/main/aipic-finish-worker.js): reading the returned cutout and compositing the output run
 * JavaScript loops over every pixel (alpha split, edge decontamination) that would otherwise
 * stall the main process, and with it the window, for hundreds of milliseconds per photo.
 * sharp's own work runs on libuv's thread pool either way.
 *
 * Protocol: `{ ready: true }` once loaded; then `{ id, input: FinishInput }` in and
 * `{ id, ok: true, output }` or `{ id, ok: false, error: SerializedError }` out.
 */
import { parentPort } from 'node:worker_threads'
import { serializeError } from '../../../shared/errors'
import { finishRemoteCutout, type FinishInput } from './apply-result'

if (!parentPort) throw new Error('aipic finish worker: run me as a worker thread')
const port = parentPort

// Loaded: the pool now knows a later death is a crash, not a start-up failure.
port.postMessage({ ready: true })

port.on('message', (message: { id: number; input: FinishInput }) => {
  finishRemoteCutout(message.input).then(
    (output) => port.postMessage({ id: message.id, ok: true, output }),
    (error: unknown) => port.postMessage({ id: message.id, ok: false, error: serializeError(error) }),
  )
})
