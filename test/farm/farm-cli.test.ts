/**
 * `koutu farm …` against a real Redis: enqueue and work as real child processes with the real
 * local engine (the other commands run in this process through the same program), where the
 * share is enqueued through one path and worked on through another (`--map`, as a Mac and a
 * Linux machine mount it differently), SIGTERM stops the worker after its photos, and status,
 * retry-failed and clear answer as documented, including the warnings about a Redis that is not
 * set up for a queue.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { Queue } from 'bullmq'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BULL_PREFIX } from '../../src/main/farm/farm-queue'
import { readFarmStatus, type FarmStatus } from '../../src/main/farm/farm-status'
import { runCli, startCli } from '../cli/helpers'
import { runCliInProcess } from './helpers/cli-in-process'
import { listTree, makeTempDir, sha256, writeImage } from '../main/batch/helpers/fixtures'
import { startRedis, type RedisServer } from './helpers/redis-server'

let redis: RedisServer
let root: string

beforeEach(async () => {
  redis = await startRedis()
  root = await makeTempDir('koutu-farm-cli-')
})

afterEach(async () => {
  await redis.stop()
  await fs.rm(root, { recursive: true, force: true })
})

async function status(userData: string): Promise<FarmStatus> {
  const result = await runCliInProcess(['farm', 'status', '--redis', redis.url, '--json'], userData)
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(result.stdout) as FarmStatus
}

describe('koutu farm', () => {
  it('enqueues through one view of the share and works through another with --map; SIGTERM ends the worker cleanly', async () => {
    const userData = path.join(root, 'user-data')
    const real = path.join(root, 'nas', 'Shoot')
    await writeImage(path.join(real, 'a.jpg'), { width: 64, height: 48 })
    await writeImage(path.join(real, 'sub', 'b.png'), { width: 48, height: 64 })
    const hashes = [await sha256(path.join(real, 'a.jpg')), await sha256(path.join(real, 'sub', 'b.png'))]
    // The enqueuing machine mounts the share at Volumes/Shoot, the worker at mnt/shoot.
    const macView = path.join(root, 'Volumes', 'Shoot')
    const linuxView = path.join(root, 'mnt', 'shoot')
    await fs.mkdir(path.dirname(macView), { recursive: true })
    await fs.mkdir(path.dirname(linuxView), { recursive: true })
    await fs.symlink(real, macView)

    // The small model keeps the real engine quick here.
    const enqueued = await runCli(['farm', 'enqueue', macView, '--redis', redis.url, '--model', 'isnet-small', '--json'], userData)
    expect(enqueued.code, enqueued.stderr).toBe(0)
    const result = JSON.parse(enqueued.stdout) as { batchId: string; added: number; found: number }
    expect(result).toMatchObject({ found: 2, added: 2 })
    const again = await runCliInProcess(['farm', 'enqueue', macView, '--redis', redis.url, '--model', 'isnet-small'], userData)
    expect(again.stdout).toContain(`farm batch ${result.batchId}: 0 new job(s)`)
    expect(await status(userData)).toMatchObject({ waiting: 2, active: 0, done: 0 })

    // The worker's machine does not have the enqueuer's path at all.
    await fs.unlink(macView)
    await fs.symlink(real, linuxView)
    const badMap = await runCliInProcess(['farm', 'work', '--redis', redis.url, '--map', 'relative=/x'], userData)
    expect(badMap.code).toBe(2)
    expect(badMap.stderr).toMatch(/FROM=TO/)

    // A short lock: the model runs in its own process, so the worker's event loop keeps renewing
    // it while a photo takes seconds; had it blocked, the job would have been taken as stalled.
    const worker = startCli(['farm', 'work', '--redis', redis.url, '--map', `${macView}=${linuxView}`, '--concurrency', '1', '--lock-ms', '3000'], userData)
    const deadline = Date.now() + 150_000
    // Polled in this process (the same reader as the command); the command itself is checked after.
    let current = await readFarmStatus(redis.client, 'farm')
    while ((current.done < 2 || current.workers[0]?.done !== 2) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 300))
      current = await readFarmStatus(redis.client, 'farm')
    }
    expect(current).toMatchObject({ done: 2, failed: 0, waiting: 0, active: 0 })
    expect(current.workers).toHaveLength(1)
    expect(current.workers[0]!.done).toBe(2)
    expect(await status(userData)).toMatchObject({ done: 2, workers: [expect.objectContaining({ done: 2 })] })
    const queue = new Queue('farm', { connection: redis.client, prefix: BULL_PREFIX })
    const completed = await queue.getCompleted(0, -1)
    await queue.close()
    expect(completed.map((job) => job.stalledCounter)).toEqual([0, 0])
    worker.child.kill('SIGTERM')
    const ended = await worker.done
    expect(ended.code, ended.stderr).toBe(0)
    expect(ended.stderr).toContain('worker stopped: 2 done')
    // The worker's heartbeat is gone once it stopped.
    expect((await status(userData)).workers).toEqual([])

    expect(await listTree(real)).toEqual(['a-cutout.png', 'a.jpg', path.join('sub', 'b-cutout.png'), path.join('sub', 'b.png')])
    expect([await sha256(path.join(real, 'a.jpg')), await sha256(path.join(real, 'sub', 'b.png'))]).toEqual(hashes)
    const meta = await sharp(path.join(real, 'sub', 'b-cutout.png')).metadata()
    expect(meta).toMatchObject({ width: 48, height: 64, channels: 4 })
  }, 200_000)

  it('status warns about eviction and missing persistence; retry-failed and clear do what they say', async () => {
    const userData = path.join(root, 'user-data')
    const share = path.join(root, 'share')
    await writeImage(path.join(share, 'one.jpg'))
    // Named like an image: queued (the worker would find out).
    await fs.writeFile(path.join(share, 'broken.jpg'), 'not a jpeg')
    expect((await runCliInProcess(['farm', 'enqueue', share, '--redis', redis.url], userData)).code).toBe(0)

    const plain = await runCliInProcess(['farm', 'status', '--redis', redis.url], userData)
    expect(plain.stdout).toContain('2 waiting')
    expect(plain.stdout).toMatch(/warning: Redis has no persistence/)
    expect(plain.stdout).not.toMatch(/maxmemory-policy/)
    await redis.client.config('SET', 'maxmemory-policy', 'allkeys-lru')
    expect((await runCliInProcess(['farm', 'status', '--redis', redis.url], userData)).stdout).toMatch(/maxmemory-policy is "allkeys-lru"/)
    await redis.client.config('SET', 'maxmemory-policy', 'noeviction')
    await redis.client.config('SET', 'appendonly', 'yes')
    expect((await status(userData)).warnings).toEqual([])

    const unreachable = await runCliInProcess(['farm', 'status', '--redis', 'redis://127.0.0.1:1'], userData)
    expect(unreachable.code).toBe(2)
    expect(unreachable.stderr).toMatch(/cannot be reached/)
    const noUrl = await runCliInProcess(['farm', 'status'], userData)
    expect(noUrl.code).toBe(2)
    expect(noUrl.stderr).toMatch(/--redis/)

    const clearRefused = await runCliInProcess(['farm', 'clear', '--redis', redis.url], userData)
    expect(clearRefused.code).toBe(2)
    expect((await status(userData)).waiting).toBe(2)
    const retried = await runCliInProcess(['farm', 'retry-failed', '--redis', redis.url], userData)
    expect(retried.stdout).toContain('0 job(s) back in the queue')
    const cleared = await runCliInProcess(['farm', 'clear', '--redis', redis.url, '--yes'], userData)
    expect(cleared.code, cleared.stderr).toBe(0)
    expect(await status(userData)).toMatchObject({ waiting: 0, done: 0, failed: 0 })
    // Only the queue's own metadata, which BullMQ writes whenever the queue is opened.
    expect(await redis.client.keys('koutu*')).toEqual(['koutu:farm:meta'])
  }, 120_000)
})
