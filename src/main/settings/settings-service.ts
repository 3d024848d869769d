/**
 * Owns the app's settings: reads them from a KeyValueStore, migrates old versions, validates
 * every key against the shared schema (falling back to the default, with a warning, for any key
 * that was hand-edited into something invalid) and validates every write.
 * See [Note: settings migrations] in src/shared/settings.ts.
 */
import { z } from 'zod'
import { KoutuError } from '../../shared/errors'
import type { Logger } from '../../shared/logger'
import { DEFAULT_SETTINGS, SETTINGS_VERSION, settingsSchema, type SettingKey, type Settings } from '../../shared/settings'
import type { KeyValueStore } from './key-value-store'
import { migrateSettings } from './migrations'

const VERSION_KEY = '$version'
const SETTING_KEYS = Object.keys(settingsSchema.shape) as SettingKey[]

export type SettingsListener = (settings: Settings, changedKey: SettingKey) => void

export function isSettingKey(key: string): key is SettingKey {
  return (SETTING_KEYS as string[]).includes(key)
}

export class SettingsService {
  private current: Settings
  private readonly listeners = new Set<SettingsListener>()

  constructor(
    private readonly store: KeyValueStore,
    private readonly logger: Logger,
  ) {
    this.current = this.load()
  }

  /** The current settings (a copy: callers cannot mutate the service's state). */
  get(): Settings {
    return structuredClone(this.current)
  }

  /** Validates and saves one setting; throws `settings.invalid` naming the key and the problem. */
  set<K extends SettingKey>(key: K, value: unknown): Settings {
    if (!isSettingKey(key)) {
      throw new KoutuError('settings.invalid', `Unknown setting "${String(key)}".`, { detail: { key: String(key) } })
    }
    const parsed = settingsSchema.shape[key].safeParse(value)
    if (!parsed.success) {
      const problem = z.prettifyError(parsed.error).replace(/\s+/g, ' ').trim()
      throw new KoutuError('settings.invalid', `Setting "${key}" was not saved: ${problem}`, {
        detail: { key, problem },
      })
    }
    this.current = { ...this.current, [key]: parsed.data }
    this.store.set(key, parsed.data)
    for (const listener of this.listeners) listener(this.get(), key)
    return this.get()
  }

  onChange(listener: SettingsListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private load(): Settings {
    const raw = this.store.entries()
    const storedVersion = typeof raw[VERSION_KEY] === 'number' ? raw[VERSION_KEY] : SETTINGS_VERSION
    const migrated = migrateSettings(raw, storedVersion)
    if (storedVersion !== SETTINGS_VERSION || raw[VERSION_KEY] === undefined) {
      for (const [key, value] of Object.entries(migrated)) this.store.set(key, value)
      this.store.set(VERSION_KEY, SETTINGS_VERSION)
    }
    const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS }
    for (const key of SETTING_KEYS) {
      if (!(key in migrated)) continue
      const parsed = settingsSchema.shape[key].safeParse(migrated[key])
      if (parsed.success) {
        settings[key] = parsed.data
      } else {
        // Keep the stored value untouched (it may be fixed by hand) but run on the default.
        this.logger.warn('ignoring an invalid stored setting; using its default', { key })
      }
    }
    return settings as Settings
  }
}
