/**
 * The Farm view's state: the queue's status and this app's part in it, read through the bridge
 * every two seconds while the view is open (Redis has no push to the renderer), and the actions
 * (send folders, retry failures, work here, save the connection).
 */
import type { FarmSendResult, FarmViewState } from '../../../shared/farm'
import { call } from '../lib/bridge'

const REFRESH_MS = 2000

export class FarmState {
  #state = $state<FarmViewState | null>(null)
  #error = $state.raw<unknown>(null)
  #lastSent = $state<FarmSendResult | null>(null)
  #lastRetried = $state<number | null>(null)
  #busy = $state(false)
  #timer: ReturnType<typeof setInterval> | null = null
  #watchers = 0

  get state(): FarmViewState | null {
    return this.#state
  }
  get error(): unknown {
    return this.#error
  }
  get lastSent(): FarmSendResult | null {
    return this.#lastSent
  }
  get lastRetried(): number | null {
    return this.#lastRetried
  }
  get busy(): boolean {
    return this.#busy
  }

  async refresh(): Promise<void> {
    try {
      this.#state = await call('getFarmState')
    } catch (error) {
      this.#error = error
    }
  }

  /** Keeps the status fresh while something shows it; returns the function that stops. */
  watch(): () => void {
    this.#watchers += 1
    if (this.#timer === null) {
      void this.refresh()
      this.#timer = setInterval(() => void this.refresh(), REFRESH_MS)
    }
    return () => {
      this.#watchers -= 1
      if (this.#watchers === 0 && this.#timer !== null) {
        clearInterval(this.#timer)
        this.#timer = null
      }
    }
  }

  async #act<T>(action: () => Promise<T>): Promise<T | null> {
    this.#busy = true
    this.#error = null
    try {
      return await action()
    } catch (error) {
      this.#error = error
      return null
    } finally {
      this.#busy = false
    }
  }

  async send(paths: string[]): Promise<void> {
    if (paths.length === 0) return
    const sent = await this.#act(() => call('sendToFarm', paths))
    if (sent !== null) this.#lastSent = sent
    await this.refresh()
  }

  async retryFailed(): Promise<void> {
    const result = await this.#act(() => call('retryFarmFailed'))
    if (result !== null) this.#lastRetried = result.retried
    await this.refresh()
  }

  async setWorking(on: boolean): Promise<void> {
    const next = await this.#act(() => call('setFarmWorking', on))
    if (next !== null) this.#state = next
  }

  /** Settings → Farm: null keeps the stored password, '' forgets it. Resolves false when refused. */
  async saveConnection(url: string, password: string | null): Promise<boolean> {
    const next = await this.#act(() => call('setFarmConnection', url, password))
    if (next !== null) this.#state = next
    return next !== null
  }
}

export const farmState = new FarmState()
