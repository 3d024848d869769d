/**
 * Recent batches read back from their journals (BatchReport), for the Reports section. Read on
 * demand: a report is a summary of the past, not something that must follow every event.
 */
import type { BatchReport } from '../../../shared/batch'
import { call } from '../lib/bridge'

/** How many recent batches the Reports section lists. */
export const REPORT_LIMIT = 20

export class ReportsState {
  #reports = $state.raw<BatchReport[]>([])
  #loaded = $state(false)
  #loading = $state(false)
  #error = $state.raw<unknown>(null)

  get reports(): readonly BatchReport[] {
    return this.#reports
  }
  get loaded(): boolean {
    return this.#loaded
  }
  get loading(): boolean {
    return this.#loading
  }
  get error(): unknown {
    return this.#error
  }

  async load(): Promise<void> {
    this.#loading = true
    this.#error = null
    try {
      this.#reports = await call('getReports', REPORT_LIMIT)
      this.#loaded = true
    } catch (error) {
      this.#error = error
    } finally {
      this.#loading = false
    }
  }

  reset(): void {
    this.#reports = []
    this.#loaded = false
    this.#loading = false
    this.#error = null
  }
}

export const reportsState = new ReportsState()
