/** A manual clock for the tray's injected timers: time moves only when the test says so. */
import type { Timers } from '../../../src/main/tray/credit-refresh'

export class FakeClock implements Timers {
  now = 1_700_000_000_000
  #next = 1
  #pending = new Map<number, { at: number; callback: () => void }>()

  setTimeout = (callback: () => void, ms: number): unknown => {
    const id = this.#next++
    this.#pending.set(id, { at: this.now + ms, callback })
    return id
  }

  clearTimeout = (handle: unknown): void => {
    this.#pending.delete(handle as number)
  }

  /** Timers waiting to fire. */
  get pendingCount(): number {
    return this.#pending.size
  }

  /** Moves time forward, firing due timers in order (including ones they schedule). */
  advance(ms: number): void {
    const target = this.now + ms
    for (;;) {
      const due = [...this.#pending.entries()].filter(([, timer]) => timer.at <= target).sort((a, b) => a[1].at - b[1].at)[0]
      if (!due) break
      this.#pending.delete(due[0])
      this.now = due[1].at
      due[1].callback()
    }
    this.now = target
  }
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise<void>((resolve) => setImmediate(resolve))
}
