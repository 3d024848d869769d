/**
 * How the local engine starts its model process, kept behind one small interface so the same
 * engine runs under Electron (utilityProcess) and plain Node (child_process.fork).
 *
 * [Note: worker spawner] Electron's `UtilityProcess` already has exactly the `WorkerHandle`
 * shape (`postMessage`, `on('message' | 'exit')`, `kill`, `pid`), so the app's spawner is one
 * line in the glue file (utilityProcess's `env` replaces the environment, hence the spread):
 * `utilityProcess.fork(workerPath, [], { serviceName: spec.serviceName,
 * env: { ...process.env, ...spec.env }, stdio: 'pipe' })`, its output piped into the log
 * (a packaged app has no console). Under plain
 * Node, `createForkSpawner` adapts child_process.fork. Either way messages travel by structured
 * clone, so output bytes cross as a Uint8Array rather than as JSON.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ParentMessage } from './protocol'

/** What the engine needs from a running model process. */
export interface WorkerHandle {
  postMessage(message: ParentMessage): void
  on(event: 'message', listener: (message: unknown) => void): unknown
  on(event: 'exit', listener: (code: number | null) => void): unknown
  kill(): unknown
  readonly pid: number | undefined
}

/** What the spawner is asked for: a name for the process list and extra environment. */
export interface WorkerSpawnSpec {
  serviceName: string
  /** Environment variables to add to the parent's. */
  env: Record<string, string>
}

/** Starts one model process running worker-main (built to out/main/engine-worker.js). */
export type WorkerSpawner = (spec: WorkerSpawnSpec) => WorkerHandle

export interface ForkSpawnerOptions {
  /** The worker entry: the built engine-worker.js, or worker-main.ts with tsx in execArgv. */
  modulePath: string
  /** Node flags for the child, e.g. ['--import', 'tsx'] to run the TypeScript source. */
  execArgv?: string[]
}

/** A spawner over child_process.fork, for the command line, tests and benchmarks. */
export function createForkSpawner(options: ForkSpawnerOptions): WorkerSpawner {
  return (spec) => {
    const child = fork(options.modulePath, [], {
      serialization: 'advanced',
      execArgv: options.execArgv ?? [],
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    // A send to a process that just died emits 'error'; the 'exit' listener reports the crash.
    child.on('error', () => {})
    return {
      pid: child.pid,
      postMessage(message) {
        if (child.connected) child.send(message)
      },
      on(event: 'message' | 'exit', listener: (value: never) => void) {
        if (event === 'message') child.on('message', listener as (message: unknown) => void)
        else child.on('exit', (code: number | null) => (listener as (code: number | null) => void)(code))
        return this
      },
      kill() {
        return child.kill('SIGKILL')
      },
    }
  }
}

/** The built worker next to the bundled main (out/main/engine-worker.js). */
export function defaultWorkerPath(): string {
  return fileURLToPath(new URL('./engine-worker.js', import.meta.url))
}
