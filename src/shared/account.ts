/**
 * What the renderer may know about the aipic account: the account state, a history page and the
 * ad. Types only (no Node, no DOM), so the bridge contract can import them.
 *
 * [Note: the token stays in main] None of these types has a token field, on purpose: the token
 * is read, used and stored by the account service in the main process (src/main/aipic/account.ts)
 * and never crosses the bridge. A test checks the serialized state for it.
 */

/** Where the session token lives between runs. */
export const TOKEN_STORAGE_BACKENDS = ['os-encrypted', 'plaintext-file', 'memory-only'] as const
export type TokenStorageBackend = (typeof TOKEN_STORAGE_BACKENDS)[number]

/**
 * Why the token is stored the way it is, for the UI to explain:
 * - 'encrypted': the OS keychain/DPAPI/libsecret encrypts it;
 * - 'basic-text-only': Linux offers only safeStorage's `basic_text` (a fixed key, so not secret);
 * - 'unavailable': the platform offers no encryption at all;
 * - 'user-opted-in': one of the two above, and the user chose to keep the token on disk anyway;
 * - 'command-line': the command line's 0600 config file (no keychain under plain Node).
 */
export type TokenStorageReason = 'encrypted' | 'basic-text-only' | 'unavailable' | 'user-opted-in' | 'command-line'

/** Whose credits are used: the logged-in phone account, or this device's random id. */
export type AccountIdentity = 'phone' | 'device'

export interface AccountState {
  loggedIn: boolean
  identity: AccountIdentity
  /** The logged-in phone, masked as `138****5678`; null when logged out. */
  phone: string | null
  /** Credits left for the current identity; null until fetched. */
  credit: number | null
  /** When `credit` was fetched (epoch ms); null until fetched. */
  creditCheckedAt: number | null
  /** When another SMS code may be requested (epoch ms); null when there is no cooldown. */
  codeCooldownEndsAt: number | null
  tokenStorage: TokenStorageBackend
  tokenStorageReason: TokenStorageReason
  /** Why the last session ended without the user asking, e.g. 'session-expired'; else null. */
  loggedOutReason: 'session-expired' | null
}

/** One past cutout, as `get_rm_bg_list` reports it. */
export interface HistoryItem {
  /** The service's record id, as a string (it may send numbers or strings). */
  id: string
  /** The image URL the service was given; null when the service lists none. */
  imageUrl: string | null
  /** The cutout's URL; null when the service lists none. */
  resultUrl: string | null
  remark: string | null
  /** As the service writes it, e.g. '2020-08-25 17:56:10' (China time). */
  createdAt: string
}

export interface HistoryPage {
  items: HistoryItem[]
  page: number
  size: number
  totalCount: number
}

/** The ad `get_one_ad` returns. URLs that are not http(s) are null so the UI never follows them. */
export interface AdInfo {
  /** The service's ad id, as a string. */
  id: string
  pictureUrl: string | null
  linkUrl: string | null
}
