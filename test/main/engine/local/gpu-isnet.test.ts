/**
 * The real ISNet models on WebGPU over SwiftShader (test/helpers/swiftshader.ts), through the
 * real model process. SwiftShader runs on the CPU: one ISNet small inference at 1024² takes about
 * 47 s on 2 cores, so this file holds the suite's only real ISNet run on it.
 *
 * - ISNet medium (fp16): the probe rejects it for SwiftShader's missing `shader-f16` (with
 *   onnxruntime 1.30 and our optimisation level the session itself already refuses, in seconds).
 *   No cache folder is given, so the fp32 twin is not tried here: on SwiftShader it would take
 *   about 8 minutes a run (its path is tested with a tiny fp16 model in gpu.test.ts).
 * - ISNet small (quint8) with --device gpu: a verdict from an earlier probe is in the store, so
 *   the one photo is the one run; its cutout agrees with the CPU's.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLocalEngine, type LocalEngine } from '../../../../src/main/engine/local'
import { detectHostGpu, hostIdentity } from '../../../../src/main/engine/local/host'
import { createVerdictStore } from '../../../../src/main/engine/local/verdicts'
import type { OutputOptions } from '../../../../src/main/engine/types'
import { readDeviceNote } from '../../../../src/shared/device-notes'
import { describeDevice, inEnglish } from '../../../../src/shared/device-texts'
import { silentLogger } from '../../../../src/shared/logger'
import { maskIoU, meanAbsoluteAlphaError, writePhoto } from '../../../helpers/images'
import { swiftShaderEnv } from '../../../helpers/swiftshader'
import type { WorkerSpawner } from '../../../../src/main/engine/local/spawn'
import { sourceWorkerSpawner } from './worker-spawner'

const OPTIONS: OutputOptions = { format: 'png', backgroundColor: null, maskOnly: true, cropMargin: null, decontaminateEdges: false, maxMegapixels: 100 }
const gpuEnv = swiftShaderEnv()
const identity = hostIdentity('koutu test')
let dir: string
const engines: LocalEngine[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'koutu-gpu-isnet-'))
})
afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.close()))
  await rm(dir, { recursive: true, force: true })
  await rm(gpuEnv.XDG_RUNTIME_DIR!, { recursive: true, force: true })
})

function gpuSpawner(): WorkerSpawner {
  const inner = sourceWorkerSpawner()
  return (spec) => inner.spawn({ ...spec, env: { ...spec.env, ...gpuEnv } })
}

describe('ISNet on WebGPU (SwiftShader)', () => {
  it('rejects fp16 ISNet medium for the missing f16 and runs on the CPU', { timeout: 240_000 }, async () => {
    const verdicts = createVerdictStore(null)
    const engine = createLocalEngine({ model: 'isnet-medium', customModel: null, device: 'gpu', logger: silentLogger, spawnWorker: gpuSpawner(), threads: 2, identity, verdicts })
    engines.push(engine)
    const device = await engine.prepare()
    expect(device.kind).toBe('cpu')
    const verdict = await verdicts.get(identity, 'webgpu', 'isnet-medium')
    expect(verdict).toMatchObject({ status: 'rejected' })
    expect(verdict!.reason).toEqual([{ code: 'probe.f16Missing', variant: 'bundled', params: { message: expect.stringMatching(/requires f16 but the device does not support it/) } }])
    expect(device.notes.join(' ')).toMatch(/WebGPU failed its test/)
  })

  it('with --device gpu runs ISNet small on WebGPU, its cutout agreeing with the CPU\'s', { timeout: 400_000 }, async () => {
    const photo = await writePhoto(dir, 'astronaut.jpg', 'astronaut')
    const verdicts = createVerdictStore(null)
    // What an earlier probe of this device concluded (the probe itself is tested with tiny models).
    await verdicts.set(identity, 'webgpu', 'isnet-small', {
      status: 'passed', variant: 'bundled', reason: null, msPerRun: 47_000, cpuMsPerRun: 1_300, gpuName: 'SwiftShader', testedAt: new Date().toISOString(),
    })
    const onGpu = createLocalEngine({
      model: 'isnet-small', customModel: null, device: 'gpu', logger: silentLogger, spawnWorker: gpuSpawner(), threads: 2, identity, verdicts,
      gpuName: detectHostGpu(gpuEnv).name,
    })
    engines.push(onGpu)
    expect((await onGpu.prepare()).kind).toBe('webgpu')
    const gpuResult = await onGpu.process({ inputPath: photo, options: OPTIONS }, new AbortController().signal)
    expect(describeDevice(inEnglish, readDeviceNote(gpuResult.notes.device!))).toBe('GPU, WebGPU: SwiftShader (Vulkan on the CPU)')
    await onGpu.close()

    const onCpu = createLocalEngine({ model: 'isnet-small', customModel: null, device: 'cpu', logger: silentLogger, spawnWorker: sourceWorkerSpawner().spawn, threads: 2 })
    engines.push(onCpu)
    const cpuResult = await onCpu.process({ inputPath: photo, options: OPTIONS }, new AbortController().signal)
    const gpuMask = await sharp(gpuResult.data).extractChannel(0).raw().toBuffer()
    const cpuMask = await sharp(cpuResult.data).extractChannel(0).raw().toBuffer()
    // A real subject: neither mask is empty or full.
    const covered = cpuMask.reduce((sum, value) => sum + (value >= 128 ? 1 : 0), 0) / cpuMask.length
    expect(covered).toBeGreaterThan(0.1)
    expect(covered).toBeLessThan(0.9)
    expect(maskIoU(gpuMask, cpuMask)).toBeGreaterThan(0.99)
    expect(meanAbsoluteAlphaError(gpuMask, cpuMask)).toBeLessThan(0.01)
  })
})
