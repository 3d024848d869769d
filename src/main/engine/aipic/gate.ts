/**
 * A counting gate: at most `size` holders at once, the rest wait in order. The aipic engine puts
 * one around its cutout requests (never more in flight at the service than the configured
 * concurrency) and one around its finishing stage (bounded CPU and memory), while the batch keeps
 * a few more files in flight so uploads run ahead and compositing runs behind.
 *
 * Waiting is cancellable: a waiter whose signal aborts leaves the line at once with the signal's
 * reason and never holds the gate. (p-limit, the usual choice, cannot drop one queued task.)
 */
export class Gate {
  private held = 0
  private readonly waiting: Array<{ grant: () => void }> = []

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`gate size must be a positive integer, got ${size}`)
  }

  /** Holders right now. */
  get active(): number {
    return this.held
  }

  /** Runs `task` while holding the gate. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal)
    try {
      return await task()
    } finally {
      this.release()
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    if (this.held < this.size) {
      this.held += 1
      return Promise.resolve()
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort)
          this.held += 1
          resolve()
        },
      }
      const onAbort = (): void => {
        const index = this.waiting.indexOf(waiter)
        if (index >= 0) this.waiting.splice(index, 1)
        reject(signal!.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(waiter)
    })
  }

  private release(): void {
    this.held -= 1
    this.waiting.shift()?.grant()
  }
}
