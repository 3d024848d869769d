/**
 * The bridge contract: every renderer-to-main method and every main-to-renderer event, typed
 * once. The preload (src/preload), the handler table (src/main/ipc) and the renderer's client
 * (src/renderer/src/lib/bridge.ts) are all typed from here, so a method added in one place and
 * forgotten in another does not compile.
 *
 * [Note: bridge results] Electron drops custom properties of errors thrown across IPC and the
 * context bridge, so handlers never throw to the renderer: every method resolves to a
 * `BridgeResult`, and the renderer's client turns `{ ok: false }` back into an error with its
 * stable `code`.
 */
import type { SerializedError } from './errors'
import type { SettingKey, Settings } from './settings'

export interface AppInfo {
  name: string
  version: string
  platform: string
  /** The system locale (e.g. 'zh-CN'), used when the language setting is 'system'. */
  systemLocale: string
}

/** Renderer-to-main methods: name -> argument tuple and result. */
export interface BridgeMethods {
  getAppInfo: { args: []; result: AppInfo }
  getSettings: { args: []; result: Settings }
  setSetting: { args: [key: SettingKey, value: unknown]; result: Settings }
  /** Opens an http(s) link in the system browser; anything else is refused. */
  openExternal: { args: [url: string]; result: void }
}

/** Main-to-renderer events: name -> payload. */
export interface BridgeEvents {
  settingsChanged: Settings
}

export type BridgeMethodName = keyof BridgeMethods
export type BridgeEventName = keyof BridgeEvents

export type BridgeResult<T> = { ok: true; value: T } | { ok: false; error: SerializedError }

/** `onSettingsChanged` for `settingsChanged`. */
export type EventSubscriberName<E extends BridgeEventName> = `on${Capitalize<E>}`

/** What the preload exposes as `window.koutu`. */
export type KoutuBridge = {
  [M in BridgeMethodName]: (...args: BridgeMethods[M]['args']) => Promise<BridgeResult<BridgeMethods[M]['result']>>
} & {
  [E in BridgeEventName as EventSubscriberName<E>]: (listener: (payload: BridgeEvents[E]) => void) => () => void
}

/** Functions the preload provides itself, without a round trip to main. */
export interface KoutuPreloadExtras {
  /** The file-system paths of files dropped on the window (from `webUtils.getPathForFile`). */
  getPathsForFiles(files: ArrayLike<File>): string[]
}

/**
 * Runtime lists of the names above. Typed as records so that a method or event missing here is
 * a compile error; the preload and the UI test harness build `window.koutu` from them.
 */
const METHOD_NAMES: Record<BridgeMethodName, true> = {
  getAppInfo: true,
  getSettings: true,
  setSetting: true,
  openExternal: true,
}
const EVENT_NAMES: Record<BridgeEventName, true> = {
  settingsChanged: true,
}
export const BRIDGE_METHOD_NAMES = Object.keys(METHOD_NAMES) as BridgeMethodName[]
export const BRIDGE_EVENT_NAMES = Object.keys(EVENT_NAMES) as BridgeEventName[]

export function methodChannel(name: BridgeMethodName): string {
  return `koutu:call:${name}`
}
export function eventChannel(name: BridgeEventName): string {
  return `koutu:event:${name}`
}
export function subscriberName<E extends BridgeEventName>(name: E): EventSubscriberName<E> {
  return `on${name.charAt(0).toUpperCase()}${name.slice(1)}` as EventSubscriberName<E>
}
