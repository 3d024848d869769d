/**
 * App updates as the window shows them: main's UpdateStatus, loaded once and kept current by the
 * `updateStatusChanged` event, and the three things a person can ask for (check, download,
 * restart). Whether a restart may happen now is main's decision (never during a batch).
 */
import type { UpdateStatus } from '../../../shared/updates'
import { call, subscribe } from '../lib/bridge'

export class UpdateState {
  #status = $state<UpdateStatus | null>(null)
  #busy = $state(false)
  #error = $state.raw<unknown>(null)
  #unsubscribe: (() => void) | null = null

  get status(): UpdateStatus | null {
    return this.#status
  }
  /** A request from this window is under way. */
  get busy(): boolean {
    return this.#busy
  }
  /** Why the last request from this window failed, until the next one. */
  get error(): unknown {
    return this.#error
  }

  async load(): Promise<void> {
    if (!this.#unsubscribe) {
      this.#unsubscribe = subscribe('updateStatusChanged', (status) => {
        this.#status = status
      })
    }
    this.#status = await call('getUpdateStatus')
  }

  check = (): Promise<void> => this.#run(() => call('checkForUpdates'))
  download = (): Promise<void> => this.#run(() => call('downloadUpdate'))
  restart = (): Promise<void> => this.#run(async () => {
    await call('restartToUpdate')
    return this.#status
  })

  async #run(request: () => Promise<UpdateStatus | null>): Promise<void> {
    this.#busy = true
    this.#error = null
    try {
      const status = await request()
      if (status) this.#status = status
    } catch (error) {
      this.#error = error
    } finally {
      this.#busy = false
    }
  }
}

export const updateState = new UpdateState()
