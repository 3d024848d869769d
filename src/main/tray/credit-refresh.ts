/**
 * When the tray refreshes the aipic credit: when its menu opens, after each remote batch, every
 * 10 minutes while aipic is in use, and when the user asks. Owns the schedule and the outcome
 * of the last attempt (the "failed" flag behind "Credits: unavailable"); the fetching itself is
 * the account service's, injected as `refresh`.
 *
 * Timers and the clock are injected so tests drive the schedule without waiting.
 */
import type { Logger } from '../../shared/logger'

/** The timer functions the schedule needs (Node's globals fit). */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const nodeTimers: Timers = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms)
    // The schedule must never keep a process (the command line, a test) alive on its own.
    handle.unref()
    return handle
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

export interface CreditRefreshStatus {
  refreshing: boolean
  /** When the last attempt failed (epoch ms); null when it succeeded or none was made. */
  lastFailureAt: number | null
  /** When the last attempt of any outcome ended (epoch ms); null before the first. */
  lastAttemptAt: number | null
}

export interface CreditRefreshOptions {
  /** Fetches the credit (the account service's refresh); rejects when it could not. */
  refresh: () => Promise<unknown>
  logger: Logger
  timers?: Timers
  now?: () => number
  /** Period of the automatic refresh while aipic is in use. */
  intervalMs?: number
  /** Opening the menu again within this long after an attempt does not refresh again. */
  menuOpenMinGapMs?: number
  /** Called whenever `status` changes. */
  onStatus?: (status: CreditRefreshStatus) => void
}

export const CREDIT_REFRESH_INTERVAL_MS = 10 * 60 * 1000
export const MENU_OPEN_MIN_GAP_MS = 30 * 1000

export class CreditRefreshScheduler {
  readonly #refresh: () => Promise<unknown>
  readonly #logger: Logger
  readonly #timers: Timers
  readonly #now: () => number
  readonly #intervalMs: number
  readonly #menuOpenMinGapMs: number
  readonly #onStatus: (status: CreditRefreshStatus) => void
  #aipicInUse = false
  #stopped = false
  #timer: unknown = null
  #inFlight: Promise<void> | null = null
  #status: CreditRefreshStatus = { refreshing: false, lastFailureAt: null, lastAttemptAt: null }

  constructor(options: CreditRefreshOptions) {
    this.#refresh = options.refresh
    this.#logger = options.logger
    this.#timers = options.timers ?? nodeTimers
    this.#now = options.now ?? Date.now
    this.#intervalMs = options.intervalMs ?? CREDIT_REFRESH_INTERVAL_MS
    this.#menuOpenMinGapMs = options.menuOpenMinGapMs ?? MENU_OPEN_MIN_GAP_MS
    this.#onStatus = options.onStatus ?? (() => {})
  }

  get status(): CreditRefreshStatus {
    return { ...this.#status }
  }

  /**
   * aipic is in use (its engine is selected, or a phone is logged in). Turning it on refreshes
   * at once and starts the 10-minute period; turning it off stops the period, so a user of the
   * local engine alone never has the app calling the service in the background.
   */
  setAipicInUse(inUse: boolean): void {
    if (this.#stopped || inUse === this.#aipicInUse) return
    this.#aipicInUse = inUse
    if (inUse) void this.refreshNow()
    else this.#clearTimer()
  }

  /** The tray menu is opening: refresh, unless aipic is unused or an attempt was made just now. */
  menuOpened(): void {
    if (!this.#aipicInUse || this.#status.refreshing) return
    const last = this.#status.lastAttemptAt
    if (last !== null && this.#now() - last < this.#menuOpenMinGapMs) return
    void this.refreshNow()
  }

  /** A batch on the aipic engine ended: its spending changed the credit. */
  remoteBatchEnded(): void {
    void this.refreshNow()
  }

  /**
   * Refreshes now (the "Refresh credits" item). Joins an attempt already under way rather than
   * starting a second one. Never rejects: a failure is recorded in `status` and logged.
   */
  refreshNow(): Promise<void> {
    if (this.#stopped) return Promise.resolve()
    if (this.#inFlight) return this.#inFlight
    this.#clearTimer()
    this.#setStatus({ refreshing: true })
    this.#inFlight = this.#attempt().finally(() => {
      this.#inFlight = null
      this.#armTimer()
    })
    return this.#inFlight
  }

  /** Stops the schedule for good (app quitting). */
  stop(): void {
    this.#stopped = true
    this.#clearTimer()
  }

  async #attempt(): Promise<void> {
    try {
      await this.#refresh()
      this.#setStatus({ refreshing: false, lastFailureAt: null, lastAttemptAt: this.#now() })
    } catch (error) {
      const now = this.#now()
      this.#logger.warn('credit refresh failed', { error: error instanceof Error ? error.message : String(error) })
      this.#setStatus({ refreshing: false, lastFailureAt: now, lastAttemptAt: now })
    }
  }

  #armTimer(): void {
    this.#clearTimer()
    if (this.#stopped || !this.#aipicInUse) return
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = null
      void this.refreshNow()
    }, this.#intervalMs)
  }

  #clearTimer(): void {
    if (this.#timer !== null) this.#timers.clearTimeout(this.#timer)
    this.#timer = null
  }

  #setStatus(change: Partial<CreditRefreshStatus>): void {
    this.#status = { ...this.#status, ...change }
    this.#onStatus(this.status)
  }
}
