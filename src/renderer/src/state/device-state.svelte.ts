/**
 * The local engine's device as the renderer holds it (src/shared/device-status.ts): loaded once,
 * replaced on every `deviceChanged` event, worded in the user's language here.
 */
import type { DeviceFallbackView, DeviceInUseView, DeviceReasons, DeviceStatus } from '../../../shared/device-status'
import { describeDevice, describeFallback, describeReasons, providerName } from '../../../shared/device-texts'
import { call, subscribe } from '../lib/bridge'
import { appState } from './app-state.svelte'

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
    return providerName(kind)
  }

  /**
   * "GPU, DirectML: NVIDIA GeForce …" / "CPU, 8 threads", in the user's language (a report of an
   * older version holds a sentence: shown as it is).
   */
  describe(device: DeviceInUseView | string): string {
    return describeDevice(appState.t, device)
  }

  /** Why a device failed its test, in the user's language (an older version's sentence as it is). */
  describeReasons(reasons: DeviceReasons): string {
    return describeReasons(appState.t, reasons)
  }

  /** The fallback banner's sentence, in the user's language (an older report's sentence as it is). */
  describeFallback(fallback: DeviceFallbackView | string): string {
    return describeFallback(appState.t, fallback)
  }
}

export const deviceState = new DeviceState()
