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
import { createForkSpawner, createLocalEngine, type WorkerSpawner } from '../main/engine/local/index'

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

export function createCliEngineFactory(logger: Logger, remote?: RemoteEngineFactory): EngineFactory {
  return (settings) => {
    if (settings.engine === 'local') {
      const spawnWorker = cliWorkerSpawner()
      return createLocalEngine({
        model: settings.localModel,
        customModel: settings.customModel,
        logger,
        ...(spawnWorker ? { spawnWorker } : {}),
      })
    }
    if (remote) return remote(settings)
    throw engineUnavailable(settings.engine)
  }
}
