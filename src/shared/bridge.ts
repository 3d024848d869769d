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
import type { AccountState, AdInfo, HistoryPage } from './account'
import type { BatchItem, BatchProgress, BatchReport, CostPrompt, InterruptedBatch, ItemStatusChange } from './batch'
import type { DeviceStatus } from './device-status'
import type { SerializedError } from './errors'
import type { FarmSendResult, FarmViewState } from './farm'
import type { RedoEstimate, RedoOptions, RedoResult, TouchUpSession } from './review'
import type { TouchUpStroke } from './touchup'
import type { SettingKey, Settings } from './settings'
import type { UpdateStatus } from './updates'

export interface AppInfo {
  name: string
  version: string
  platform: string
  /** The system locale (e.g. 'zh-CN'), used when the language setting is 'system'. */
  systemLocale: string
}

/** Which picture of a queue item to show. */
export type ThumbnailKind = 'original' | 'output'

/** A cost question the batch engine asks before (or during) a remote batch; answer with `answerCostPrompt`. */
export interface CostPromptEvent extends CostPrompt {
  promptId: number
}

/**
 * Renderer-to-main methods: name -> argument tuple and result.
 *
 * The renderer is untrusted: it may hand main paths to ADD to the queue (what the user dropped),
 * but never a path to write, delete or show: outputs, thumbnails and "show in folder" are
 * addressed by queue item id, and folders to write to are chosen in main's own dialogs.
 */
export interface BridgeMethods {
  getAppInfo: { args: []; result: AppInfo }
  getSettings: { args: []; result: Settings }
  /** Saves one setting. `outputRoot` can only be cleared here; it is chosen with `chooseOutputRoot`. */
  setSetting: { args: [key: SettingKey, value: unknown]; result: Settings }
  /** Opens the system folder picker and saves the choice as the output root; null if cancelled. */
  chooseOutputRoot: { args: []; result: Settings }
  /** Opens the system file picker for a custom ONNX model and saves it with the given parameters. */
  chooseCustomModel: { args: [preset: string]; result: Settings }
  /** Stores own-bucket (S3) keys, encrypted in main; they never come back to the renderer. */
  setS3Credentials: { args: [accessKeyId: string, secretAccessKey: string]; result: { configured: boolean } }
  getS3CredentialsState: { args: []; result: { configured: boolean } }
  /** Opens an http(s) link in the system browser; anything else is refused. */
  openExternal: { args: [url: string]; result: void }
  openLogsFolder: { args: []; result: void }

  /** Adds dropped files and folders to the queue (scanned in main; items arrive as events). */
  addPaths: { args: [paths: string[]]; result: { accepted: number } }
  /** Opens the system dialog to add folders (or files) to the queue. */
  chooseAndAdd: { args: [kind: 'folders' | 'files']; result: { accepted: number } }
  getQueue: { args: []; result: BatchItem[] }
  getProgress: { args: []; result: BatchProgress }
  startBatch: { args: []; result: void }
  pauseBatch: { args: []; result: void }
  resumeBatch: { args: []; result: void }
  cancelBatch: { args: []; result: void }
  retryFailed: { args: []; result: void }
  /** Removes every item that is not being worked on. */
  clearQueue: { args: []; result: void }
  answerCostPrompt: { args: [promptId: number, accepted: boolean]; result: void }
  /** A downscaled PNG data URL of an item's original or output; null when there is none. */
  getThumbnail: { args: [itemId: number, kind: ThumbnailKind, maxEdge: number]; result: string | null }
  /** Reveals an item's output (or, before it exists, its original) in the file manager. */
  showInFolder: { args: [itemId: number]; result: void }
  getInterruptedBatch: { args: []; result: InterruptedBatch | null }
  resumeInterrupted: { args: []; result: void }
  dismissInterrupted: { args: []; result: void }
  getReports: { args: [limit: number]; result: BatchReport[] }
  /** Why the engine halted the batch (out of credit, no consent, session gone…); null when it did not. */
  getHaltReason: { args: []; result: SerializedError | null }
  /** The local engine's device and this machine's device test verdicts. */
  getDeviceStatus: { args: []; result: DeviceStatus }
  /** Forget the device test verdicts: the next batch tests each device again. */
  testDevicesAgain: { args: []; result: DeviceStatus }

  getAccount: { args: []; result: AccountState }
  sendCode: { args: [phone: string]; result: AccountState }
  login: { args: [phone: string, code: string]; result: AccountState }
  logout: { args: []; result: AccountState }
  refreshCredits: { args: []; result: AccountState }
  /** Allow keeping the token on disk where the OS offers no real encryption (Linux basic_text). */
  setTokenPersistence: { args: [persistWithoutEncryption: boolean]; result: AccountState }
  getHistory: { args: [page: number, size: number]; result: HistoryPage }
  getAd: { args: []; result: AdInfo | null }

