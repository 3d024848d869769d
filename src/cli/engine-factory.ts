/**
 * Which engine the command line runs. Local: the ISNet engine with its model in a child process
 * (out/main/engine-worker.js next to the built cli.js; the TypeScript worker through tsx when the
 * command line itself runs from source). Remote engines are not wired yet (see RemoteEngineFactory).
 */
import { fileURLToPath } from 'node:url'
import { KoutuError } from '../shared/errors'
import type { Logger } from '../shared/logger'
import type { EngineKind } from '../shared/settings'
import type { EngineFactory } from '../main/batch/batch-service'
import type { BatchSettingsSnapshot } from '../shared/batch'
import type { CutoutEngine } from '../main/engine/types'
import {
  createForkSpawner,
  createLocalEngine,
  createVerdictStore,
  type LocalEngineOptions,
  type VerdictStore,
  type WorkerSpawner,
} from '../main/engine/local/index'
import { hostIdentity } from '../main/engine/local/host'
import { userDataLayout } from '../main/paths'

/** Lets the root program plug in the aipic engine once it exists. */
export type RemoteEngineFactory = (settings: BatchSettingsSnapshot) => CutoutEngine | Promise<CutoutEngine>

/** True when this module runs from its TypeScript source (tsx), not from the bundle. */
function runningFromSource(): boolean {
  return import.meta.url.endsWith('.ts')
}

/** The worker spawner for this way of running; undefined means the engine's default (the bundle's). */
export function cliWorkerSpawner(): WorkerSpawner | undefined {
  if (!runningFromSource()) return undefined
  return createForkSpawner({
    modulePath: fileURLToPath(new URL('../main/engine/local/worker-main.ts', import.meta.url)),
    execArgv: ['--import', 'tsx'],
  })
}

export function engineUnavailable(kind: EngineKind): KoutuError {
  return new KoutuError(
    'batch.engine-unavailable',
    `The ${kind} engine is not available on the command line yet; use --engine local.`,
    { detail: { engine: kind } },
  )
}

/** Where the command line keeps device verdicts and the fp32 twin (the app's user data folder). */
export interface CliEngineStorage {
  userDataDir: string
  version: string
}

/** Told when a local engine's model process is ready on a device, and when it falls back mid-batch. */
export type DeviceEvents = Pick<LocalEngineOptions, 'onDeviceReady' | 'onDeviceFallback'>

export function createCliEngineFactory(logger: Logger, remote?: RemoteEngineFactory, storage?: CliEngineStorage, devices: DeviceEvents = {}): EngineFactory {
  let verdicts: VerdictStore | null = null
  return (settings) => {
    if (settings.engine === 'local') {
      const spawnWorker = cliWorkerSpawner()
      const layout = storage ? userDataLayout(storage.userDataDir) : null
      verdicts ??= createVerdictStore(layout?.deviceVerdictsFile ?? null)
      return createLocalEngine({
        model: settings.localModel,
        customModel: settings.customModel,
        device: settings.localDevice ?? 'auto',
        logger,
        verdicts,
        ...(storage ? { identity: hostIdentity(`koutu ${storage.version} (command line)`) } : {}),
        ...(layout ? { cacheDir: layout.modelCacheDir } : {}),
        ...(spawnWorker ? { spawnWorker } : {}),
        ...devices,
      })
    }
    if (remote) return remote(settings)
    throw engineUnavailable(settings.engine)
  }
}
