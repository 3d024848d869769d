/**
 * The aipic account, in the main process (and the command line): phone login with an SMS code,
 * the session (persisted: phone, customer id, last credit, code cooldown, device id; the token
 * only through a SecretVault), device mode for users who do not log in, credits, history, the ad,
 * and the two calls the remote engine makes (`cutout`, `creditsLeft`).
 *
 * It is the only holder of the token: `getState()` (all the renderer sees) has none, see
 * [Note: the token stays in main] in src/shared/account.ts. A token the server rejects ends the
 * session cleanly (state `loggedOutReason: 'session-expired'`) and the error is rethrown.
 */
import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import type { AccountIdentity, AccountState, AdInfo, HistoryPage, TokenStorageReason } from '../../shared/account'
import { KoutuError, isKoutuError } from '../../shared/errors'
import type { Logger } from '../../shared/logger'
import type { KeyValueStore } from '../settings/key-value-store'
import type { AipicClient } from './client'
import { maskPhone, normalizePhone, normalizeSmsCode } from './phone'
import type { SecretVault } from './secret-vault'

/** The store key of the persisted account record. */
export const ACCOUNT_STORE_KEY = 'aipicAccount'
/** The vault entry of the session token. */
export const TOKEN_SECRET_NAME = 'aipic-token'
/** How long after sending an SMS code another may be requested. */
export const CODE_COOLDOWN_MS = 60_000

const persistedSchema = z.object({
  deviceId: z.string().min(8).max(128).nullable().catch(null),
  customerId: z.string().min(1).max(11).nullable().catch(null),
  phone: z.string().max(32).nullable().catch(null),
  credit: z.number().int().nullable().catch(null),
  creditCheckedAt: z.number().nullable().catch(null),
  /** Whose credit `credit` is, so a device's count is never shown as the account's. */
  creditOf: z.enum(['phone', 'device']).nullable().catch(null),
  codeCooldownEndsAt: z.number().nullable().catch(null),
  loggedOutReason: z.enum(['session-expired']).nullable().catch(null),
})
type Persisted = z.infer<typeof persistedSchema>

const EMPTY: Persisted = {
  deviceId: null,
  customerId: null,
  phone: null,
  credit: null,
  creditCheckedAt: null,
  creditOf: null,
  codeCooldownEndsAt: null,
  loggedOutReason: null,
}

export interface AccountServiceDeps {
  client: AipicClient
  /** Non-secret state (the app's settings store, or the command line's JSON file). */
  store: KeyValueStore
  vault: SecretVault
  /** Why the vault is what it is (from `chooseTokenStorage`), for the UI. */
  tokenStorageReason: TokenStorageReason
  logger: Logger
  now?: () => number
  newDeviceId?: () => string
}

export type AccountListener = (state: AccountState) => void

export class AccountService {
  private client: AipicClient
  private readonly store: KeyValueStore
  private vault: SecretVault
  private readonly logger: Logger
  private readonly now: () => number
  private tokenStorageReason: TokenStorageReason
  private readonly listeners = new Set<AccountListener>()
  private record: Persisted
  private token: string | null = null

  constructor(deps: AccountServiceDeps) {
    this.client = deps.client
    this.store = deps.store
    this.vault = deps.vault
    this.logger = deps.logger
    this.now = deps.now ?? Date.now
    this.tokenStorageReason = deps.tokenStorageReason
    const stored = this.store.get(ACCOUNT_STORE_KEY)
    const parsed = persistedSchema.safeParse(stored ?? EMPTY)
    if (!parsed.success) this.logger.warn('aipic: the stored account record is unreadable; starting logged out')
    this.record = parsed.success ? parsed.data : { ...EMPTY }
    if (this.record.deviceId === null) {
      this.record.deviceId = (deps.newDeviceId ?? randomUUID)()
      this.persist()
    }
  }

  /** Loads the token from the vault. A session whose token is gone (memory-only vault, new run) ends here. */
  async init(): Promise<AccountState> {
    let token: string | null = null
    try {
      token = await this.vault.load(TOKEN_SECRET_NAME)
    } catch (error) {
      this.logger.warn('aipic: the session token could not be read; logged out', { error: String(error) })
    }
    if (token && this.record.customerId && this.record.phone) {
      this.token = token
    } else if (this.record.customerId || this.record.phone) {
      this.logger.info('aipic: no stored token for the last session; logged out', { storage: this.vault.backend })
      this.endSession(null)
    }
    return this.getState()
  }

  /** Replaces the client, e.g. when the API base URL setting changes. The session is kept. */
  setClient(client: AipicClient): void {
    this.client = client
  }

