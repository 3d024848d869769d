/**
 * The tray's state, gathered from three sources as they change: the account service
 * (AccountState), the credit refresh schedule (its last outcome) and the batch (BatchProgress).
 * Listeners hear about every change that alters what the tray shows, and nothing else, so the
 * glue rebuilds the menu only when it has to (progress arrives ~10 times a second).
 */
import type { AccountState } from '../../shared/account'
import type { BatchProgress } from '../../shared/batch'
import type { CreditRefreshStatus } from './credit-refresh'
import { isCreditUnavailable, type TrayAccount, type TrayState } from './tray-menu'

const NO_BATCH: TrayState['batch'] = { state: 'idle', total: 0, done: 0, skipped: 0, failed: 0, unknown: 0 }
const NO_ACCOUNT: TrayAccount = { loggedIn: false, identity: 'device', phone: null, credit: null, creditCheckedAt: null }

export class TrayStateModel {
  #account: TrayAccount = NO_ACCOUNT
  #refresh: Pick<CreditRefreshStatus, 'refreshing' | 'lastFailureAt'> = { refreshing: false, lastFailureAt: null }
  #batch: TrayState['batch'] = NO_BATCH
  #updateReady: string | null = null
  #listeners = new Set<(state: TrayState) => void>()
  #last: string = JSON.stringify(this.state)

  get state(): TrayState {
    return {
      account: this.#account,
      creditError: isCreditUnavailable(this.#account, this.#refresh.lastFailureAt),
      creditRefreshing: this.#refresh.refreshing,
      batch: this.#batch,
      updateReady: this.#updateReady,
    }
  }

  setAccount(account: AccountState | TrayAccount): void {
    const { loggedIn, identity, phone, credit, creditCheckedAt } = account
    this.#account = { loggedIn, identity, phone, credit, creditCheckedAt }
    this.#changed()
  }

  setRefreshStatus(status: CreditRefreshStatus): void {
    this.#refresh = { refreshing: status.refreshing, lastFailureAt: status.lastFailureAt }
    this.#changed()
  }

  setBatch(progress: BatchProgress | TrayState['batch']): void {
    const { state, total, done, skipped, failed, unknown } = progress
    this.#batch = { state, total, done, skipped, failed, unknown }
    this.#changed()
  }

  /** The version of a downloaded update waiting for a restart, or null. */
  setUpdateReady(version: string | null): void {
    this.#updateReady = version
    this.#changed()
  }

  /** Calls `listener` after each change to the state; returns the unsubscribe function. */
  onChange(listener: (state: TrayState) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #changed(): void {
    const state = this.state
    const key = JSON.stringify(state)
    if (key === this.#last) return
    this.#last = key
    for (const listener of this.#listeners) listener(state)
  }
}
