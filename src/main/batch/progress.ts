/**
 * Throughput, ETA and event coalescing for batch progress. Progress is a summary, so it may be
 * dropped between emissions (at most one every `intervalMs`, the latest state always delivered);
 * per-file status changes are not coalesced (see BatchService.onItemStatus).
 */

/** Time source, injectable so tests can drive throughput and ETA. */
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

/** Completions per minute over a sliding window. */
export class ThroughputMeter {
  private readonly stamps: number[] = []
  private head = 0
  private startedAt: number | null = null

  constructor(
    private readonly clock: Clock,
    private readonly windowMs = 60_000,
  ) {}

  /** Marks the moment work (re)starts, so the first minute is not measured from zero. */
  begin(): void {
    this.startedAt = this.clock.now()
    this.stamps.length = 0
    this.head = 0
  }

  record(): void {
    this.stamps.push(this.clock.now())
  }

  perMinute(): number {
    const now = this.clock.now()
    while (this.head < this.stamps.length && this.stamps[this.head]! < now - this.windowMs) this.head += 1
    if (this.head > 1024) {
      this.stamps.splice(0, this.head)
      this.head = 0
    }
    const count = this.stamps.length - this.head
    if (count === 0 || this.startedAt === null) return 0
    const span = Math.min(this.windowMs, Math.max(1, now - this.startedAt))
    return (count * 60_000) / span
  }

  /** Seconds to process `remaining` files at the current pace; null without a pace. */
  etaSeconds(remaining: number): number | null {
    const rate = this.perMinute()
    if (remaining === 0) return 0
    if (rate <= 0) return null
    return Math.ceil((remaining * 60) / rate)
  }
}

/**
 * Calls `emit` at most once per `intervalMs`: the first request goes out at once, later ones are
 * folded into one trailing call. `flush()` emits a pending call now (used at state changes).
 */
export class Coalescer {
  private timer: NodeJS.Timeout | null = null
  private pending = false
  private lastEmit = -Infinity

  constructor(
    private readonly emit: () => void,
    private readonly intervalMs = 100,
  ) {}

  request(): void {
    const now = Date.now()
    if (this.timer === null && now - this.lastEmit >= this.intervalMs) {
      this.fire()
      return
    }
    this.pending = true
    if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null
        if (this.pending) this.fire()
      }, Math.max(0, this.intervalMs - (now - this.lastEmit)))
    }
  }

  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.fire()
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.pending = false
  }

  private fire(): void {
    this.pending = false
    this.lastEmit = Date.now()
    this.emit()
  }
}
