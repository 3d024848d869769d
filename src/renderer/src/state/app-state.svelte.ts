/**
 * App-wide renderer state: app info, settings, the active language and the visible section,
 * loaded once through the bridge and kept current by the `settingsChanged` event. Components
 * read it; they never call the bridge for settings themselves.
 */
import type { AppInfo } from '../../../shared/bridge'
import type { SerializedError } from '../../../shared/errors'
import type { SettingKey, Settings } from '../../../shared/settings'
import { BridgeCallError, call, subscribe } from '../lib/bridge'
import { resolveLanguage, translate, type Language, type MessageKey } from '../../../shared/i18n'

export const VIEWS = ['queue', 'review', 'reports', 'account', 'settings'] as const
export type View = (typeof VIEWS)[number]

/** Shown next to the control that caused it, until that setting is saved successfully. */
export interface SettingProblem {
  key: SettingKey | 's3Keys' | 'customModel' | 'outputRoot'
  error: unknown
}

function isSerializedError(value: unknown): value is SerializedError {
  return typeof value === 'object' && value !== null && 'code' in value && 'message' in value && 'detail' in value
}

export class AppState {
  #info = $state<AppInfo | null>(null)
  #settings = $state<Settings | null>(null)
  #settingError = $state.raw<SettingProblem | null>(null)
  #view = $state<View>('queue')
  #systemDark = $state(false)
  #unsubscribe: (() => void) | null = null
  #stopFollowingSystem: (() => void) | null = null

  get info(): AppInfo | null {
    return this.#info
  }
  get settings(): Settings | null {
    return this.#settings
  }
  get settingError(): SettingProblem | null {
    return this.#settingError
  }
  get view(): View {
    return this.#view
  }
  /** The theme in effect: the setting, or the system's appearance when it is 'system'. */
  get theme(): 'light' | 'dark' {
    const setting = this.#settings?.theme ?? 'system'
    if (setting !== 'system') return setting
    return this.#systemDark ? 'dark' : 'light'
  }
  get language(): Language {
    return resolveLanguage(this.#settings?.language ?? 'system', this.#info?.systemLocale ?? navigator.language)
  }

  /** Translates in the active language. */
  t = (key: MessageKey, params?: Record<string, string | number | boolean>): string => translate(this.language, key, params)

  /** Words for a failed bridge call (or an item's serialized error), from its error code. */
  describeError = (error: unknown): string => {
    if (error instanceof BridgeCallError || isSerializedError(error)) {
      return this.t(`errors.${error.code}`, { message: error.message, ...error.detail })
    }
    return this.t('errors.internal.unexpected', { message: error instanceof Error ? error.message : String(error) })
  }

  /** Formats a number in the active language (thousands separators). */
  formatNumber = (value: number): string => new Intl.NumberFormat(this.language).format(value)

  /** Formats an ISO time or epoch for display in the active language. */
  formatDate = (value: string | number): string => {
    const time = typeof value === 'number' ? value : Date.parse(value)
    if (Number.isNaN(time)) return String(value)
    return new Intl.DateTimeFormat(this.language, { dateStyle: 'medium', timeStyle: 'short' }).format(time)
  }

  /** "3 min", "1 h 5 min": durations in whole units, for ETAs and report durations. */
  formatDuration = (seconds: number): string => {
    const s = Math.max(0, Math.round(seconds))
    if (s < 60) return this.t('queue.seconds', { n: s })
    if (s < 3600) return this.t('queue.minutes', { n: Math.round(s / 60) })
    return this.t('queue.hours', { h: Math.floor(s / 3600), m: Math.round((s % 3600) / 60) })
  }

  showView(view: View): void {
    this.#view = view
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
    return this.#saving(key, () => call('setSetting', key, value))
  }

  /** Main opens its folder dialog; the renderer never names the folder itself. */
  async chooseOutputRoot(): Promise<void> {
    await this.#saving('outputRoot', () => call('chooseOutputRoot'))
  }

  async chooseCustomModel(preset: string): Promise<void> {
    await this.#saving('customModel', () => call('chooseCustomModel', preset))
  }

  /** Records a problem that is not a settings write (S3 keys) next to its control. */
  reportProblem(key: SettingProblem['key'], error: unknown): void {
    this.#settingError = { key, error }
  }

  clearProblem(key: SettingProblem['key']): void {
    if (this.#settingError?.key === key) this.#settingError = null
  }

  async #saving(key: SettingProblem['key'], save: () => Promise<Settings>): Promise<boolean> {
    try {
      this.#settings = await save()
      if (this.#settingError?.key === key) this.#settingError = null
      return true
    } catch (error) {
      this.#settingError = { key, error }
      return false
    }
  }

  /** Tracks the system's light/dark appearance (for the 'system' theme) until reset(). */
  followSystemAppearance(): void {
    if (this.#stopFollowingSystem) return
    const query = window.matchMedia('(prefers-color-scheme: dark)')
    const update = (): void => {
      this.#systemDark = query.matches
    }
    update()
    query.addEventListener('change', update)
    this.#stopFollowingSystem = () => query.removeEventListener('change', update)
  }

  reset(): void {
    this.#unsubscribe?.()
    this.#unsubscribe = null
    this.#stopFollowingSystem?.()
    this.#stopFollowingSystem = null
    this.#systemDark = false
    this.#info = null
    this.#settings = null
    this.#settingError = null
    this.#view = 'queue'
  }
}

export const appState = new AppState()
