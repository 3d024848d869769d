/**
 * The aipic account as the renderer sees it: the account state from main (never a token; see
 * [Note: the token stays in main] in src/shared/account.ts), the login form with its inline
 * validation and SMS resend countdown, the history pages and the ad banner.
 */
import type { AccountState as AccountSnapshot, AdInfo, HistoryPage } from '../../../shared/account'
import { isMainlandMobile, stripPhoneNumber } from '../../../shared/phone'
import { call, subscribe } from '../lib/bridge'

export const HISTORY_PAGE_SIZE = 10

type Busy = 'send' | 'login' | 'logout' | 'refresh' | 'persist' | null

export class AccountState {
  #account = $state.raw<AccountSnapshot | null>(null)
  #phone = $state('')
  #code = $state('')
  #phoneTouched = $state(false)
  #codeTouched = $state(false)
  #codeSent = $state(false)
  #busy = $state<Busy>(null)
  #error = $state.raw<unknown>(null)
  #now = $state(Date.now())
  #history = $state.raw<HistoryPage | null>(null)
  #historyError = $state.raw<unknown>(null)
  #historyLoading = $state(false)
  #ad = $state.raw<AdInfo | null>(null)
  #adDismissed = $state(false)
  #adBroken = $state(false)
  #aipicPrepared = false
  #ticker: ReturnType<typeof setInterval> | null = null
  #unsubscribe: (() => void) | null = null

