/**
 * Facts about the machine the device choice depends on, read under plain Node: the platform and
 * the providers the installed onnxruntime-node bundles, its version, and a GPU identity for the
 * verdict keys. The app replaces the GPU part with Electron's `app.getGPUInfo('basic')` (see
 * app-services.ts); the command line and the tests use what is here.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { basename, join } from 'node:path'
import type { DevicePlatform } from './devices'
import type { DeviceIdentity } from './verdicts'

const require = createRequire(import.meta.url)

/**
 * This machine's platform and bundled providers. onnxruntime-node throws on load where it has
 * no binary (macOS x64): then no backend is listed and the WebAssembly runtime takes over.
 */
export function detectDevicePlatform(): DevicePlatform {
  let backends: string[]
  try {
    const ort = require('onnxruntime-node') as { listSupportedBackends(): { name: string; bundled: boolean }[] }
    backends = ort.listSupportedBackends().filter((backend) => backend.bundled).map((backend) => backend.name)
  } catch {
    backends = []
  }
  return { platform: process.platform, arch: process.arch, backends }
}

/** The installed onnxruntime-node's version, or 'none' where it cannot load. */
export function onnxruntimeVersion(): string {
  try {
    return (require('onnxruntime-node/package.json') as { version: string }).version
  } catch {
    return 'none'
  }
}

/** A GPU found without Electron: its name for display and an identity string for the verdicts. */
export interface HostGpu {
  name: string | null
  identity: string
}

/**
 * Under plain Node: the PCI ids of Linux's DRM devices, and the Vulkan driver chosen by
 * VK_ICD_FILENAMES (SwiftShader is a driver, not a device: it must count as a different GPU).
 */
export function detectHostGpu(env: NodeJS.ProcessEnv = process.env): HostGpu {
  const parts: string[] = []
  if (process.platform === 'linux') {
    try {
      for (const card of readdirSync('/sys/class/drm').filter((name) => /^card\d+$/.test(name))) {
        const read = (file: string): string => readFileSync(join('/sys/class/drm', card, 'device', file), 'utf8').trim()
        try {
          parts.push(`${read('vendor')}:${read('device')}`)
        } catch {
          // A card without PCI ids (virtual display): skip it.
        }
      }
    } catch {
      // No DRM: a headless machine.
    }
  }
  const icd = env.VK_ICD_FILENAMES
  const swiftShader = icd !== undefined && /swiftshader/i.test(icd)
  if (icd) parts.push(`vulkan:${basename(icd)}`)
  return { name: swiftShader ? 'SwiftShader (Vulkan on the CPU)' : null, identity: parts.length > 0 ? parts.join(',') : 'unknown' }
}

/**
 * The GPU as Electron's `app.getGPUInfo('basic')` describes it: the active device's vendor and
 * device ids and, where the platform gives them, its name and driver version. Anything missing
 * or unexpected gives the plain-Node answer instead.
 */
export function gpuFromElectronInfo(info: unknown, fallback: HostGpu = detectHostGpu()): HostGpu {
  const devices = (info as { gpuDevice?: unknown } | null)?.gpuDevice
  if (!Array.isArray(devices) || devices.length === 0) return fallback
  type GpuDevice = { active?: boolean; vendorId?: number; deviceId?: number; vendorString?: string; deviceString?: string; driverVersion?: string }
  const list = devices as GpuDevice[]
  const active = list.find((device) => device.active) ?? list[0]!
  const hex = (value: number | undefined): string => (value ?? 0).toString(16).padStart(4, '0')
  const name = [active.vendorString, active.deviceString].filter((part) => part && part.trim()).join(' ').trim() || null
  return {
    name,
    identity: `${hex(active.vendorId)}:${hex(active.deviceId)}${active.driverVersion ? ` driver ${active.driverVersion}` : ''}`,
  }
}

/** The verdict identity under plain Node (command line, tests, benchmarks). */
export function hostIdentity(app: string, gpu: HostGpu = detectHostGpu()): DeviceIdentity {
  return { app, onnxruntime: onnxruntimeVersion(), os: `${process.platform}-${process.arch} ${os.release()}`, gpu: gpu.identity }
}
