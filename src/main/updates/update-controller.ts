/**
 * When to check for, download and install app updates, in plain Node. The glue
 * (src/main/updater.ts) hands in electron-updater's updater for this platform; tests hand in the
 * same updater class pointed at a loopback feed. Everything the user sees (Settings, the
 * "Restart to update" banner, the tray item) is the `UpdateStatus` this module publishes.
 *
 * [Note: update policy]
 * - Checks: shortly after start, then every `checkIntervalMs` (4 h), unless the mode is 'never';
 *   "Check now" in Settings checks whatever the mode.
 * - 'auto' downloads what it finds in the background and installs it when the app quits
 *   (electron-updater's autoInstallOnAppQuit). 'ask' shows the version and downloads only when
 *   the user says; 'never' neither checks nor installs on quit.
 * - Nothing ever restarts the app by itself: "Restart to update" is the user's click, and it is
 *   refused while a batch is running (`update.batch-active`), so a batch is never cut short.
 * - electron-updater verifies each download against the sha512 in latest*.yml before it reports
 *   it downloaded; on Windows it also checks the installer's Authenticode publisher, and macOS
 *   (Squirrel.Mac) the new app's code signature, when the app is signed.
 * - Installs the system package manager owns (the deb) are told about new versions and pointed
 *   to the releases page, never updated from here.
 */
import { KoutuError } from '../../shared/errors'
import type { Logger } from '../../shared/logger'
import type { UpdateLimit, UpdateMode, UpdatePhase, UpdateStatus } from '../../shared/updates'

/** What the controller needs of electron-updater's AppUpdater (a structural subset). */
export interface Updater {
  autoDownload: boolean
  autoInstallOnAppQuit: boolean
  readonly channel: string | null
  readonly allowPrerelease: boolean
  checkForUpdates(): Promise<unknown>
  downloadUpdate(): Promise<unknown>
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void
  on(event: 'update-available' | 'update-not-available' | 'update-downloaded', listener: (info: { version: string }) => void): unknown
  on(event: 'download-progress', listener: (progress: { percent: number }) => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
}

export interface UpdateControllerOptions {
  /** null when this copy cannot update itself at all (limit 'not-packaged'). */
  updater: Updater | null
  currentVersion: string
  limit: UpdateLimit
  releasesUrl: string
  getMode(): UpdateMode
  logger: Logger
  onStatus?(status: UpdateStatus): void
  /** First check after start; default 15 s (the window and the model come first). */
  startDelayMs?: number
  /** Default 4 hours. */
  checkIntervalMs?: number
  now?(): number
}

/** Where releases are published (electron-builder.yml `publish`: GitHub koutu/koutu). */
export const RELEASES_URL = 'https://github.com/koutu/koutu/releases'

export const DEFAULT_CHECK_INTERVAL_MS = 4 * 60 * 60 * 1000
const DEFAULT_START_DELAY_MS = 15_000

/** The prerelease tag of a version ('1.2.0-beta.3' → 'beta'), or 'latest'. */
export function channelOf(version: string): string {
  const prerelease = /^\d+\.\d+\.\d+-([0-9A-Za-z-]+)/.exec(version)?.[1]
  return prerelease && /^[A-Za-z]/.test(prerelease) ? prerelease.toLowerCase() : 'latest'
}

export class UpdateController {
  readonly #options: UpdateControllerOptions
  readonly #now: () => number
  #phase: UpdatePhase = 'idle'
  #availableVersion: string | null = null
  #downloadPercent: number | null = null
  #lastCheckAt: number | null = null
  #error: string | null = null
  #batchActive = false
  #timer: NodeJS.Timeout | null = null
  #started = false
  #mode: UpdateMode

