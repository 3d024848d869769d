/**
 * Where the aipic session token is kept, behind one small interface, and the policy that picks
 * the place. The app's glue builds an `EncryptedStoreVault` over Electron's safeStorage (only
 * ciphertext reaches the settings file); the command line uses `PlaintextFileVault` (a 0600 JSON
 * file, since plain Node has no keychain); `MemoryVault` keeps it for this run only.
 *
 * [Note: token storage policy] safeStorage on Linux may fall back to `basic_text`, which
 * "encrypts" with a fixed key: that is plaintext in disguise. So the token is persisted
 * encrypted only when real OS encryption is available; otherwise it stays in memory (the user
 * logs in again next run) unless the user opts in to keeping it on disk, and the UI says which
 * (`chooseTokenStorage` below; the renderer gets its result in AccountState).
 */
import fs from 'node:fs'
import path from 'node:path'
import type { TokenStorageBackend, TokenStorageReason } from '../../shared/account'
import { KoutuError } from '../../shared/errors'
import type { KeyValueStore } from '../settings/key-value-store'

export interface SecretVault {
  readonly backend: TokenStorageBackend
  save(name: string, secret: string): Promise<void>
  load(name: string): Promise<string | null>
  clear(name: string): Promise<void>
}

/** What `chooseTokenStorage` needs to know about the platform (from Electron's safeStorage). */
export interface TokenStorageInputs {
  platform: NodeJS.Platform
  /** `safeStorage.isEncryptionAvailable()`. */
  encryptionAvailable: boolean
  /** `safeStorage.getSelectedStorageBackend()` on Linux ('basic_text', 'gnome_libsecret', 'kwallet5', …); ignored elsewhere. */
  selectedBackend: string | null
  /** The user chose to keep the token on disk although it cannot be encrypted. */
  allowPlaintext: boolean
}

/** The decision: where the token goes, and why (shown to the user). */
export function chooseTokenStorage(inputs: TokenStorageInputs): { backend: TokenStorageBackend; reason: TokenStorageReason } {
  // Before the app is ready Linux reports 'unknown'; treat anything but a real keyring as no encryption.
  const linuxWeak = inputs.platform === 'linux' && (inputs.selectedBackend === null || ['basic_text', 'unknown'].includes(inputs.selectedBackend))
  if (inputs.encryptionAvailable && !linuxWeak) return { backend: 'os-encrypted', reason: 'encrypted' }
  if (inputs.allowPlaintext) return { backend: 'plaintext-file', reason: 'user-opted-in' }
  return { backend: 'memory-only', reason: inputs.encryptionAvailable ? 'basic-text-only' : 'unavailable' }
}

/** Keeps secrets for the life of the process only. */
export class MemoryVault implements SecretVault {
  readonly backend = 'memory-only' as const
  private readonly secrets = new Map<string, string>()

  async save(name: string, secret: string): Promise<void> {
    this.secrets.set(name, secret)
  }
  async load(name: string): Promise<string | null> {
    return this.secrets.get(name) ?? null
  }
  async clear(name: string): Promise<void> {
    this.secrets.delete(name)
  }
}

/** The part of Electron's safeStorage the encrypted vault uses (so tests can pass a node:crypto cipher). */
export interface StringCipher {
  encryptString(plainText: string): Buffer
  decryptString(encrypted: Buffer): string
}

/**
 * Secrets encrypted by `cipher` and stored as base64 ciphertext in a key-value store (the app's
 * settings file), under `secret.<name>`. A value that no longer decrypts (another user, a reset
 * keyring) reads as absent, so the user is simply logged out.
 */
export class EncryptedStoreVault implements SecretVault {
  readonly backend: TokenStorageBackend

  constructor(
    private readonly store: KeyValueStore,
    private readonly cipher: StringCipher,
    /** 'plaintext-file' when the cipher is safeStorage's basic_text and the user opted in. */
    backend: TokenStorageBackend = 'os-encrypted',
  ) {
    this.backend = backend
  }

  async save(name: string, secret: string): Promise<void> {
    this.store.set(storeKey(name), this.cipher.encryptString(secret).toString('base64'))
  }
  async load(name: string): Promise<string | null> {
    const stored = this.store.get(storeKey(name))
    if (typeof stored !== 'string' || stored === '') return null
    try {
      return this.cipher.decryptString(Buffer.from(stored, 'base64'))
    } catch {
      return null
    }
  }
  async clear(name: string): Promise<void> {
    this.store.delete(storeKey(name))
  }
}

function storeKey(name: string): string {
  return `secret.${name}`
}

/**
 * Secrets in plaintext in a JSON file only its owner may read (mode 0600, set on every write and
 * tightened if found looser). The command line's vault. On Windows the mode is not enforced; the
 * file is protected by the user profile's ACL instead.
 */
export class PlaintextFileVault implements SecretVault {
  readonly backend = 'plaintext-file' as const

  constructor(readonly filePath: string) {}

  async save(name: string, secret: string): Promise<void> {
    const secrets = this.read()
    secrets[name] = secret
    this.write(secrets)
  }
  async load(name: string): Promise<string | null> {
    return this.read()[name] ?? null
  }
  async clear(name: string): Promise<void> {
    const secrets = this.read()
    if (!(name in secrets)) return
    delete secrets[name]
    this.write(secrets)
  }

  private read(): Record<string, string> {
    let text: string
    try {
      const stat = fs.statSync(this.filePath)
      if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) fs.chmodSync(this.filePath, 0o600)
      text = fs.readFileSync(this.filePath, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
      throw storageError(this.filePath, error)
    }
    try {
      const parsed: unknown = JSON.parse(text)
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {}
      return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
    } catch {
      // A damaged token file only means logging in again.
      return {}
    }
  }

  private write(secrets: Record<string, string>): void {
    try {
      fs.mkdirSync(path.dirname(this.filePath), { recursive: true })
      const temp = `${this.filePath}.${process.pid}.tmp`
      fs.writeFileSync(temp, `${JSON.stringify(secrets)}\n`, { mode: 0o600 })
      fs.renameSync(temp, this.filePath)
      if (process.platform !== 'win32') fs.chmodSync(this.filePath, 0o600)
    } catch (error) {
      throw storageError(this.filePath, error)
    }
  }
}

function storageError(filePath: string, cause: unknown): KoutuError {
  const reason = (cause as NodeJS.ErrnoException).code ?? String(cause)
  return new KoutuError('aipic.token-storage', `The session file ${filePath} cannot be read or written (${reason}).`, {
    detail: { reason },
    cause,
  })
}
