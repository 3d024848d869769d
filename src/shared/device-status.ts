/**
 * What the UI shows about the local engine's device: the one in use (named as the sidebar shows
 * it), a fallback said once, and each device's test verdict on this machine (Settings → Engine →
 * Processing, with "Test again"). All of it as facts and codes: the window, the desktop
 * notification and the command line word them in their own language (device-texts.ts).
 */

/** Provider names are product names: the same in every language. */
export const PROVIDER_NAMES = { dml: 'DirectML', coreml: 'Core ML', webgpu: 'WebGPU', cpu: 'CPU', wasm: 'WebAssembly' } as const

/** Why a device was passed over, rejected or given up on, as `device.reason.<code>` words it. */
export const DEVICE_REASON_CODES = [
  'probe.f16Missing',
  'probe.nonFinite',
  'probe.maskDiffers',
  'probe.failed',
  'probe.crashed',
  'probe.hung',
  'probe.appStopped',
  'start.crashed',
  'start.failed',
  'batch.crashed',
  'batch.failed',
] as const
export type DeviceReasonCode = (typeof DEVICE_REASON_CODES)[number]

/**
 * One reason. `params` fill the text's placeholders (`message` is onnxruntime's own words, kept
 * as it said them; `exitCode`, when known, is added to any reason); `variant` says which weights
 * failed, for a probe that tried more than one.
 */
export interface DeviceReason {
  code: DeviceReasonCode
  params?: Record<string, string | number>
  variant?: 'bundled' | 'fp32-twin'
}

/** Coded reasons, or the English sentence an older version of Koutu stored in their place. */
export type DeviceReasons = readonly DeviceReason[] | string

export interface DeviceVerdictView {
  /** 'dml', 'coreml', 'webgpu', 'cpu' or 'wasm'. */
  device: string
  model: string
  status: 'passed' | 'rejected' | 'crashed' | 'probing'
  variant: string | null
  reason: DeviceReasons | null
  msPerRun: number | null
  cpuMsPerRun: number | null
  testedAt: string
}

/** The device in use, as facts: the UI words them in the user's language. */
export interface DeviceInUseView {
  kind: string
  gpu: boolean
  gpuName: string | null
  threads: number
  variant: 'bundled' | 'fp32-twin'
}

/** A device that failed mid-batch, the one the engine went on with, and why. */
export interface DeviceFallbackView {
  from: DeviceInUseView
  to: DeviceInUseView
  reason: DeviceReason
}

export interface DeviceStatus {
  /** Null before the local engine first ran. */
  inUse: DeviceInUseView | null
  /** Set when a device failed mid-batch and the engine went on on the CPU. */
  fallback: DeviceFallbackView | null
  verdicts: DeviceVerdictView[]
}