  constructor(options: UpdateControllerOptions) {
    this.#options = options
    this.#now = options.now ?? Date.now
    this.#mode = options.getMode()
    const { updater } = options
    if (updater) {
      // The controller decides when to download; installing on quit follows the mode.
      updater.autoDownload = false
      updater.autoInstallOnAppQuit = this.#mode === 'auto'
      updater.on('update-available', (info) => this.#onAvailable(info.version))
      updater.on('update-not-available', () => {
        this.#availableVersion = null
        this.#set('up-to-date')
      })
      updater.on('download-progress', (progress) => {
        this.#downloadPercent = Math.max(0, Math.min(100, Math.round(progress.percent)))
        this.#set('downloading')
      })
      updater.on('update-downloaded', (info) => {
        this.#availableVersion = info.version
        this.#downloadPercent = 100
        this.#options.logger.info('update downloaded and verified', { version: info.version })
        this.#set('ready')
      })
      updater.on('error', (error) => this.#fail(error))
    }
  }

  get status(): UpdateStatus {
    return {
      phase: this.#phase,
      mode: this.#mode,
      channel: this.#options.updater?.channel ?? channelOf(this.#options.currentVersion),
      currentVersion: this.#options.currentVersion,
      availableVersion: this.#availableVersion,
      downloadPercent: this.#downloadPercent,
      lastCheckAt: this.#lastCheckAt,
      error: this.#error,
      limit: this.#options.limit,
      batchActive: this.#batchActive,
      releasesUrl: this.#options.releasesUrl,
    }
  }

  /** Starts the schedule (first check after the start delay). */
  start(): void {
    this.#started = true
    this.#schedule(this.#options.startDelayMs ?? DEFAULT_START_DELAY_MS)
  }

  stop(): void {
    this.#started = false
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
  }

  /** The `updateMode` setting may have changed. */
  modeChanged(): void {
    const mode = this.#options.getMode()
    if (mode === this.#mode) return
    const wasNever = this.#mode === 'never'
    this.#mode = mode
    if (this.#options.updater) this.#options.updater.autoInstallOnAppQuit = mode === 'auto'
    if (mode === 'never') {
      if (this.#timer) clearTimeout(this.#timer)
      this.#timer = null
    } else if (wasNever && this.#started) {
      this.#schedule(this.#options.startDelayMs ?? DEFAULT_START_DELAY_MS)
    } else if (mode === 'auto' && this.#phase === 'available' && this.#canInstall()) {
      void this.download()
    }
    this.#publish()
  }

  /** Whether a batch holds the queue; restarting waits for it to end. */
  setBatchActive(active: boolean): void {
    if (active === this.#batchActive) return
    this.#batchActive = active
    this.#publish()
  }

  /** Checks now (the schedule's tick, or "Check now"). Resolves when the check has finished. */
  async check(): Promise<UpdateStatus> {
    const { updater } = this.#options
    if (!updater) throw new KoutuError('update.unavailable', 'This copy of Koutu cannot update itself.', { detail: { limit: this.#options.limit ?? 'none' } })
    if (this.#phase === 'checking' || this.#phase === 'downloading' || this.#phase === 'ready') return this.status
    this.#error = null
    this.#set('checking')
    try {
      await updater.checkForUpdates()
    } catch (error) {
      this.#fail(error)
    } finally {
      this.#lastCheckAt = this.#now()
      // An updater that settled without an event (already up to date, or disabled) is not still checking.
      // (Read through the getter: the events above may have moved the phase since the check began.)
      if (this.status.phase === 'checking') this.#set('up-to-date')
      else this.#publish()
    }
    return this.status
  }

  /** Downloads the version found (mode 'ask', or a retry). */
  async download(): Promise<UpdateStatus> {
    const { updater } = this.#options
    if (!updater || !this.#canInstall()) throw new KoutuError('update.unavailable', 'This copy of Koutu cannot update itself.', { detail: { limit: this.#options.limit ?? 'none' } })
    if (this.#phase !== 'available' && this.#phase !== 'error') return this.status
    if (this.#availableVersion === null) throw new KoutuError('update.not-ready', 'No update has been found yet.')
    this.#downloadPercent = 0
    this.#error = null
    this.#set('downloading')
    try {
      await updater.downloadUpdate()
    } catch (error) {
      this.#fail(error)
    }
    return this.status
  }

  /** Quits and installs the downloaded update, then starts the new version. Never during a batch. */
  restartToUpdate(): void {
    const { updater } = this.#options
    if (!updater || this.#phase !== 'ready') throw new KoutuError('update.not-ready', 'No update is ready to install.')
    if (this.#batchActive) throw new KoutuError('update.batch-active', 'A batch is running; restart to update when it has finished.')
    this.#options.logger.info('restarting to install the update', { version: this.#availableVersion })
    updater.quitAndInstall(false, true)
  }

  #canInstall(): boolean {
    return this.#options.limit === null
  }

  #onAvailable(version: string): void {
    this.#availableVersion = version
    this.#options.logger.info('update available', { version, current: this.#options.currentVersion })
    this.#set('available')
    if (this.#mode === 'auto' && this.#canInstall()) void this.download()
  }

  #fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error)
    // electron-updater reports a failure both by event and by rejecting; log it once.
    if (this.#phase !== 'error' || this.#error !== message) this.#options.logger.warn('update failed', { error: message })
    this.#error = message.split('\n')[0]!.slice(0, 300)
    this.#downloadPercent = null
    this.#set('error')
  }

  #schedule(delayMs: number): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    if (this.#mode === 'never' || !this.#options.updater) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      void this.check()
        .catch((error: unknown) => this.#fail(error))
        .finally(() => {
          if (this.#started) this.#schedule(this.#options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS)
        })
    }, delayMs)
    this.#timer.unref?.()
  }

  #set(phase: UpdatePhase): void {
    this.#phase = phase
    this.#publish()
  }

  #publish(): void {
    this.#options.onStatus?.(this.status)
  }
}
