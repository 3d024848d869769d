// The model process's output reaches the log: a real child process writing to stdout and stderr
// (split lines, multi-byte characters cut across chunks, a last line without a newline, a
// failed import's error) through logChildOutput, and through the glue's utility-process spawner
// with Electron's utilityProcess stood in by a real child process.
import { spawn } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { PassThrough } from 'node:stream'
import { describe, expect, it, vi } from 'vitest'
import { logChildOutput } from '../../../src/main/logging/child-output'
import type { Logger } from '../../../src/shared/logger'

type Entry = { level: string; message: string; fields?: Record<string, unknown> }

function capturingLogger(): { logger: Logger; entries: Entry[] } {
  const entries: Entry[] = []
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => entries.push({ level, message, ...(fields ? { fields } : {}) })
  return { entries, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } }
}

const forks = vi.hoisted(() => ({ options: [] as Array<Record<string, unknown>>, children: [] as EventEmitter[] }))

vi.mock('electron', () => {
  const utilityProcess = {
    // Electron's UtilityProcess with stdio 'pipe': stdout/stderr streams, 'exit' and 'error' events.
    fork(modulePath: string, args: string[], options: Record<string, unknown>) {
      forks.options.push(options)
      const real = spawn(process.execPath, [modulePath, ...args], { stdio: options.stdio === 'pipe' ? ['ignore', 'pipe', 'pipe'] : 'inherit' })
      const child = Object.assign(new EventEmitter(), { stdout: real.stdout, stderr: real.stderr, pid: real.pid, postMessage() {}, kill: () => real.kill() })
      real.on('close', (code) => child.emit('exit', code))
      forks.children.push(child)
      return child
    },
  }
  const stub = { utilityProcess, dialog: {}, safeStorage: {}, shell: {} }
  return { ...stub, default: stub }
})
vi.mock('electron-store', () => ({ default: class {} }))

describe('child process output', () => {
  it('logs every line of stdout (info) and stderr (warn), whatever the chunking', async () => {
    const { logger, entries } = capturingLogger()
    const script = [
      "process.stdout.write('loading model\\nready')",
      "process.stderr.write(Buffer.from('第一行\\n', 'utf8').subarray(0, 4))",
      "setTimeout(() => { process.stderr.write(Buffer.from('第一行\\n', 'utf8').subarray(4)); process.stderr.write('second\\r\\n\\n') }, 50)",
    ].join(';')
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
    logChildOutput(child.stdout, logger, { source: 'koutu-model', stream: 'stdout' })
    logChildOutput(child.stderr, logger, { source: 'koutu-model', stream: 'stderr' })
    await new Promise((resolve) => child.on('close', resolve))
    const lines = (level: string) => entries.filter((entry) => entry.level === level).map((entry) => entry.fields?.line)
    expect(lines('info')).toEqual(['loading model', 'ready'])
    expect(lines('warn')).toEqual(['第一行', 'second'])
    expect(entries.every((entry) => entry.fields?.source === 'koutu-model')).toBe(true)
  })

  it('cuts a very long line and survives a stream error', () => {
    const { logger, entries } = capturingLogger()
    const stream = new PassThrough()
    logChildOutput(stream, logger, { source: 'x', stream: 'stderr' })
    stream.write(`${'a'.repeat(5000)}\n`)
    stream.emit('error', new Error('EPIPE'))
    expect(String(entries[0]!.fields!.line)).toMatch(/^a{4000}… \(1000 more characters\)$/)
    expect(entries[1]).toMatchObject({ level: 'warn', fields: { error: 'EPIPE' } })
  })

  it("gets a failed import in the model process into the log, and logs the utility process's fatal errors", async () => {
    const { createUtilityProcessSpawner } = await import('../../../src/main/electron-services')
    const { logger, entries } = capturingLogger()
    const fs = await import('node:fs')
    const os = await import('node:os')
    const path = await import('node:path')
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-child-output-'))
    const worker = path.join(dir, 'worker.mjs')
    fs.writeFileSync(worker, "await import('onnxruntime-node-that-is-not-packaged')\n")
    const spawnWorker = createUtilityProcessSpawner(worker, logger)
    const handle = spawnWorker({ serviceName: 'koutu-model', env: {} })
    const code = await new Promise((resolve) => handle.on('exit', resolve))
    expect(code).toBe(1)
    expect(forks.options[0]).toMatchObject({ serviceName: 'koutu-model', stdio: 'pipe' })
    // Give the pipe's last chunk a moment after the exit.
    await new Promise((resolve) => setTimeout(resolve, 50))
    const stderr = entries.filter((entry) => entry.level === 'warn').map((entry) => String(entry.fields?.line))
    expect(stderr.some((line) => line.includes("Cannot find package 'onnxruntime-node-that-is-not-packaged'"))).toBe(true)
    forks.children[0]!.emit('error', 'FatalError', 'v8::ToLocalChecked Empty MaybeLocal', '{"header":{}}')
    expect(entries.at(-1)).toMatchObject({ level: 'error', fields: { type: 'FatalError', location: 'v8::ToLocalChecked Empty MaybeLocal' } })
    fs.rmSync(dir, { recursive: true, force: true })
  })
})
