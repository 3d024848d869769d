/**
 * Which devices the local engine may run its model on, in which order, and how each is spelt to
 * onnxruntime. Pure functions of the platform, the architecture and the providers the installed
 * onnxruntime bundles (`listSupportedBackends()`), so the Windows and macOS orders are tested here
 * with an injected platform even though those providers cannot run on this machine.
 *
 * [Note: device candidates] onnxruntime-node 1.30 bundles `dml` and `webgpu` on Windows, `coreml`
 * and `webgpu` on macOS arm64, `webgpu` on Linux x64, nothing but `cpu` on Linux arm64, and has
 * no macOS x64 binary at all (see wasm-runtime.ts for that case). A provider that is not bundled
 * is dropped with only a console warning and one that fails to start makes session creation
 * reject; onnxruntime never falls through by itself. So every candidate carries exactly one
 * provider, we try them in order ourselves, and the CPU is always last.
 */

import { PROVIDER_NAMES } from '../../../shared/device-status'
import type { LocalDevice } from '../../../shared/settings'

/** The user's choice (settings `localDevice`, command line `--device`). */
export type DevicePreference = LocalDevice

/** The onnxruntime execution provider behind a candidate; `wasm` is onnxruntime-web's CPU backend. */
export type DeviceKind = 'dml' | 'coreml' | 'webgpu' | 'cpu' | 'wasm'

/** One way to run the model, spelt as onnxruntime wants it. */
export interface DeviceCandidate {
  kind: DeviceKind
  /** The execution provider entry for InferenceSession.create. */
  provider: string | Record<string, unknown>
  /** True for the GPU kinds. */
  gpu: boolean
}

/** What decides the candidates: process.platform, process.arch, ort.listSupportedBackends(). */
export interface DevicePlatform {
  platform: NodeJS.Platform
  arch: string
  /** Names of the providers this onnxruntime bundles (`bundled: true` only). */
  backends: readonly string[]
}

/**
 * CoreML flags (onnxruntime's coreml_provider_factory.h): 0x010 creates an MLProgram, which
 * fp16 models need; compute units are left to CoreML (CPU, GPU and Neural Engine), which picks
 * the fastest for each layer. 0x020 (static input shapes) suits our fixed 1024² input.
 */
export const COREML_FLAGS = 0x010 | 0x020

const SPELLING: Record<Exclude<DeviceKind, 'cpu' | 'wasm'>, DeviceCandidate> = {
  // DirectML: the default adapter (deviceId 0) is the one Windows chose for high performance.
  dml: { kind: 'dml', provider: { name: 'dml', deviceId: 0 }, gpu: true },
  coreml: { kind: 'coreml', provider: { name: 'coreml', coreMlFlags: COREML_FLAGS }, gpu: true },
  // NCHW is ISNet's layout; NHWC would add a transpose around every convolution input.
  webgpu: { kind: 'webgpu', provider: { name: 'webgpu', preferredLayout: 'NCHW' }, gpu: true },
}

export const CPU_CANDIDATE: DeviceCandidate = { kind: 'cpu', provider: 'cpu', gpu: false }
export const WASM_CANDIDATE: DeviceCandidate = { kind: 'wasm', provider: 'wasm', gpu: false }

/** GPU providers worth trying on a platform, best first, before filtering by what is bundled. */
function gpuOrder(platform: NodeJS.Platform, arch: string): Exclude<DeviceKind, 'cpu' | 'wasm'>[] {
  if (platform === 'win32') return ['dml', 'webgpu']
  if (platform === 'darwin' && arch === 'arm64') return ['coreml', 'webgpu']
  if (platform === 'linux' && arch === 'x64') return ['webgpu']
  return []
}

/**
 * The candidates to try in order for a preference: the bundled GPU providers of this platform
 * (none for `cpu`), then always the CPU, so that even `gpu` on a machine whose GPU fails its probe
 * still processes photos (and says so). When onnxruntime-node has no native binary here
 * (no `cpu` among the backends), the only candidate is onnxruntime-web's WebAssembly backend.
 */
export function candidateDevices(target: DevicePlatform, preference: DevicePreference): DeviceCandidate[] {
  const bundled = new Set(target.backends)
  if (!bundled.has('cpu')) return [WASM_CANDIDATE]
  const gpus = preference === 'cpu' ? [] : gpuOrder(target.platform, target.arch).filter((kind) => bundled.has(kind)).map((kind) => SPELLING[kind])
  return [...gpus, CPU_CANDIDATE]
}

/** Human names of the providers, as the sidebar and the reports show them. */
export const DEVICE_NAMES: Record<DeviceKind, string> = PROVIDER_NAMES

/** What the engine runs on right now, named wherever a user looks. */
export interface DeviceInUse {
  kind: DeviceKind
  gpu: boolean
  /** The GPU's name when known (Electron's GPU info, or the WebGPU adapter). */
  gpuName: string | null
  /** onnxruntime intra-op threads (CPU kinds). */
  threads: number
  /** Which weights run: the bundled fp16 model or its fp32 twin (fp32 for other models). */
  variant: ModelVariant
  /** Why this device was chosen over the ones before it, in English for the log ("WebGPU: …" per rejected candidate). */
  notes: string[]
}

/** `bundled` is the model as shipped; `fp32-twin` is ISNet medium widened to fp32 (fp32-twin.ts). */
export type ModelVariant = 'bundled' | 'fp32-twin'