  /**
   * Moves the token to another vault, e.g. when the user opts in to (or out of) keeping it on
   * disk without real encryption (`chooseTokenStorage` again with the new choice). The old copy
   * is removed; the session goes on.
   */
  async setTokenStorage(vault: SecretVault, reason: TokenStorageReason): Promise<AccountState> {
    const previous = this.vault
    this.vault = vault
    this.tokenStorageReason = reason
    if (previous !== vault) {
      if (this.token !== null) {
        try {
          await vault.save(TOKEN_SECRET_NAME, this.token)
        } catch (error) {
          this.logger.warn('aipic: the session token could not be moved; it is kept for this run only', { error: String(error) })
        }
      }
      try {
        await previous.clear(TOKEN_SECRET_NAME)
      } catch (error) {
        this.logger.warn('aipic: the old copy of the token could not be removed', { error: String(error) })
      }
    }
    this.logger.info('aipic: token storage changed', { storage: vault.backend, reason })
    return this.changed()
  }

  /** The device id: the `uuid`/`unikey` of device mode. Not secret, but not shown in the UI either. */
  get deviceId(): string {
    return this.record.deviceId ?? ''
  }

  getState(): AccountState {
    const identity = this.identity()
    const cooldown = this.record.codeCooldownEndsAt
    const creditKnown = this.record.creditOf === identity
    return {
      loggedIn: identity === 'phone',
      identity,
      phone: identity === 'phone' && this.record.phone ? maskPhone(this.record.phone) : null,
      credit: creditKnown ? this.record.credit : null,
      creditCheckedAt: creditKnown ? this.record.creditCheckedAt : null,
      codeCooldownEndsAt: cooldown !== null && cooldown > this.now() ? cooldown : null,
      tokenStorage: this.vault.backend,
      tokenStorageReason: this.tokenStorageReason,
      loggedOutReason: this.record.loggedOutReason,
    }
  }

  onChange(listener: AccountListener): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  /** Sends an SMS code to `phone` (as typed: +86, spaces and dashes are fine). 60 s cooldown, kept across restarts. */
  async sendCode(phoneInput: string): Promise<AccountState> {
    const phone = normalizePhone(phoneInput)
    const endsAt = this.record.codeCooldownEndsAt
    if (endsAt !== null && endsAt > this.now()) {
      const secondsLeft = Math.ceil((endsAt - this.now()) / 1000)
      throw new KoutuError('aipic.code-cooldown', `Wait ${secondsLeft} s before asking for another code.`, { detail: { secondsLeft } })
    }
    await this.client.sendSmsCode({ phone })
    this.record.codeCooldownEndsAt = this.now() + CODE_COOLDOWN_MS
    this.logger.info('aipic: SMS code sent', { phone: maskPhone(phone) })
    return this.changed()
  }

  /** Logs in with the 4-digit code; the token goes to the vault, the rest to the store. */
  async login(phoneInput: string, codeInput: string): Promise<AccountState> {
    const phone = normalizePhone(phoneInput)
    const vcode = normalizeSmsCode(codeInput)
    const session = await this.client.login({ phone, vcode })
    try {
      await this.vault.save(TOKEN_SECRET_NAME, session.token)
    } catch (error) {
      // Still logged in for this run; the next run asks again.
      this.logger.warn('aipic: the session token could not be stored; it is kept for this run only', { error: String(error) })
    }
    this.token = session.token
    this.record = {
      ...this.record,
      customerId: session.customerId,
      phone,
      credit: session.credit,
      creditCheckedAt: session.credit === null ? null : this.now(),
      creditOf: session.credit === null ? null : 'phone',
      loggedOutReason: null,
    }
    this.logger.info('aipic: logged in', { phone: maskPhone(phone), storage: this.vault.backend })
    return this.changed()
  }

  /** Ends the session here (the service has no logout endpoint; the token is forgotten). */
  async logout(): Promise<AccountState> {
    await this.forgetToken()
    this.endSession(null)
    this.logger.info('aipic: logged out')
    return this.getState()
  }

  /** Fetches the credits of the current identity and returns the new state. */
  async refreshCredits(signal?: AbortSignal): Promise<AccountState> {
    await this.creditsLeft(signal)
    return this.getState()
  }

  /** Credits left for the current identity (phone when logged in, else the device id). */
  async creditsLeft(signal?: AbortSignal): Promise<number> {
    const identity = this.identity()
    const options = signal ? { signal } : {}
    const credit = await this.guard(() =>
      identity === 'phone'
        ? this.client.getCreditByPhone({ phone: this.record.phone ?? '' }, options)
        : this.client.getCreditByUnikey({ unikey: this.deviceId }, options),
    )
    // The identity may have changed while the request was out; then this count belongs to nobody shown.
    if (this.identity() === identity) this.setCredit(identity, credit)
    return credit
  }

