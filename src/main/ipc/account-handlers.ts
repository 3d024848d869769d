/**
 * Bridge handlers for the aipic account: SMS login, credits, history and the ad. The token never
 * crosses (see [Note: the token stays in main] in src/shared/account.ts); the renderer gets
 * AccountState only. Phone and code are bounded here and validated by the account service.
 */
import { z } from 'zod'
import type { AccountState } from '../../shared/account'
import type { AccountService } from '../aipic/account'
import type { HandlerSlice } from './handler-types'

export interface AccountServices {
  /** The current account service (it is replaced when the token storage changes). */
  account: () => AccountService
  /** Moves the token to storage that persists without OS encryption, or back to memory only. */
  setTokenPersistence: (persistWithoutEncryption: boolean) => Promise<AccountState>
}

/** History pages the UI may ask for, and their size (the service documents no limits). */
export const MAX_HISTORY_PAGE = 100_000
export const MAX_HISTORY_SIZE = 50

type AccountMethods =
  | 'getAccount'
  | 'sendCode'
  | 'login'
  | 'logout'
  | 'refreshCredits'
  | 'setTokenPersistence'
  | 'getHistory'
  | 'getAd'

export function createAccountHandlers(services: AccountServices): HandlerSlice<AccountMethods> {
  const account = services.account
  return {
    getAccount: { args: z.tuple([]), run: () => account().getState() },
    sendCode: { args: z.tuple([z.string().max(32)]), run: (phone) => account().sendCode(phone) },
    login: { args: z.tuple([z.string().max(32), z.string().max(16)]), run: (phone, code) => account().login(phone, code) },
    logout: { args: z.tuple([]), run: () => account().logout() },
    refreshCredits: { args: z.tuple([]), run: () => account().refreshCredits() },
    setTokenPersistence: { args: z.tuple([z.boolean()]), run: (persist) => services.setTokenPersistence(persist) },
    getHistory: {
      args: z.tuple([z.number().int().min(1).max(MAX_HISTORY_PAGE), z.number().int().min(1).max(MAX_HISTORY_SIZE)]),
      run: (page, size) => account().historyPage(page, size),
    },
    getAd: { args: z.tuple([]), run: () => account().getAd() },
  }
}
