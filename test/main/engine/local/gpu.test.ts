/**
 * The local engine on a real GPU adapter: WebGPU on SwiftShader (test/helpers/swiftshader.ts),
 * through the real model process, with tiny ONNX models the test builds (test/helpers/tiny-models)
 * so each run costs milliseconds. The fp16 tiny model is stored the way ISNet medium is (fp16
 * weights, casts, a Transpose), so SwiftShader fails it on the first run for want of `shader-f16`
 * exactly as it fails ISNet medium (gpu-isnet.test.ts checks that one on the real model).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os, { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createLocalEngine, pipelineSizing, type LocalEngine, type LocalEngineOptions } from '../../../../src/main/engine/local'
import { detectHostGpu, hostIdentity } from '../../../../src/main/engine/local/host'
import { createVerdictStore, type VerdictStore } from '../../../../src/main/engine/local/verdicts'
import type { OutputOptions } from '../../../../src/main/engine/types'
import { readDeviceNote, readFallbackNote } from '../../../../src/shared/device-notes'
import { describeDevice, describeFallback, inEnglish } from '../../../../src/shared/device-texts'
import { silentLogger } from '../../../../src/shared/logger'
import type { CustomModel } from '../../../../src/shared/settings'
import sharp from 'sharp'
import { maskIoU, writePhoto } from '../../../helpers/images'
import { swiftShaderEnv } from '../../../helpers/swiftshader'
import { tinyFp16Model, tinyFp32Model } from '../../../helpers/tiny-models'
import { sourceWorkerSpawner } from './worker-spawner'
import type { WorkerHandle, WorkerSpawner } from '../../../../src/main/engine/local/spawn'

const SIZE = 64
const OPTIONS: OutputOptions = { format: 'png', backgroundColor: null, maskOnly: true, cropMargin: null, decontaminateEdges: false, maxMegapixels: 100 }
const signal = (): AbortSignal => new AbortController().signal

let dir: string
let fp16: CustomModel
let fp32: CustomModel
let photos: string[]
const gpuEnv = swiftShaderEnv()
const engines: LocalEngine[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'koutu-gpu-'))
  const parameters = { inputSize: SIZE, mean: [0.5, 0.5, 0.5] as [number, number, number], std: [0.5, 0.5, 0.5] as [number, number, number], applySigmoid: false }
  await writeFile(join(dir, 'tiny-fp16.onnx'), tinyFp16Model(SIZE))
  await writeFile(join(dir, 'tiny-fp32.onnx'), tinyFp32Model(SIZE))
  fp16 = { path: join(dir, 'tiny-fp16.onnx'), ...parameters }
  fp32 = { path: join(dir, 'tiny-fp32.onnx'), ...parameters }
  photos = [
    await writePhoto(dir, 'astronaut.jpg', 'astronaut'),
    await writePhoto(dir, 'coffee.jpg', 'coffee'),
    await writePhoto(dir, 'rocket.jpg', 'rocket', { orientation: 6 }),
    await writePhoto(dir, 'chelsea.jpg', 'chelsea'),
    await writePhoto(dir, 'motorcycle.jpg', 'motorcycle'),
    await writePhoto(dir, 'camera.jpg', 'camera', { variant: 'grayscale' }),
  ]
})
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
  await rm(gpuEnv.XDG_RUNTIME_DIR!, { recursive: true, force: true })
})

/** A spawner whose processes see SwiftShader (or not), remembering each handle. */
function spawner(env: Record<string, string> = gpuEnv): { spawn: WorkerSpawner; handles: WorkerHandle[] } {
  const inner = sourceWorkerSpawner()
  return { handles: inner.handles, spawn: (spec) => inner.spawn({ ...spec, env: { ...spec.env, ...env } }) }
}