  /** Farm mode (docs/farm.md): the queue's status and this app's part in it. */
  getFarmState: { args: []; result: FarmViewState }
  /** Saves the farm's Redis URL; the password (apart, or inside the URL) is stored encrypted in main. null keeps it, '' forgets it. */
  setFarmConnection: { args: [url: string, password: string | null]; result: FarmViewState }
  /** Sends dropped files and folders to the farm instead of running them here. */
  sendToFarm: { args: [paths: string[]]; result: FarmSendResult }
  retryFarmFailed: { args: []; result: { retried: number } }
  /** This app works for the farm too (or stops, after its photos in flight). */
  setFarmWorking: { args: [on: boolean]; result: FarmViewState }

  /** Opens a finished cutout in the touch-up editor (previews and the strokes so far). */
  openTouchUp: { args: [itemId: number]; result: TouchUpSession }
  /** Renders the strokes at full resolution over the cutout (none: the engine's cutout back). */
  saveTouchUp: { args: [itemId: number, strokes: TouchUpStroke[]]; result: BatchItem }
  /** What redoing these items would involve (count, hand edits, cost) before it runs. */
  estimateRedo: { args: [itemIds: number[], choice: Pick<RedoOptions, 'engine' | 'localModel'>]; result: RedoEstimate }
  /** Redoes finished cutouts with another engine or model. */
  redoItems: { args: [itemIds: number[], options: RedoOptions]; result: RedoResult }
  /** App updates ([Note: update policy] in src/main/updates/update-controller.ts). */
  getUpdateStatus: { args: []; result: UpdateStatus }
  checkForUpdates: { args: []; result: UpdateStatus }
  downloadUpdate: { args: []; result: UpdateStatus }
  /** Quits, installs the downloaded update and starts it; refused while a batch runs. */
  restartToUpdate: { args: []; result: void }
}

/** Main-to-renderer events: name -> payload. */
export interface BridgeEvents {
  settingsChanged: Settings
  /** New queue items, in batches, as scanning finds them. */
  queueItemsAdded: BatchItem[]
  /** The queue was cleared or replaced; fetch it again with getQueue. */
  queueReset: null
  /** Per-file status changes, batched but never dropped. */
  itemStatusChanged: ItemStatusChange[]
  /** Coalesced progress (at most ~10 per second). */
  batchProgress: BatchProgress
  costPrompt: CostPromptEvent
  /** The engine paused the batch for a reason that concerns every file (see getHaltReason). */
  batchHalted: SerializedError
  accountChanged: AccountState
  updateStatusChanged: UpdateStatus
  /** The local engine named its device, fell back to the CPU, or the verdicts were cleared. */
  deviceChanged: DeviceStatus
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
  /**
   * The file-system paths of files dropped on the window (from `webUtils.getPathForFile`).
   * An array, never a FileList: the contextBridge copies a FileList as a plain object of its
   * own properties, without `length`, so the preload would see no files at all.
   */
  getPathsForFiles(files: readonly File[]): string[]
}

/**
 * Runtime lists of the names above. Typed as records so that a method or event missing here is
 * a compile error; the preload and the UI test harness build `window.koutu` from them.
 */
const METHOD_NAMES: Record<BridgeMethodName, true> = {
  getAppInfo: true,
  getSettings: true,
  setSetting: true,
  chooseOutputRoot: true,
  chooseCustomModel: true,
  setS3Credentials: true,
  getS3CredentialsState: true,
  openExternal: true,
  openLogsFolder: true,
  addPaths: true,
  chooseAndAdd: true,
  getQueue: true,
  getProgress: true,
  startBatch: true,
  pauseBatch: true,
  resumeBatch: true,
  cancelBatch: true,
  retryFailed: true,
  clearQueue: true,
  answerCostPrompt: true,
  getThumbnail: true,
  showInFolder: true,
  getInterruptedBatch: true,
  resumeInterrupted: true,
  dismissInterrupted: true,
  getReports: true,
  getHaltReason: true,
  getDeviceStatus: true,
  testDevicesAgain: true,
  getAccount: true,
  sendCode: true,
  login: true,
  logout: true,
  refreshCredits: true,
  setTokenPersistence: true,
  getHistory: true,
  getAd: true,
  getFarmState: true,
  setFarmConnection: true,
  sendToFarm: true,
  retryFarmFailed: true,
  setFarmWorking: true,
  openTouchUp: true,
  saveTouchUp: true,
  estimateRedo: true,
  redoItems: true,
  getUpdateStatus: true,
  checkForUpdates: true,
  downloadUpdate: true,
  restartToUpdate: true,
}
const EVENT_NAMES: Record<BridgeEventName, true> = {
  settingsChanged: true,
  queueItemsAdded: true,
  queueReset: true,
  itemStatusChanged: true,
  batchProgress: true,
  costPrompt: true,
  batchHalted: true,
  accountChanged: true,
  updateStatusChanged: true,
  deviceChanged: true,
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
