/**
 * App-wide renderer state: app info, settings and the active language, loaded once through the
 * bridge and kept current by the `settingsChanged` event. Components read it; they never call
 * the bridge for settings themselves.
 */
import type { AppInfo } from '../../../shared/bridge'
import type { SettingKey, Settings } from '../../../shared/settings'
import { BridgeCallError, call, subscribe } from '../lib/bridge'
import { resolveLanguage, translate, type Language, type MessageKey } from '../../../shared/i18n'

export class AppState {
  #info = $state<AppInfo | null>(null)
  #settings = $state<Settings | null>(null)
  #settingError = $state<{ key: SettingKey; message: string } | null>(null)
  #unsubscribe: (() => void) | null = null

  get info(): AppInfo | null {
    return this.#info
  }
  get settings(): Settings | null {
    return this.#settings
  }
  get settingError(): { key: SettingKey; message: string } | null {
    return this.#settingError
  }
  get language(): Language {
    return resolveLanguage(this.#settings?.language ?? 'system', this.#info?.systemLocale ?? navigator.language)
  }

  /** Translates in the active language. */
  t = (key: MessageKey, params?: Record<string, string | number | boolean>): string => translate(this.language, key, params)

  /** Words for a failed bridge call, from its error code. */
  describeError = (error: unknown): string => {
    if (error instanceof BridgeCallError) {
      return this.t(`errors.${error.code}`, { message: error.message, ...error.detail })
    }
    return this.t('errors.internal.unexpected', { message: String(error) })
  }

  async load(): Promise<void> {
    this.#unsubscribe ??= subscribe('settingsChanged', (settings) => {
      this.#settings = settings
    })
    const [info, settings] = await Promise.all([call('getAppInfo'), call('getSettings')])
    this.#info = info
    this.#settings = settings
  }

  async setSetting<K extends SettingKey>(key: K, value: Settings[K]): Promise<boolean> {
    try {
      this.#settings = await call('setSetting', key, value)
      this.#settingError = null
      return true
    } catch (error) {
      this.#settingError = { key, message: this.describeError(error) }
      return false
    }
  }

  reset(): void {
    this.#unsubscribe?.()
    this.#unsubscribe = null
    this.#info = null
    this.#settings = null
    this.#settingError = null
  }
}

export const appState = new AppState()
