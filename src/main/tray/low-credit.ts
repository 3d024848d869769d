/**
 * Whether to warn that the aipic credit is low. Once per fall below the threshold, per identity:
 * the warning re-arms when the credit climbs back to the threshold (a top-up) or the identity
 * changes (another phone, or back to the device). An unknown credit (null) changes nothing.
 */
import type { AccountState } from '../../shared/account'
import type { Notice, Translate } from './translate'

export type LowCreditAccount = Pick<AccountState, 'loggedIn' | 'identity' | 'phone' | 'credit'>

function identityKey(account: LowCreditAccount): string {
  return account.identity === 'phone' && account.loggedIn ? `phone:${account.phone ?? ''}` : 'device'
}

export class LowCreditWatch {
  #warnedFor: string | null = null

  /**
   * Call with every account change; true when a low-credit notification should be shown now.
   * `threshold` is settings.lowCreditThreshold; 0 turns the warning off.
   */
  observe(account: LowCreditAccount, threshold: number): boolean {
    const key = identityKey(account)
    if (this.#warnedFor !== null && this.#warnedFor !== key) this.#warnedFor = null
    if (account.credit === null || threshold <= 0) return false
    if (account.credit >= threshold) {
      this.#warnedFor = null
      return false
    }
    if (this.#warnedFor === key) return false
    this.#warnedFor = key
    return true
  }
}

/** The notification's words: whose credit, and how much is left. */
export function lowCreditNotice(account: LowCreditAccount, t: Translate): Notice {
  const credit = account.credit ?? 0
  const body =
    account.identity === 'phone' && account.loggedIn && account.phone
      ? t('notifications.lowCreditPhone', { credit, phone: account.phone })
      : t('notifications.lowCreditDevice', { credit })
  return { title: t('notifications.lowCreditTitle'), body }
}
