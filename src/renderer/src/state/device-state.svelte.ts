/**
 * The local engine's device as the renderer holds it (src/shared/device-status.ts): loaded once,
 * replaced on every `deviceChanged` event, worded in the user's language here.
 */
import type { DeviceInUseView, DeviceStatus } from '../../../shared/device-status'
import { call, subscribe } from '../lib/bridge'
import { appState } from './app-state.svelte'

/** Provider names are product names: the same in every language. */
const PROVIDERS: Record<string, string> = { dml: 'DirectML', coreml: 'Core ML', webgpu: 'WebGPU', cpu: 'CPU', wasm: 'WebAssembly' }

export class DeviceState {
  #status = $state.raw<DeviceStatus | null>(null)
  #busy = $state(false)
  #dismissed = $state.raw<DeviceStatus['fallback']>(null)
  #subscribed = false

  get status(): DeviceStatus | null {
    return this.#status
  }

  /** A fallback the person has not dismissed yet (told once, in the queue). */
  get fallbackToShow(): DeviceStatus['fallback'] {
    const fallback = this.#status?.fallback ?? null
    // Compared by content: every deviceChanged event brings a fresh copy of the same fallback.
    return fallback && JSON.stringify(fallback) !== JSON.stringify(this.#dismissed) ? fallback : null
  }

  dismissFallback(): void {
    this.#dismissed = this.#status?.fallback ?? null
  }

  get busy(): boolean {
    return this.#busy
  }

  async load(): Promise<void> {
    if (!this.#subscribed) {
      this.#subscribed = true
      subscribe('deviceChanged', (status) => {
        this.#status = status
      })
    }
    this.#status = await call('getDeviceStatus')
  }

  async testAgain(): Promise<void> {
    this.#busy = true
    try {
      this.#status = await call('testDevicesAgain')
    } finally {
      this.#busy = false
    }
  }

  providerName(kind: string): string {
    return PROVIDERS[kind] ?? kind
  }

  /** "GPU, DirectML: NVIDIA GeForce …" / "CPU, 8 threads", in the user's language. */
  describe(device: DeviceInUseView): string {
    const t = appState.t
    const line = device.gpu
      ? device.gpuName
        ? t('device.gpuLine', { provider: this.providerName(device.kind), name: device.gpuName })
        : t('device.gpuLineUnnamed', { provider: this.providerName(device.kind) })
      : t(device.kind === 'wasm' ? 'device.wasmLine' : 'device.cpuLine', { threads: device.threads })
    return device.variant === 'fp32-twin' ? t('device.fp32', { line }) : line
  }
}

export const deviceState = new DeviceState()
