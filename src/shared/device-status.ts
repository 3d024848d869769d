/**
 * What the UI shows about the local engine's device: the one in use (named as the sidebar shows
 * it), a fallback said once, and each device's test verdict on this machine (Settings → Engine →
 * Processing, with "Test again").
 */

export interface DeviceVerdictView {
  /** 'dml', 'coreml', 'webgpu', 'cpu' or 'wasm'. */
  device: string
  model: string
  status: 'passed' | 'rejected' | 'crashed' | 'probing'
  variant: string | null
  reason: string | null
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

export interface DeviceStatus {
  /** Null before the local engine first ran. */
  inUse: DeviceInUseView | null
  /** Set when a device failed mid-batch and the engine went on on the CPU. */
  fallback: { from: string; to: string; reason: string } | null
  verdicts: DeviceVerdictView[]
}
