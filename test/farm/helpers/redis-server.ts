/**
 * A real Redis for the farm tests: Debian's redis-server started on a free loopback port with no
 * persistence and a scratch folder, stopped (and the folder removed) after.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'

export interface RedisServer {
  url: string
  port: number
  /** A client for the test's own looks (closed by stop()). */
  client: Redis
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** `password`: started with --requirepass (the URL stays without it; the client uses it). */
export async function startRedis(options: { password?: string; extraArgs?: string[] } = {}): Promise<RedisServer> {
  const extraArgs = [...(options.password ? ['--requirepass', options.password] : []), ...(options.extraArgs ?? [])]
  const dir = await mkdtemp(join(tmpdir(), 'koutu-redis-'))
  for (let attempt = 0; ; attempt += 1) {
    const port = await freePort()
    const child: ChildProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no', ...extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000)
      child.stdout!.on('data', () => {
        if (/Ready to accept connections/.test(output)) {
          clearTimeout(timer)
          resolve(true)
        }
      })
      child.once('exit', () => {
        clearTimeout(timer)
        resolve(false)
      })
    })
    if (!ready) {
      child.kill('SIGKILL')
      if (attempt < 3 && /Address already in use/.test(output)) continue
      await rm(dir, { recursive: true, force: true })
      throw new Error(`redis-server did not start: ${output}`)
    }
    const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 2, ...(options.password ? { password: options.password } : {}) })
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      client,
      async stop() {
        client.disconnect()
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))])
        if (child.exitCode === null) child.kill('SIGKILL')
        await rm(dir, { recursive: true, force: true })
      },
    }
  }
}