function engine(options: Partial<LocalEngineOptions> & Pick<LocalEngineOptions, 'customModel' | 'device'>, workers = spawner()): LocalEngine {
  const created = createLocalEngine({
    model: 'custom',
    logger: silentLogger,
    spawnWorker: workers.spawn,
    threads: 2,
    identity: hostIdentity('koutu test'),
    gpuName: detectHostGpu(gpuEnv).name,
    probeTimeoutMs: 60_000,
    ...options,
  })
  engines.push(created)
  return created
}

async function masks(local: LocalEngine, paths: string[]): Promise<Uint8Array[]> {
  const results = await Promise.all(paths.map((inputPath) => local.process({ inputPath, options: OPTIONS }, signal())))
  // Mask-only output is a grayscale PNG: its one channel is the mask.
  return Promise.all(results.map(async (result) => new Uint8Array(await sharp(result.data).extractChannel(0).raw().toBuffer())))
}

/** How many distinct levels a mask has: a real one has soft levels, a broken one is flat. */
function levels(mask: Uint8Array): number {
  return new Set(mask).size
}

describe('local engine on WebGPU (SwiftShader), tiny models', () => {
  let verdicts: VerdictStore
  let cacheDir: string
  beforeEach(async () => {
    verdicts = createVerdictStore(null)
    cacheDir = await mkdtemp(join(dir, 'cache-'))
  })

  it('Automatic: the probe rejects the fp16 weights for the missing f16, passes the fp32 twin, and keeps the faster CPU', async () => {
    const local = engine({ customModel: fp16, device: 'auto', verdicts, cacheDir })
    const device = await local.prepare()
    expect(device.kind).toBe('cpu')
    expect(device.notes.join(' ')).toMatch(/WebGPU is slower than the CPU/)
    const verdict = await verdicts.get(hostIdentity('koutu test'), 'webgpu', `custom:${fp16.path}`)
    expect(verdict).toMatchObject({ status: 'passed', variant: 'fp32-twin' })
    expect(verdict!.reason).toEqual([{ code: 'probe.f16Missing', variant: 'bundled', params: { message: expect.stringMatching(/requires f16/) } }])
    expect(verdict!.msPerRun!).toBeGreaterThan(verdict!.cpuMsPerRun!)
    const [first] = await Promise.all([local.process({ inputPath: photos[0]!, options: OPTIONS }, signal())])
    // The CPU keeps whichever of fp16 and the twin ran faster in its own probe.
    expect(readDeviceNote(first!.notes.device!)).toMatchObject({ kind: 'cpu', gpu: false, threads: 2 })
    expect(describeDevice(inEnglish, readDeviceNote(first!.notes.device!))).toMatch(/^CPU, 2 threads(, fp32 model)?$/)
  })

  it('GPU: the batch runs on WebGPU with the fp32 twin and its cutouts agree with the CPU\'s', async () => {
    const gpuWorkers = spawner()
    const onGpu = engine({ customModel: fp16, device: 'gpu', verdicts, cacheDir }, gpuWorkers)
    // The CPU's figure until the device is known: two finishing threads, two more in flight.
    expect(onGpu.defaultConcurrency).toBe(pipelineSizing(false, os.availableParallelism(), 2).inFlight)
    expect(pipelineSizing(false, 2, 2)).toMatchObject({ finishThreads: 2, inFlight: 4 })
    expect(pipelineSizing(false, 1, 1)).toMatchObject({ finishThreads: 1, inFlight: 3 })
    const device = await onGpu.prepare()
    expect(device).toMatchObject({ kind: 'webgpu', gpu: true, variant: 'fp32-twin', gpuName: 'SwiftShader (Vulkan on the CPU)' })
    // Sized for a GPU: a finishing thread more than cores, two files in flight for each, and
    // libuv's pool (where sharp works for all of them) wider than its default of 4 when needed.
    const sizing = pipelineSizing(true, os.availableParallelism(), 2)
    expect(sizing.finishThreads).toBe(Math.min(os.availableParallelism() + 1, 8))
    expect(onGpu.defaultConcurrency).toBe(2 * sizing.finishThreads)
    const environ = (await readFile(`/proc/${gpuWorkers.handles.at(-1)!.pid}/environ`, 'utf8')).split('\0')
    expect(environ).toContain(`UV_THREADPOOL_SIZE=${Math.max(4, sizing.finishThreads + 2)}`)
    const gpuMasks = await masks(onGpu, photos)
    const onCpu = engine({ customModel: fp16, device: 'cpu', verdicts: createVerdictStore(null) })
    expect((await onCpu.prepare()).kind).toBe('cpu')
    const cpuMasks = await masks(onCpu, photos)
    // The masks follow the photos: soft levels, and different photos give different masks.
    expect(levels(cpuMasks[0]!)).toBeGreaterThan(20)
    expect(maskIoU(cpuMasks[0]!.subarray(0, 1000), cpuMasks[1]!.subarray(0, 1000))).toBeLessThan(0.999)
    for (let i = 0; i < photos.length; i++) {
      expect(gpuMasks[i]!.length).toBe(cpuMasks[i]!.length)
      expect(levels(gpuMasks[i]!)).toBeGreaterThan(10)
      expect(maskIoU(gpuMasks[i]!, cpuMasks[i]!)).toBeGreaterThan(0.99)
      let worst = 0
      for (let p = 0; p < gpuMasks[i]!.length; p++) worst = Math.max(worst, Math.abs(gpuMasks[i]![p]! - cpuMasks[i]![p]!))
      expect(worst).toBeLessThanOrEqual(2)
    }
    const result = await onGpu.process({ inputPath: photos[1]!, options: OPTIONS }, signal())
    expect(readDeviceNote(result.notes.device!)).toMatchObject({ kind: 'webgpu', gpu: true, gpuName: 'SwiftShader (Vulkan on the CPU)', variant: 'fp32-twin' })
    expect(describeDevice(inEnglish, readDeviceNote(result.notes.device!))).toBe('GPU, WebGPU: SwiftShader (Vulkan on the CPU), fp32 model')
  })

  it('GPU: a model process killed mid-batch falls back to the CPU, retries the files in hand and says so once', async () => {
    const workers = spawner()
    const fallbacks: unknown[] = []
    const local = engine({ customModel: fp32, device: 'gpu', verdicts, cacheDir, onDeviceFallback: (event) => fallbacks.push(event) }, workers)
    expect((await local.prepare()).kind).toBe('webgpu')
    const gpuPid = workers.handles.at(-1)!.pid!
    const requests = photos.map((inputPath) => local.process({ inputPath, options: OPTIONS }, signal()))
    await requests[0]
    process.kill(gpuPid, 'SIGKILL')
    const more = photos.map((inputPath) => local.process({ inputPath, options: OPTIONS }, signal()))
    const results = await Promise.all([...requests, ...more])
    expect(results).toHaveLength(photos.length * 2)
    expect(local.currentDevice()?.kind).toBe('cpu')
    expect(fallbacks).toHaveLength(1)
    // Killed by a signal: no exit code to tell.
    expect(fallbacks[0]).toEqual({
      from: { kind: 'webgpu', gpu: true, gpuName: 'SwiftShader (Vulkan on the CPU)', threads: 2, variant: 'bundled' },
      to: { kind: 'cpu', gpu: false, gpuName: null, threads: 2, variant: 'bundled' },
      reason: { code: 'batch.crashed' },
    })
    const told = results.filter((result) => result.notes.deviceFallback)
    expect(told).toHaveLength(1)
    expect(readFallbackNote(told[0]!.notes.deviceFallback!)).toEqual(fallbacks[0])
    expect(describeFallback(inEnglish, readFallbackNote(told[0]!.notes.deviceFallback!))).toBe(
      'GPU, WebGPU: SwiftShader (Vulkan on the CPU) stopped working (the model process stopped during a batch). The batch goes on with CPU, 2 threads.',
    )
    // The device is not tried automatically again on this machine.
    expect((await verdicts.get(hostIdentity('koutu test'), 'webgpu', `custom:${fp32.path}`))?.status).toBe('crashed')
    const next = engine({ customModel: fp32, device: 'auto', verdicts })
    expect((await next.prepare()).kind).toBe('cpu')
  })

  it('a probe that kills its process marks the device crashed, and one that hangs is stopped by the watchdog', async () => {
    const identity = hostIdentity('koutu test')
    // Stand-ins for a driver crash and a driver hang: the real process, killed or stopped while probing.
    const crashing = spawner()
    const crashSpawn: WorkerSpawner = (spec) => {
      const handle = crashing.spawn(spec)
      return {
        pid: handle.pid,
        on: handle.on.bind(handle),
        kill: handle.kill.bind(handle),
        postMessage(message) {
          handle.postMessage(message)
          if (message.type === 'init' && message.probe && message.device?.gpu) setTimeout(() => process.kill(handle.pid!, 'SIGKILL'), 50)
        },
      }
    }
    const crashed = engine({ customModel: fp32, device: 'auto', verdicts }, { spawn: crashSpawn, handles: crashing.handles })
    expect((await crashed.prepare()).kind).toBe('cpu')
    expect(await verdicts.get(identity, 'webgpu', `custom:${fp32.path}`)).toMatchObject({ status: 'crashed', reason: [{ code: 'probe.crashed' }] })

    const hanging = spawner()
    const hangSpawn: WorkerSpawner = (spec) => {
      const handle = hanging.spawn(spec)
      return {
        pid: handle.pid,
        on: handle.on.bind(handle),
        kill: handle.kill.bind(handle),
        postMessage(message) {
          if (message.type === 'init' && message.probe && message.device?.gpu) {
            process.kill(handle.pid!, 'SIGSTOP')
            return
          }
          handle.postMessage(message)
        },
      }
    }
    const hangVerdicts = createVerdictStore(null)
    const started = performance.now()
    const hung = engine({ customModel: fp32, device: 'gpu', verdicts: hangVerdicts, probeTimeoutMs: 1_500 }, { spawn: hangSpawn, handles: hanging.handles })
    expect((await hung.prepare()).kind).toBe('cpu')
    expect(performance.now() - started).toBeGreaterThan(1_400)
    expect(await hangVerdicts.get(identity, 'webgpu', `custom:${fp32.path}`)).toMatchObject({ status: 'crashed', reason: [{ code: 'probe.hung', params: { seconds: 2 } }] })
  })

  it('without a Vulkan driver WebGPU fails its probe and Automatic runs on the CPU', async () => {
    const local = engine({ customModel: fp32, device: 'auto', verdicts }, spawner({ VK_ICD_FILENAMES: join(dir, 'no-driver.json') }))
    const device = await local.prepare()
    expect(device.kind).toBe('cpu')
    expect(device.notes.join(' ')).toMatch(/WebGPU/)
    const identity = hostIdentity('koutu test')
    const verdict = await verdicts.get(identity, 'webgpu', `custom:${fp32.path}`)
    expect(verdict?.status).toBe('rejected')

    // A device that passed once but no longer starts (the driver went away) is passed over and
    // its verdict replaced, so the next start does not try it first again.
    await verdicts.set(identity, 'webgpu', `custom:${fp32.path}`, { ...verdict!, status: 'passed', variant: 'bundled', reason: null, msPerRun: 1, cpuMsPerRun: 2 })
    const again = engine({ customModel: fp32, device: 'gpu', verdicts }, spawner({ VK_ICD_FILENAMES: join(dir, 'no-driver.json') }))
    expect((await again.prepare()).kind).toBe('cpu')
    expect(await verdicts.get(identity, 'webgpu', `custom:${fp32.path}`)).toMatchObject({ status: 'rejected', reason: [{ code: 'start.failed', params: { message: expect.any(String) } }] })
  })
})
