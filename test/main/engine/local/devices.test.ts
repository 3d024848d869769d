/**
 * Device candidates, their onnxruntime spelling, the per-candidate plan from a cached verdict,
 * and the verdict store. DirectML and CoreML cannot run on this Linux machine: their order,
 * spelling and verdict caching are checked here with an injected platform and backend list
 * (the lists are what onnxruntime-node 1.30's listSupportedBackends() reports on each platform).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { planCandidate, variantsFor } from '../../../../src/main/engine/local/device-chooser'
import { candidateDevices, COREML_FLAGS, type DevicePlatform } from '../../../../src/main/engine/local/devices'
import { detectDevicePlatform, gpuFromElectronInfo } from '../../../../src/main/engine/local/host'
import { createVerdictStore, type DeviceIdentity, type DeviceVerdict } from '../../../../src/main/engine/local/verdicts'

const WINDOWS: DevicePlatform = { platform: 'win32', arch: 'x64', backends: ['cpu', 'dml', 'webgpu'] }
const APPLE_SILICON: DevicePlatform = { platform: 'darwin', arch: 'arm64', backends: ['cpu', 'coreml', 'webgpu'] }
const LINUX_X64: DevicePlatform = { platform: 'linux', arch: 'x64', backends: ['cpu', 'webgpu'] }
const LINUX_ARM64: DevicePlatform = { platform: 'linux', arch: 'arm64', backends: ['cpu'] }
const INTEL_MAC: DevicePlatform = { platform: 'darwin', arch: 'x64', backends: [] }

const kinds = (target: DevicePlatform, preference: 'auto' | 'gpu' | 'cpu'): string[] => candidateDevices(target, preference).map((c) => c.kind)

describe('device candidates', () => {
  it('orders each platform\'s GPU providers before the CPU, filtered by what onnxruntime bundles', () => {
    expect(kinds(WINDOWS, 'auto')).toEqual(['dml', 'webgpu', 'cpu'])
    expect(kinds(APPLE_SILICON, 'auto')).toEqual(['coreml', 'webgpu', 'cpu'])
    expect(kinds(LINUX_X64, 'auto')).toEqual(['webgpu', 'cpu'])
    expect(kinds(LINUX_ARM64, 'auto')).toEqual(['cpu'])
    // A Windows build without DirectML.dll (not bundled) loses only that candidate.
    expect(kinds({ ...WINDOWS, backends: ['cpu', 'webgpu'] }, 'auto')).toEqual(['webgpu', 'cpu'])
    // CUDA and TensorRT are listed (not bundled) on Linux: never candidates.
    expect(kinds({ ...LINUX_X64, backends: ['cpu', 'webgpu'] }, 'gpu')).toEqual(['webgpu', 'cpu'])
  })

  it('uses no GPU for cpu, and only the WebAssembly runtime where onnxruntime-node has no binary', () => {
    expect(kinds(WINDOWS, 'cpu')).toEqual(['cpu'])
    expect(kinds(APPLE_SILICON, 'cpu')).toEqual(['cpu'])
    expect(kinds(INTEL_MAC, 'auto')).toEqual(['wasm'])
    expect(kinds(INTEL_MAC, 'gpu')).toEqual(['wasm'])
  })

  it('spells each provider as onnxruntime-node 1.30 expects', () => {
    const [dml, webgpu] = candidateDevices(WINDOWS, 'auto')
    expect(dml!.provider).toEqual({ name: 'dml', deviceId: 0 })
    expect(webgpu!.provider).toEqual({ name: 'webgpu', preferredLayout: 'NCHW' })
    const [coreml] = candidateDevices(APPLE_SILICON, 'auto')
    // 0x010 = MLProgram (needed for fp16 weights), 0x020 = static input shapes.
    expect(coreml!.provider).toEqual({ name: 'coreml', coreMlFlags: 0x030 })
    expect(COREML_FLAGS & 0x010).toBe(0x010)
    expect(candidateDevices(LINUX_ARM64, 'auto')[0]!.provider).toBe('cpu')
  })

  it('reads this machine: Linux x64 bundles webgpu and cpu', () => {
    const here = detectDevicePlatform()
    expect(here.backends).toContain('cpu')
    if (process.platform === 'linux' && process.arch === 'x64') expect(kinds(here, 'auto')).toEqual(['webgpu', 'cpu'])
  })

  it('turns Electron\'s basic GPU info into a name and an identity', () => {
    const info = {
      gpuDevice: [
        { active: false, vendorId: 0x8086, deviceId: 0x9a49 },
        { active: true, vendorId: 0x10de, deviceId: 0x2504, vendorString: 'NVIDIA', deviceString: 'GeForce RTX 3060', driverVersion: '31.0.15.5222' },
      ],
    }
    expect(gpuFromElectronInfo(info)).toEqual({ name: 'NVIDIA GeForce RTX 3060', identity: '10de:2504 driver 31.0.15.5222' })
    expect(gpuFromElectronInfo({ gpuDevice: [{ vendorId: 0x106b, deviceId: 0 }] })).toEqual({ name: null, identity: '106b:0000' })
    expect(gpuFromElectronInfo(null, { name: null, identity: 'fallback' }).identity).toBe('fallback')
  })
})

const passed = (msPerRun: number, cpuMsPerRun: number, variant: 'bundled' | 'fp32-twin' = 'bundled'): DeviceVerdict => ({
  status: 'passed',
  variant,
  reason: null,
  msPerRun,
  cpuMsPerRun,
  gpuName: 'GPU',
  testedAt: '2026-12-03T00:00:00.000Z',
})

describe('the plan for a candidate', () => {
  const auto = { preference: 'auto' as const, model: 'isnet-medium' as const, twinAvailable: true }
  const [dml] = candidateDevices(WINDOWS, 'auto')
  const cpu = candidateDevices(WINDOWS, 'cpu')[0]!

  it('probes an untested GPU (timing the CPU too) and tries the fp32 twin after the bundled fp16 weights', () => {
    expect(planCandidate(dml!, null, auto)).toEqual({ action: 'probe', variants: ['bundled', 'fp32-twin'], pickFastest: false, measureCpu: true })
    expect(variantsFor(dml!, { ...auto, model: 'isnet-small' })).toEqual(['bundled'])
    expect(variantsFor(dml!, { ...auto, twinAvailable: false })).toEqual(['bundled'])
  })

  it('uses a GPU that passed, unless Automatic and it was not faster than the CPU', () => {
    expect(planCandidate(dml!, passed(90, 1200, 'fp32-twin'), auto)).toEqual({ action: 'use', variant: 'fp32-twin' })
    expect(planCandidate(dml!, passed(1500, 1200), auto)).toMatchObject({ action: 'skip', reason: expect.stringContaining('slower than the CPU') })
    expect(planCandidate(dml!, passed(1500, 1200), { ...auto, preference: 'gpu' })).toEqual({ action: 'use', variant: 'bundled' })
  })

  it('never tries again by itself a device that failed or crashed its test', () => {
    const crashed: DeviceVerdict = { ...passed(0, 0), status: 'crashed', variant: null, reason: [{ code: 'probe.crashed', params: { exitCode: 139 } }] }
    expect(planCandidate(dml!, crashed, auto)).toEqual({
      action: 'skip',
      reason: 'DirectML stopped the model process when tested (the model process stopped during the test, exit code 139); not tried again until Settings → Test again',
    })
    expect(planCandidate(dml!, crashed, { ...auto, preference: 'gpu' })).toMatchObject({ action: 'skip' })
    const rejected: DeviceVerdict = { ...passed(0, 0), status: 'rejected', variant: null, reason: [{ code: 'probe.nonFinite', variant: 'bundled' }] }
    expect(planCandidate(dml!, rejected, auto)).toEqual({ action: 'skip', reason: 'DirectML failed its test: bundled model: the model returned NaN or infinite values' })
    // A verdict an older version wrote holds a sentence: it is quoted as it is.
    const older: DeviceVerdict = { ...passed(0, 0), status: 'rejected', variant: null, reason: 'bundled: NaN' }
    expect(planCandidate(dml!, older, auto)).toEqual({ action: 'skip', reason: 'DirectML failed its test: bundled: NaN' })
  })

  it('runs the CPU at once, probing only to choose between fp16 and the twin', () => {
    expect(planCandidate(cpu, null, auto)).toEqual({ action: 'probe', variants: ['bundled', 'fp32-twin'], pickFastest: true, measureCpu: false })
    expect(planCandidate(cpu, passed(1100, 1100, 'fp32-twin'), auto)).toEqual({ action: 'use', variant: 'fp32-twin' })
    expect(planCandidate(cpu, null, { ...auto, model: 'isnet-small' })).toEqual({ action: 'use', variant: 'bundled' })
    expect(planCandidate(cpu, null, { ...auto, twinAvailable: false })).toEqual({ action: 'use', variant: 'bundled' })
  })
})

describe('the verdict store', () => {
  let dir: string | null = null
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
    dir = null
  })
  const identity: DeviceIdentity = { app: 'koutu 1.0.0', onnxruntime: '1.30.0', os: 'win32-x64 10.0.22631', gpu: '10de:2504 driver 31.0.15.5222' }

  it('keys verdicts by app, onnxruntime, OS and GPU, and keeps them across restarts', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'koutu-verdicts-'))
    const file = path.join(dir, 'device-verdicts.json')
    const store = createVerdictStore(file)
    await store.set(identity, 'dml', 'isnet-medium', passed(80, 1200))
    const f16: DeviceVerdict['reason'] = [{ code: 'probe.f16Missing', variant: 'bundled', params: { message: 'Program Transpose requires f16' } }]
    await store.set(identity, 'webgpu', 'isnet-medium', { ...passed(0, 0), status: 'rejected', variant: null, reason: f16 })
    await store.set(identity, 'coreml', 'isnet-medium', { ...passed(0, 0), status: 'rejected', variant: null, reason: 'bundled: written by an older version' })
    const reopened = createVerdictStore(file)
    expect(await reopened.get(identity, 'dml', 'isnet-medium')).toEqual(passed(80, 1200))
    expect((await reopened.get(identity, 'webgpu', 'isnet-medium'))?.reason).toEqual(f16)
    expect((await reopened.get(identity, 'coreml', 'isnet-medium'))?.reason).toBe('bundled: written by an older version')
    expect(await reopened.get(identity, 'dml', 'isnet-small')).toBeNull()
    // A new driver, a new onnxruntime or a new app version is a different machine for the verdicts.
    for (const changed of [{ gpu: '10de:2504 driver 32.0.15.6094' }, { onnxruntime: '1.31.0' }, { app: 'koutu 1.1.0' }, { os: 'win32-x64 10.0.26100' }]) {
      expect(await reopened.get({ ...identity, ...changed }, 'dml', 'isnet-medium')).toBeNull()
    }
    expect((await reopened.list(identity)).map((entry) => entry.device).sort()).toEqual(['coreml', 'dml', 'webgpu'])
    await reopened.clear()
    expect(await createVerdictStore(file).get(identity, 'dml', 'isnet-medium')).toBeNull()
  })

  it('reads a probe that never finished (the app died with it) as a crash', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'koutu-verdicts-'))
    const file = path.join(dir, 'device-verdicts.json')
    const store = createVerdictStore(file)
    await store.set(identity, 'dml', 'isnet-medium', { ...passed(0, 0), status: 'probing', variant: null, msPerRun: null, cpuMsPerRun: null })
    // Same process: still in progress.
    expect((await store.get(identity, 'dml', 'isnet-medium'))?.status).toBe('probing')
    const afterRestart = await createVerdictStore(file).get(identity, 'dml', 'isnet-medium')
    expect(afterRestart).toMatchObject({ status: 'crashed', reason: [{ code: 'probe.appStopped' }] })
    expect(planCandidate(candidateDevices(WINDOWS, 'auto')[0]!, afterRestart, { preference: 'auto', model: 'isnet-medium', twinAvailable: true }).action).toBe('skip')
  })

  it('starts over from a damaged file', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'koutu-verdicts-'))
    const file = path.join(dir, 'device-verdicts.json')
    await writeFile(file, '{ not json')
    const store = createVerdictStore(file)
    expect(await store.get(identity, 'dml', 'isnet-medium')).toBeNull()
    await store.set(identity, 'dml', 'isnet-medium', passed(80, 1200))
    expect(JSON.parse(await readFile(file, 'utf8'))).toBeTypeOf('object')
  })
})
