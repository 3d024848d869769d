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

export interface DeviceStatus {
  /** "GPU, DirectML: NVIDIA GeForce …" or "CPU, 8 threads"; null before the engine first ran. */
  inUse: string | null
  gpu: boolean
  /** Set when a device failed mid-batch and the engine went on on the CPU. */
  fallback: string | null
  verdicts: DeviceVerdictView[]
}
