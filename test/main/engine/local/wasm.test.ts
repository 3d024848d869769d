/**
 * The Intel Mac path: where onnxruntime-node has no binary (macOS x64 in 1.30), the only
 * candidate is onnxruntime-web's WebAssembly backend (see [Note: WebAssembly runtime] in
 * session.ts). Forced here on Linux with an injected platform that bundles nothing: the real model
 * process runs ISNet small on WebAssembly and its cutout agrees with the native CPU's.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLocalEngine, type LocalEngine } from '../../../../src/main/engine/local'
import type { OutputOptions } from '../../../../src/main/engine/types'
import { readDeviceNote } from '../../../../src/shared/device-notes'
import { describeDevice, inEnglish } from '../../../../src/shared/device-texts'
import { silentLogger } from '../../../../src/shared/logger'
import { maskIoU, meanAbsoluteAlphaError, writePhoto } from '../../../helpers/images'
import { sourceWorkerSpawner } from './worker-spawner'

const OPTIONS: OutputOptions = { format: 'png', backgroundColor: null, maskOnly: false, cropMargin: null, decontaminateEdges: true, maxMegapixels: 100 }
const INTEL_MAC = { platform: 'darwin' as const, arch: 'x64', backends: [] }
let dir: string
const engines: LocalEngine[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'koutu-wasm-'))
})
afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.close()))
  await rm(dir, { recursive: true, force: true })
})

describe('local engine on WebAssembly (the Intel Mac path, forced on Linux)', () => {
  it('runs ISNet small through onnxruntime-web and agrees with the native CPU', { timeout: 300_000 }, async () => {
    const photo = await writePhoto(dir, 'coffee.jpg', 'coffee', { megapixels: 2 })
    const wasm = createLocalEngine({ model: 'isnet-small', customModel: null, device: 'auto', platform: INTEL_MAC, logger: silentLogger, spawnWorker: sourceWorkerSpawner().spawn, threads: 2 })
    engines.push(wasm)
    const device = await wasm.prepare()
    expect(device).toMatchObject({ kind: 'wasm', gpu: false, threads: 2 })
    const onWasm = await wasm.process({ inputPath: photo, options: OPTIONS }, new AbortController().signal)
    expect(readDeviceNote(onWasm.notes.device!)).toEqual({ kind: 'wasm', gpu: false, gpuName: null, threads: 2, variant: 'bundled' })
    expect(describeDevice(inEnglish, readDeviceNote(onWasm.notes.device!))).toBe('CPU (WebAssembly), 2 threads')
    console.info('ISNet small on WebAssembly, 2 threads', { inferMs: onWasm.notes.inferMs })

    const native = createLocalEngine({ model: 'isnet-small', customModel: null, device: 'cpu', logger: silentLogger, spawnWorker: sourceWorkerSpawner().spawn, threads: 2 })
    engines.push(native)
    const onCpu = await native.process({ inputPath: photo, options: OPTIONS }, new AbortController().signal)
    console.info('ISNet small on the native CPU, 2 threads', { inferMs: onCpu.notes.inferMs })
    const alpha = async (data: Uint8Array): Promise<Buffer> => sharp(data).extractChannel('alpha').raw().toBuffer()
    const [a, b] = [await alpha(onWasm.data), await alpha(onCpu.data)]
    expect(onWasm.width).toBe(onCpu.width)
    const covered = b.reduce((sum, value) => sum + (value >= 128 ? 1 : 0), 0) / b.length
    expect(covered).toBeGreaterThan(0.05)
    expect(covered).toBeLessThan(0.95)
    expect(maskIoU(a, b)).toBeGreaterThan(0.99)
    expect(meanAbsoluteAlphaError(a, b)).toBeLessThan(0.01)
  })
})
