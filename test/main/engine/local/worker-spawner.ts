/**
 * Forks the real worker entry (TypeScript source through tsx) and remembers every process it
 * started, so tests can kill one to simulate a crash.
 */
import { fileURLToPath } from 'node:url'
import { createForkSpawner, type WorkerHandle, type WorkerSpawner } from '../../../../src/main/engine/local/spawn'

export const WORKER_SOURCE = fileURLToPath(new URL('../../../../src/main/engine/local/worker-main.ts', import.meta.url))

export function sourceWorkerSpawner(): { spawn: WorkerSpawner; handles: WorkerHandle[] } {
  const fork = createForkSpawner({ modulePath: WORKER_SOURCE, execArgv: ['--import', 'tsx'] })
  const handles: WorkerHandle[] = []
  return {
    handles,
    spawn: (spec) => {
      const handle = fork(spec)
      handles.push(handle)
      return handle
    },
  }
}
