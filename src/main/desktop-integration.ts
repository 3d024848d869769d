/**
 * Glue: Koutu's place on the desktop besides the tray. The log file (electron-log, rotating,
 * redacted), paths handed over by the system (command line at start, a second launch, macOS
 * Dock drops), taskbar/Dock progress, native notifications (batch end, low credit, "still
 * working in the tray") and closing the window to the tray during a batch. Every decision is
 * made by a plain-Node module under src/main/tray or src/main/logging; this file applies it.
 */
import { Notification, app, type BrowserWindow } from 'electron'
import log from 'electron-log/main'
import type { AccountState } from '../shared/account'
import type { BatchProgress, BatchState } from '../shared/batch'
import type { Logger } from '../shared/logger'
import type { EngineKind } from '../shared/settings'
import { configureFileLog, loggerFromElectronLog } from './logging/file-log'
import { BatchEndWatch, batchEndNotice, type BatchEnd } from './tray/batch-end'
import { LaunchPathInbox, pathsFromArgv } from './tray/launch-paths'
import { LowCreditWatch, lowCreditNotice } from './tray/low-credit'
import { NO_TASKBAR_PROGRESS, sameTaskbarProgress, taskbarProgress } from './tray/taskbar-progress'
import type { Notice, Translate } from './tray/translate'
import { decideWindowClose } from './tray/window-close'

/**
 * Starts the log file: userData/logs/main.log, rotated at 2 MB into main.1.log … main.4.log,
 * every entry redacted (tokens, SMS codes, phone numbers, S3 secrets). Also logs uncaught
 * errors. Call first thing, so startup problems land in the file.
 */
export function setUpLogging(options: { logsDir: string; debug?: boolean }): { logger: Logger; logFile: string } {
  const logFile = configureFileLog(log, {
    logsDir: options.logsDir,
    level: options.debug ? 'debug' : 'info',
    console: app.isPackaged ? false : 'debug',
  })
  log.errorHandler.startCatching({ showDialog: false })
  return { logger: loggerFromElectronLog(log), logFile }
}

/** electron-builder.yml's appId; Windows shows notifications only for an app with this id. */
export const APP_ID = 'com.koutu.app'

/**
 * Gives the process the installed app's identity on Windows (the Start menu shortcut the
 * installer makes carries the same id), without which notifications do not appear. Call once,
 * before the first notification.
 */
export function setDesktopIdentity(): void {
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID)
}

// Notifications that are shown; held so a garbage collection does not drop their click handler.
const liveNotifications = new Set<Notification>()

/** Shows a native notification; `onClick` runs when the user clicks it. No-op where unsupported. */
export function showNotice(notice: Notice, onClick?: () => void): void {
  if (!Notification.isSupported()) return
  const notification = new Notification({ title: notice.title, body: notice.body })
  liveNotifications.add(notification)
  const forget = (): void => {
    liveNotifications.delete(notification)
  }
  notification.on('click', () => {
    forget()
    onClick?.()
  })
  notification.on('close', forget)
  notification.on('failed', forget)
  notification.show()
}

export interface LaunchPaths {
  /** Starts handing collected paths (and later ones) to `receiver`, a burst at a time. */
  deliverTo(receiver: (paths: string[]) => void): void
}

/**
 * Collects paths the desktop hands over: the command line of this launch, the command line of
 * every later launch (the single-instance lock forwards it as `second-instance`, which also
 * shows the window), and macOS `open-file` (Dock drops, "Open With"). Call before
 * `app.whenReady()`: macOS sends `open-file` for the launch's own files before ready.
 */
export function registerLaunchPaths(options: { logger: Logger; showWindow: () => void }): LaunchPaths {
  const inbox = new LaunchPathInbox()
  const defaultApp = Boolean(process.defaultApp)
  inbox.add(pathsFromArgv(process.argv, { cwd: process.cwd(), defaultApp }))
  app.on('open-file', (event, filePath) => {
    event.preventDefault()
    inbox.add([filePath])
    if (app.isReady()) options.showWindow()
  })
  app.on('second-instance', (_event, argv, workingDirectory) => {
    const paths = pathsFromArgv(argv, { cwd: workingDirectory, defaultApp })
    if (paths.length > 0) options.logger.info('paths from a second launch', { count: paths.length })
    inbox.add(paths)
    options.showWindow()
  })
  return { deliverTo: (receiver) => inbox.attach(receiver) }
}

