/**
 * `koutu farm work --device auto|gpu|cpu` against a real Redis, the worker a real child process
 * with the real local engine: a value outside the three is a usage error (exit code 2, nothing
 * started), and the device named is the one this worker's local model runs on, whatever the
 * enqueuing machine and this machine's setting say. The worker's model process sees a real GPU
 * adapter (WebGPU on SwiftShader, test/helpers/swiftshader.ts); a tiny model the test makes
 * keeps each run short.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readFarmStatus } from '../../src/main/farm/farm-status'
import { userDataLayout } from '../../src/main/paths'
import { startCli } from '../cli/helpers'
import { runCliInProcess } from './helpers/cli-in-process'
import { listTree, makeTempDir, writeImage } from '../main/batch/helpers/fixtures'
import { startRedis, type RedisServer } from './helpers/redis-server'
import { swiftShaderEnv } from '../helpers/swiftshader'
import { tinyFp32Model } from '../helpers/tiny-models'

let redis: RedisServer
let root: string
let userData: string
const gpuEnv = swiftShaderEnv()

beforeEach(async () => {
  redis = await startRedis()
  root = await makeTempDir('koutu-farm-device-')
  userData = path.join(root, 'user-data')
  const model = path.join(root, 'tiny.onnx')
  await fs.writeFile(model, tinyFp32Model(64))
  // This machine enqueues and works; its own setting is the CPU.
  await fs.mkdir(userData, { recursive: true })
  await fs.writeFile(
    userDataLayout(userData).settingsFile,
    JSON.stringify({
      localModel: 'custom',
      customModel: { path: model, inputSize: 64, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], applySigmoid: false },
      localDevice: 'cpu',
    }),
  )
})

afterEach(async () => {
  await redis.stop()
  await fs.rm(root, { recursive: true, force: true })
})

afterAll(async () => {
  await fs.rm(gpuEnv.XDG_RUNTIME_DIR!, { recursive: true, force: true })
})

/** Enqueues a folder of `count` photos as a new farm batch. */
async function enqueuePhotos(folder: string, count: number): Promise<void> {
  for (let index = 0; index < count; index++) await writeImage(path.join(folder, `photo-${index}.jpg`), { width: 80, height: 60 })
  const enqueued = await runCliInProcess(['farm', 'enqueue', folder, '--redis', redis.url], userData)
  expect(enqueued.code, enqueued.stderr).toBe(0)
}

/** Runs `farm work` with `args` until the queue has `done` photos done, then stops it with SIGTERM. */
async function workUntilDone(args: string[], done: number): Promise<{ code: number | null; stderr: string }> {
  const worker = startCli(['farm', 'work', '--redis', redis.url, '--concurrency', '1', ...args], userData, undefined, gpuEnv)
  const deadline = Date.now() + 150_000
  let status = await readFarmStatus(redis.client, 'farm')
  while (status.done < done && status.failed === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 300))
    status = await readFarmStatus(redis.client, 'farm')
  }
  worker.child.kill('SIGTERM')
  const ended = await worker.done
  expect(status, ended.stderr).toMatchObject({ done, failed: 0 })
  return ended
}

describe('koutu farm work --device', () => {
  it('refuses a device that is not auto, gpu or cpu with a usage error, before connecting', async () => {
    const refused = await runCliInProcess(['farm', 'work', '--redis', redis.url, '--device', 'tpu'], userData)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain("option '--device <device>' argument 'tpu' is invalid. Allowed choices are auto, gpu, cpu.")
    expect(refused.stdout).toBe('')
    expect((await readFarmStatus(redis.client, 'farm')).workers).toEqual([])
    const help = await runCliInProcess(['farm', 'work', '--help'], userData)
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('--device <device> where this machine\'s local model runs (choices: "auto", "gpu", "cpu")')
  })

  it("runs this worker's local model on the device asked for and names it, over the batch's and the machine's setting", async () => {
    const first = path.join(root, 'share', 'first')
    await enqueuePhotos(first, 2)
    const onGpu = await workUntilDone(['--device', 'gpu'], 2)
    expect(onGpu.code, onGpu.stderr).toBe(0)
    expect(onGpu.stderr).toContain('koutu farm: the local model runs on GPU, WebGPU: SwiftShader (Vulkan on the CPU) (device gpu)\n')
    // Named once, not per photo.
    expect(onGpu.stderr.match(/the local model runs on/g)).toHaveLength(1)
    expect(await listTree(first)).toEqual(['photo-0-cutout.png', 'photo-0.jpg', 'photo-1-cutout.png', 'photo-1.jpg'])

    const second = path.join(root, 'share', 'second')
    await enqueuePhotos(second, 1)
    const onCpu = await workUntilDone(['--device', 'cpu'], 3)
    expect(onCpu.code, onCpu.stderr).toBe(0)
    expect(onCpu.stderr).toMatch(/koutu farm: the local model runs on CPU, \d+ threads? \(device cpu\)\n/)
    expect(onCpu.stderr).not.toContain('WebGPU')
    expect(await listTree(second)).toEqual(['photo-0-cutout.png', 'photo-0.jpg'])
  }, 240_000)
})
