/** The real local engine for batch tests: its model process forked from the TypeScript source with tsx. */
import { fileURLToPath } from 'node:url'
import type { EngineFactory } from '../../../../src/main/batch/batch-service'
import { createForkSpawner, createLocalEngine } from '../../../../src/main/engine/local/index'
import type { Logger } from '../../../../src/shared/logger'

export const WORKER_SOURCE = fileURLToPath(new URL('../../../../src/main/engine/local/worker-main.ts', import.meta.url))

export function localEngineFactory(logger: Logger): EngineFactory {
  return (settings) =>
    createLocalEngine({
      model: settings.localModel,
      customModel: settings.customModel,
      // These tests are about the batch engine (and kill "the" model process): one CPU process,
      // no device probe beside it. Device choice is tested in test/main/engine/local/gpu.test.ts.
      device: 'cpu',
      logger,
      spawnWorker: createForkSpawner({ modulePath: WORKER_SOURCE, execArgv: ['--import', 'tsx'] }),
    })
}
