/**
 * Entry of the local engine's finishing thread (built to out/main/local-finish-thread.js): a
 * worker thread inside the model process that decodes originals in full, scales masks up and
 * encodes cutouts (finish.ts). It imports the finishing code and nothing else: never the
 * model's session, so never onnxruntime-node, whose native module has open reports of crashes
 * when it is loaded in a worker thread inside Electron (microsoft/onnxruntime#20084).
 * test/main/engine/local/finish-thread.test.ts checks the built entry's imports and the
 * libraries a process running it has loaded.
 */
import { parentPort } from 'node:worker_threads'
import { serveFinishThread } from './finish'

if (!parentPort) throw new Error('local finish thread: start me as a worker thread (createThreadFinisher)')
serveFinishThread(parentPort)