  get account(): AccountSnapshot | null {
    return this.#account
  }
  get phone(): string {
    return this.#phone
  }
  get code(): string {
    return this.#code
  }
  get busy(): Busy {
    return this.#busy
  }
  get error(): unknown {
    return this.#error
  }
  get codeSent(): boolean {
    return this.#codeSent
  }
  get phoneValid(): boolean {
    return isMainlandMobile(stripPhoneNumber(this.#phone))
  }
  get codeValid(): boolean {
    return /^\d{4}$/.test(this.#code.replace(/\s/g, ''))
  }
  /** Shown only once the person has typed (or left the field), not on an empty form. */
  get phoneProblem(): boolean {
    return this.#phoneTouched && this.#phone.trim() !== '' && !this.phoneValid
  }
  get codeProblem(): boolean {
    return this.#codeTouched && this.#code.trim() !== '' && !this.codeValid
  }
  /** Whole seconds until another code may be requested; 0 when it may be now. */
  get cooldownSeconds(): number {
    const endsAt = this.#account?.codeCooldownEndsAt ?? null
    if (endsAt === null) return 0
    return Math.max(0, Math.ceil((endsAt - this.#now) / 1000))
  }
  get history(): HistoryPage | null {
    return this.#history
  }
  get historyError(): unknown {
    return this.#historyError
  }
  get historyLoading(): boolean {
    return this.#historyLoading
  }
  get historyPages(): number {
    const page = this.#history
    return page ? Math.max(1, Math.ceil(page.totalCount / page.size)) : 1
  }
  /** The ad, only while it may be shown: present, both links usable, not dismissed, image loads. */
  get ad(): AdInfo | null {
    const ad = this.#ad
    if (!ad || this.#adDismissed || this.#adBroken) return null
    if (!isHttpUrl(ad.pictureUrl) || !isHttpUrl(ad.linkUrl)) return null
    return ad
  }

  async load(): Promise<void> {
    this.#unsubscribe ??= subscribe('accountChanged', (account) => this.#setAccount(account))
    this.#setAccount(await call('getAccount'))
  }

  setPhone(value: string): void {
    this.#phone = value
  }
  setCode(value: string): void {
    this.#code = value
  }
  touchPhone(): void {
    this.#phoneTouched = true
  }
  touchCode(): void {
    this.#codeTouched = true
  }

  async sendCode(): Promise<void> {
    this.#phoneTouched = true
    if (!this.phoneValid) return
    if (await this.#act('send', () => call('sendCode', stripPhoneNumber(this.#phone)))) this.#codeSent = true
  }

  async login(): Promise<void> {
    this.#phoneTouched = true
    this.#codeTouched = true
    if (!this.phoneValid || !this.codeValid) return
    const ok = await this.#act('login', () => call('login', stripPhoneNumber(this.#phone), this.#code.replace(/\s/g, '')))
    if (ok) {
      this.#code = ''
      this.#codeSent = false
      this.#codeTouched = false
      await this.loadHistory(1)
    }
  }

  async logout(): Promise<void> {
    if (await this.#act('logout', () => call('logout'))) this.#history = null
  }

  async refreshCredits(): Promise<void> {
    await this.#act('refresh', () => call('refreshCredits'))
  }

  async setTokenPersistence(persist: boolean): Promise<void> {
    await this.#act('persist', () => call('setTokenPersistence', persist))
  }

  async loadHistory(page: number): Promise<void> {
    if (!this.#account?.loggedIn) {
      this.#history = null
      return
    }
    this.#historyLoading = true
    this.#historyError = null
    try {
      this.#history = await call('getHistory', Math.max(1, page), HISTORY_PAGE_SIZE)
    } catch (error) {
      this.#historyError = error
    } finally {
      this.#historyLoading = false
    }
  }

  /**
   * Once per run, when the aipic engine is chosen: fetch the ad and, if unknown, the credits.
   * Nothing is sent to aipic before that.
   */
  async prepareForAipic(): Promise<void> {
    if (this.#aipicPrepared) return
    this.#aipicPrepared = true
    await this.loadAd()
    if (this.#account !== null && this.#account.credit === null) {
      try {
        this.#setAccount(await call('refreshCredits'))
      } catch {
        // The balance stays "not checked yet"; the Refresh button shows why if it fails again.
      }
    }
  }

  /** The ad is fetched once per run; failures only mean no banner. */
  async loadAd(): Promise<void> {
    try {
      this.#ad = await call('getAd')
      this.#adBroken = false
    } catch {
      this.#ad = null
    }
  }

  dismissAd(): void {
    this.#adDismissed = true
  }

  /** The picture did not load: hide the banner rather than show a broken image. */
  markAdBroken(): void {
    this.#adBroken = true
  }

  async openExternal(url: string): Promise<void> {
    try {
      await call('openExternal', url)
    } catch (error) {
      this.#error = error
    }
  }

  #setAccount(account: AccountSnapshot): void {
    this.#account = account
    this.#now = Date.now()
    if (account.codeCooldownEndsAt !== null && account.codeCooldownEndsAt > Date.now()) this.#startTicker()
  }

  #startTicker(): void {
    if (this.#ticker !== null) return
    this.#ticker = setInterval(() => {
      this.#now = Date.now()
      if (this.cooldownSeconds === 0 && this.#ticker !== null) {
        clearInterval(this.#ticker)
        this.#ticker = null
      }
    }, 250)
  }

  async #act(busy: Exclude<Busy, null>, action: () => Promise<AccountSnapshot>): Promise<boolean> {
    this.#busy = busy
    this.#error = null
    try {
      this.#setAccount(await action())
      return true
    } catch (error) {
      this.#error = error
      // A failed call may still have changed the account (a cooldown, an expired session).
      try {
        this.#setAccount(await call('getAccount'))
      } catch {
        // The first error is the one worth showing.
      }
      return false
    } finally {
      this.#busy = null
    }
  }

  reset(): void {
    this.#unsubscribe?.()
    this.#unsubscribe = null
    if (this.#ticker !== null) clearInterval(this.#ticker)
    this.#ticker = null
    this.#account = null
    this.#phone = ''
    this.#code = ''
    this.#phoneTouched = false
    this.#codeTouched = false
    this.#codeSent = false
    this.#busy = null
    this.#error = null
    this.#history = null
    this.#historyError = null
    this.#historyLoading = false
    this.#ad = null
    this.#adDismissed = false
    this.#adBroken = false
    this.#aipicPrepared = false
  }
}

function isHttpUrl(value: string | null): value is string {
  if (value === null || !URL.canParse(value)) return false
  const protocol = new URL(value).protocol
  return protocol === 'http:' || protocol === 'https:'
}

export const accountState = new AccountState()