export interface BatchFeedbackServices {
  getWindow(): BrowserWindow | null
  showWindow(): void
  t: Translate
  /** A batch ended (refresh the credit after an aipic batch: end.engine === 'aipic'). */
  onBatchEnded?(end: BatchEnd): void
}

/**
 * Taskbar/Dock progress during a batch (paused and error modes on Windows) and a notification
 * with the counts when it ends, which shows the window when clicked. The notification is
 * skipped while the window is focused: the user is looking at the result already.
 */
export function createBatchFeedback(services: BatchFeedbackServices): { onProgress(progress: BatchProgress, engine: EngineKind): void } {
  const watch = new BatchEndWatch()
  let shown = NO_TASKBAR_PROGRESS
  return {
    onProgress(progress, engine) {
      const window = services.getWindow()
      const bar = taskbarProgress(progress)
      if (window && !window.isDestroyed() && !sameTaskbarProgress(bar, shown)) {
        window.setProgressBar(bar.value, { mode: bar.mode })
        shown = bar
      }
      const end = watch.observe(progress, engine)
      if (end === null) return
      const focused = window !== null && !window.isDestroyed() && window.isVisible() && window.isFocused()
      if (!focused) showNotice(batchEndNotice(end, services.t), services.showWindow)
      services.onBatchEnded?.(end)
    },
  }
}

/** Warns once per fall below settings.lowCreditThreshold (see LowCreditWatch). */
export function createLowCreditNotifier(services: { t: Translate; showWindow(): void }): { onAccount(account: AccountState, threshold: number): void } {
  const watch = new LowCreditWatch()
  return {
    onAccount(account, threshold) {
      if (watch.observe(account, threshold)) showNotice(lowCreditNotice(account, services.t), services.showWindow)
    },
  }
}

let quitting = false
let quitWatched = false
// Once per run, across windows: the user has been told where the app went.
let toldAboutTray = false

/**
 * Closing the window during a batch hides it to the tray, or minimises it where no tray can be
 * relied on (see trayCanBringWindowBack), saying so the first time; otherwise the platform's
 * usual behaviour. Quitting (tray "Quit", Cmd+Q) always closes, and so does the end of a
 * Windows session: logoff and shutdown emit no before-quit, only the window's
 * query-session-end and then session-end, and a window that refuses to close there holds up
 * the logoff. `onSessionEnd` runs at session-end, to stop the batch while the process may.
 */
export function attachCloseToTray(
  window: BrowserWindow,
  services: { getBatchState(): BatchState; trayAvailable(): boolean; t: Translate; showWindow(): void; onSessionEnd?(): void },
): void {
  if (!quitWatched) {
    quitWatched = true
    app.on('before-quit', () => {
      quitting = true
    })
  }
  // Windows only; the events never fire elsewhere.
  window.on('query-session-end', () => {
    quitting = true
  })
  window.on('session-end', () => {
    quitting = true
    services.onSessionEnd?.()
  })
  window.on('close', (event) => {
    const decision = decideWindowClose({
      batchState: services.getBatchState(),
      quitting,
      trayAvailable: services.trayAvailable(),
      toldBefore: toldAboutTray,
    })
    if (decision.action === 'default') return
    event.preventDefault()
    if (decision.action === 'hide') window.hide()
    else window.minimize()
    if (decision.tell) {
      toldAboutTray = true
      const body = decision.action === 'hide' ? 'notifications.keptInTrayBody' : 'notifications.keptMinimisedBody'
      showNotice({ title: services.t('notifications.keptInTrayTitle'), body: services.t(body) }, services.showWindow)
    }
  })
}
