/**
 * The app's view of the local engine's device (see src/shared/device-status.ts): the device in
 * use as each new engine names it, a fallback once it happened, and the verdicts of this
 * machine's device tests. "Test again" forgets the verdicts; the next batch probes afresh.
 */
import { deviceFacts, storedReasons } from '../shared/device-notes'
import type { DeviceStatus } from '../shared/device-status'
import { type DeviceFallback, type DeviceIdentity, type DeviceInUse, type VerdictStore } from './engine/local'

export class DeviceStatusService {
  #inUse: DeviceInUse | null = null
  #fallback: DeviceFallback | null = null
  #identity: DeviceIdentity | null = null
  readonly #listeners = new Set<(status: DeviceStatus) => void>()

  constructor(private readonly verdicts: VerdictStore) {}

  /** A local engine started on `device` (for the verdicts of `identity`). */
  engineStarted(device: DeviceInUse, identity: DeviceIdentity): void {
    this.#inUse = device
    this.#identity = identity
    void this.notify()
  }

  /** A device failed mid-batch (told once per engine by the engine itself). */
  fellBack(event: DeviceFallback): void {
    this.#fallback = event
    void this.notify()
  }

  onChange(listener: (status: DeviceStatus) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  async status(): Promise<DeviceStatus> {
    const verdicts = this.#identity ? await this.verdicts.list(this.#identity) : []
    return {
      inUse: this.#inUse ? deviceFacts(this.#inUse) : null,
      fallback: this.#fallback ? { from: deviceFacts(this.#fallback.from), to: deviceFacts(this.#fallback.to), reason: this.#fallback.reason } : null,
      verdicts: verdicts.map((entry) => ({
        device: entry.device,
        model: entry.model,
        status: entry.status,
        variant: entry.variant,
        reason: storedReasons(entry.reason),
        msPerRun: entry.msPerRun,
        cpuMsPerRun: entry.cpuMsPerRun,
        testedAt: entry.testedAt,
      })),
    }
  }

  /** Forget every verdict, so the next batch tests each device again. */
  async testAgain(): Promise<DeviceStatus> {
    await this.verdicts.clear()
    this.#fallback = null
    return this.notify()
  }

  private async notify(): Promise<DeviceStatus> {
    const status = await this.status()
    for (const listener of this.#listeners) listener(status)
    return status
  }
}
