/**
 * The tray menu as data: a pure function from the tray's state and the dictionary to a list of
 * items. The Electron glue (src/main/tray.ts) turns the list into a `Menu` and sets it again
 * whenever the list changes; keeping the decisions here lets them run (and be tested) under Node.
 *
 * [Note: credits never stale] The credit line shows a number only while it is current: when the
 * last refresh failed after the number was fetched, the line says "unavailable" instead of the
 * old number (see `isCreditUnavailable`).
 */
import type { AccountState } from '../../shared/account'
import type { BatchProgress, BatchState } from '../../shared/batch'
import type { Translate } from './translate'

/** What a menu item does when clicked; the glue maps each to an injected service. */
export type TrayAction = 'refresh-credits' | 'open' | 'pause' | 'resume' | 'open-logs' | 'quit' | 'restart-to-update'

export type TrayMenuItem =
  | { type: 'normal'; id: TrayAction | null; label: string; enabled: boolean }
  | { type: 'separator' }

/** The account fields the tray shows. */
export type TrayAccount = Pick<AccountState, 'loggedIn' | 'identity' | 'phone' | 'credit' | 'creditCheckedAt'>

export interface TrayState {
  account: TrayAccount
  /** The last credit refresh failed and no newer number arrived since: show "unavailable". */
  creditError: boolean
  /** A credit refresh is under way. */
  creditRefreshing: boolean
  batch: Pick<BatchProgress, 'state' | 'total' | 'done' | 'skipped' | 'failed' | 'unknown'>
  /** A downloaded update waiting for "Restart to update" (its version), if any. */
  updateReady?: string | null
}

/** Batch states in which a batch holds the queue (scanning, working, paused or stopping). */
export const ACTIVE_BATCH_STATES: readonly BatchState[] = ['scanning', 'running', 'paused', 'cancelling']

export function isBatchActive(state: BatchState): boolean {
  return ACTIVE_BATCH_STATES.includes(state)
}

/** Files the batch has finished with, whatever the outcome. */
export function processedCount(batch: TrayState['batch']): number {
  return batch.done + batch.skipped + batch.failed + batch.unknown
}

/**
 * True when the credit number must not be shown: a refresh failed at `lastFailureAt` and the
 * account has no number fetched after that moment (a later success elsewhere, e.g. at login,
 * clears it).
 */
export function isCreditUnavailable(account: Pick<AccountState, 'creditCheckedAt'>, lastFailureAt: number | null): boolean {
  if (lastFailureAt === null) return false
  return account.creditCheckedAt === null || account.creditCheckedAt < lastFailureAt
}

/** The credit line, e.g. "Credits: 12 (138****5678)" or "Credits: unavailable". */
export function creditLabel(state: Pick<TrayState, 'account' | 'creditError' | 'creditRefreshing'>, t: Translate): string {
  const { account } = state
  if (state.creditError) return t('tray.creditsUnavailable')
  if (account.credit === null) return state.creditRefreshing ? t('tray.creditsChecking') : t('tray.creditsUnknown')
  if (account.identity === 'phone' && account.loggedIn && account.phone) {
    return t('tray.creditsPhone', { credit: account.credit, phone: account.phone })
  }
  return t('tray.creditsDevice', { credit: account.credit })
}

/** The batch line, or null when no batch is active. */
export function batchLabel(batch: TrayState['batch'], t: Translate): string | null {
  const counts = { processed: processedCount(batch), total: batch.total }
  switch (batch.state) {
    case 'scanning':
      return t('tray.batchScanning', { total: batch.total })
    case 'running':
      return t('tray.batchRunning', counts)
    case 'paused':
      return t('tray.batchPaused', counts)
    case 'cancelling':
      return t('tray.batchCancelling')
    case 'idle':
    case 'finished':
      return null
  }
}

/** The menu, top to bottom. Disabled items with a null id are information lines. */
export function buildTrayMenu(state: TrayState, t: Translate): TrayMenuItem[] {
  const items: TrayMenuItem[] = [
    { type: 'normal', id: null, label: creditLabel(state, t), enabled: false },
    { type: 'normal', id: 'refresh-credits', label: t('tray.refreshCredits'), enabled: !state.creditRefreshing },
    { type: 'separator' },
  ]
  const batchLine = batchLabel(state.batch, t)
  if (batchLine !== null) {
    items.push({ type: 'normal', id: null, label: batchLine, enabled: false })
    // Pausing while scanning or stopping has nothing to act on yet; the item is shown disabled
    // so the menu does not jump around as the batch moves between states.
    if (state.batch.state === 'paused') {
      items.push({ type: 'normal', id: 'resume', label: t('tray.resume'), enabled: true })
    } else {
      items.push({ type: 'normal', id: 'pause', label: t('tray.pause'), enabled: state.batch.state === 'running' })
    }
    items.push({ type: 'separator' })
  }
  if (state.updateReady) {
    // Offered, but not while a batch holds the queue: restarting would cut it short.
    items.push(
      { type: 'normal', id: 'restart-to-update', label: t('tray.restartToUpdate', { version: state.updateReady }), enabled: !isBatchActive(state.batch.state) },
      { type: 'separator' },
    )
  }
  items.push(
    { type: 'normal', id: 'open', label: t('tray.open'), enabled: true },
    { type: 'normal', id: 'open-logs', label: t('tray.openLogs'), enabled: true },
    { type: 'separator' },
    { type: 'normal', id: 'quit', label: t('tray.quit'), enabled: true },
  )
  return items
}

/** The tray icon's tooltip: the app name, and the batch's progress while one is active. */
export function buildTrayTooltip(state: TrayState, t: Translate): string {
  const batchLine = batchLabel(state.batch, t)
  return batchLine === null ? t('tray.tooltip') : t('tray.tooltipWithBatch', { batch: batchLine })
}

/** True when two menus would look and act the same, so the glue can skip setting it again. */
export function sameMenu(a: readonly TrayMenuItem[], b: readonly TrayMenuItem[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