  /** A page of past cutouts of the logged-in account (pages start at 1). */
  async historyPage(page: number, size: number, signal?: AbortSignal): Promise<HistoryPage> {
    const { customerId, token } = this.requireSession()
    return this.guard(() => this.client.getHistory({ customer_id: customerId, token, page, size }, signal ? { signal } : {}))
  }

  async getAd(signal?: AbortSignal): Promise<AdInfo | null> {
    return this.client.getAd(signal ? { signal } : {})
  }

  /**
   * One remote cutout of the image at `imgUrl`: rm_pic_bg when logged in, rm_pic_bg_with_uuid in
   * device mode. Sent once, never retried (see [Note: aipic retries and spent credits]).
   * The known credit is counted down by one on success; `refreshCredits` after the batch corrects it.
   * `expectIdentity` (the identity when the batch started) stops a batch that began logged in
   * from silently going on with the device's credits after the session ended.
   */
  async cutout(
    imgUrl: string,
    signal?: AbortSignal,
    expectIdentity?: AccountIdentity,
  ): Promise<{ resultUrl: string; identity: AccountIdentity }> {
    const identity = this.identity()
    if (expectIdentity !== undefined && expectIdentity !== identity) {
      throw expectIdentity === 'phone'
        ? new KoutuError('aipic.session-expired', 'The aipic session ended; log in again to go on with your account credits.')
        : new KoutuError('aipic.rejected', 'You logged in during the batch; start it again to use your account credits.', {
            detail: { endpoint: 'rm_pic_bg_with_uuid', serverMessage: '' },
          })
    }
    const options = signal ? { signal } : {}
    try {
      const { resultUrl } = await this.guard(() => {
        if (identity === 'phone') {
          const { customerId, token } = this.requireSession()
          return this.client.removeBackground({ customer_id: customerId, token, img_url: imgUrl }, options)
        }
        return this.client.removeBackgroundWithUuid({ uuid: this.deviceId, img_url: imgUrl }, options)
      })
      if (this.identity() === identity && this.record.creditOf === identity && this.record.credit !== null) {
        this.record.credit = Math.max(0, this.record.credit - 1)
        this.changed()
      }
      return { resultUrl, identity }
    } catch (error) {
      if (isKoutuError(error, 'aipic.out-of-credit') && this.identity() === identity) this.setCredit(identity, 0)
      throw error
    }
  }

  /** Downloads a cutout's result image (retried like a read; 404 is `aipic.result-unavailable`). */
  async downloadResult(resultUrl: string, signal?: AbortSignal): Promise<Uint8Array> {
    return this.client.fetchResult(resultUrl, signal ? { signal } : {})
  }

  private identity(): AccountIdentity {
    return this.token !== null && this.record.customerId !== null && this.record.phone !== null ? 'phone' : 'device'
  }

  private requireSession(): { customerId: string; token: string } {
    if (this.token === null || this.record.customerId === null) {
      throw new KoutuError('aipic.not-logged-in', 'Log in to the aipic account first.')
    }
    return { customerId: this.record.customerId, token: this.token }
  }

  /** Runs a call; a rejected token ends the session (with the reason in the state) before the error goes on. */
  private async guard<T>(call: () => Promise<T>): Promise<T> {
    const tokenUsed = this.token
    try {
      return await call()
    } catch (error) {
      if (isKoutuError(error, 'aipic.session-expired') && tokenUsed !== null && this.token === tokenUsed) {
        this.logger.warn('aipic: the server rejected the session; logged out')
        await this.forgetToken()
        this.endSession('session-expired')
      }
      throw error
    }
  }

  private setCredit(identity: AccountIdentity, credit: number): void {
    this.record.credit = credit
    this.record.creditOf = identity
    this.record.creditCheckedAt = this.now()
    this.changed()
  }

  private async forgetToken(): Promise<void> {
    this.token = null
    try {
      await this.vault.clear(TOKEN_SECRET_NAME)
    } catch (error) {
      this.logger.warn('aipic: the stored token could not be removed', { error: String(error) })
    }
  }

  private endSession(reason: 'session-expired' | null): void {
    this.token = null
    this.record = {
      ...this.record,
      customerId: null,
      phone: null,
      credit: null,
      creditCheckedAt: null,
      creditOf: null,
      loggedOutReason: reason,
    }
    this.changed()
  }

  private persist(): void {
    try {
      this.store.set(ACCOUNT_STORE_KEY, { ...this.record })
    } catch (error) {
      this.logger.warn('aipic: the account record could not be saved', { error: String(error) })
    }
  }

  private changed(): AccountState {
    this.persist()
    const state = this.getState()
    for (const listener of this.listeners) {
      try {
        listener(state)
      } catch (error) {
        this.logger.error('aipic: an account listener failed', { error: String(error) })
      }
    }
    return state
  }
}
