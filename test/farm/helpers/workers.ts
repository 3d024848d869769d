/** Starting farm worker processes (worker-child.ts) and following what they print. */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ChildConfig } from './worker-child'

const CHILD = fileURLToPath(new URL('./worker-child.ts', import.meta.url))
const REPO = fileURLToPath(new URL('../../..', import.meta.url))

export interface WorkerEvent {
  event: 'ready' | 'outcome' | 'closed'
  [key: string]: unknown
}

export interface WorkerProcess {
  child: ChildProcess
  events: WorkerEvent[]
  stderr(): string
  /** Resolves with the first event (seen already or to come) that matches. */
  waitFor(match: (event: WorkerEvent) => boolean, timeoutMs?: number): Promise<WorkerEvent>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  outcomes(): WorkerEvent[]
}

export function startWorkerProcess(config: ChildConfig): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(config)], {
    cwd: REPO,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const events: WorkerEvent[] = []
  const waiters: Array<{ match: (event: WorkerEvent) => boolean; resolve: (event: WorkerEvent) => void }> = []
  let buffered = ''
  let errors = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8')
    let newline
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      if (!line.startsWith('{')) continue
      const event = JSON.parse(line) as WorkerEvent
      events.push(event)
      for (const waiter of waiters.splice(0)) {
        if (waiter.match(event)) waiter.resolve(event)
        else waiters.push(waiter)
      }
    }
  })
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  return {
    child,
    events,
    stderr: () => errors,
    exited,
    outcomes: () => events.filter((event) => event.event === 'outcome'),
    waitFor(match, timeoutMs = 60_000) {
      const seen = events.find(match)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching worker event in ${timeoutMs} ms; stderr: ${errors.slice(-2000)}`)), timeoutMs)
        waiters.push({
          match,
          resolve: (event) => {
            clearTimeout(timer)
            resolve(event)
          },
        })
      })
    },
  }
}

/** SIGTERM, and SIGKILL if it has not stopped after `graceMs`. */
export async function stopWorker(worker: WorkerProcess, graceMs = 15_000): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return
  worker.child.kill('SIGTERM')
  const timer = setTimeout(() => worker.child.kill('SIGKILL'), graceMs)
  await worker.exited
  clearTimeout(timer)
}
