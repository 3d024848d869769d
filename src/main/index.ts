/**
 * The main process entry: wires the platform pieces into the services, the bridge, the window
 * and the tray. Thin on purpose: all behaviour lives in plain-Node modules.
 *
 * [Note: electron glue] Only these files import `electron` (or packages that import it, such as
 * electron-store and electron-log); everything else in src/main runs under plain Node, so the
 * command line and the tests use it unchanged. ESLint enforces the list (eslint.config.js):
 *   - src/main/index.ts               (this file: app lifecycle, IPC registration)
 *   - src/main/window.ts              (the BrowserWindow and its security policy)
 *   - src/main/electron-services.ts   (electron-store, safeStorage, dialogs, shell, utilityProcess)
 *   - src/main/tray.ts                (the tray icon and menu)
 *   - src/main/desktop-integration.ts (logs, notifications, taskbar progress, launch paths)
 *   - src/main/updater.ts             (electron-updater)
 *   - src/preload/index.ts            (the preload itself)
 */
import { fileURLToPath } from 'node:url'
import { app, dialog, ipcMain, session, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import { BRIDGE_METHOD_NAMES, eventChannel, methodChannel, type BridgeEventName, type BridgeEvents } from '../shared/bridge'
import { describeFallback } from '../shared/device-texts'
import { resolveLanguage, translate } from '../shared/i18n'
import { createAppServices, type AppServicesHandle } from './app-services'
import {
  attachCloseToTray,
  createBatchFeedback,
  createLowCreditNotifier,
  registerLaunchPaths,
  setDesktopIdentity,
  setUpLogging,
  showNotice,
} from './desktop-integration'
import {
  createElectronDesktopShell,
  createSecretVault,
  createUtilityProcessSpawner,
  openElectronSettingsStore,
} from './electron-services'
import { createSenderCheck, dispatchBridgeCall } from './ipc/dispatch'
import type { SenderInfo } from './ipc/handler-types'
import { userDataLayout } from './paths'
import { startupFailureMessage, WindowGate } from './startup'
import { createTray } from './tray'
import { CreditRefreshScheduler } from './tray/credit-refresh'
import { trayIconPath, windowIconPath } from './tray/tray-icon'
import { isBatchActive } from './tray/tray-menu'
import { TrayStateModel } from './tray/tray-state'
import type { Translate } from './tray/translate'
import { trayCanBringWindowBack } from './tray/window-close'
import { createAppUpdater } from './updater'
import { RELEASES_URL, UpdateController } from './updates/update-controller'
import { createMainWindow, hardenDefaultSession, isAppPageUrl } from './window'

const WORKER_PATH = fileURLToPath(new URL('./engine-worker.js', import.meta.url))

let mainWindow: BrowserWindow | null = null
let services: AppServicesHandle | null = null

/** Main-side listeners of bridge events (the tray follows the account like the renderer does). */
const eventTaps: { [E in BridgeEventName]?: Array<(payload: BridgeEvents[E]) => void> } = {}

function sendToRenderer<E extends BridgeEventName>(name: E, payload: BridgeEvents[E]): void {
  if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(eventChannel(name), payload)
  for (const tap of eventTaps[name] ?? []) tap(payload)
}

function senderInfo(event: IpcMainInvokeEvent): SenderInfo {
  const frame = event.senderFrame
  return {
    webContentsId: event.sender.id,
    frameUrl: frame?.url ?? '',
    isMainFrame: frame !== null && frame === event.sender.mainFrame,
  }
}

// KOUTU_USER_DATA: another user data folder (the smoke test's scratch one, portable installs), as
// the command line honours it (src/main/paths.ts). Before the single-instance lock, which lives there.
if (process.env.KOUTU_USER_DATA) app.setPath('userData', process.env.KOUTU_USER_DATA)

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  const layout = userDataLayout(app.getPath('userData'))
  const { logger, logFile } = setUpLogging({ logsDir: layout.logsDir })
  setDesktopIdentity()

  const store = openElectronSettingsStore(layout.settingsFile, logger)
  const t: Translate = (key, params) =>
    translate(resolveLanguage(services?.settings.get().language ?? 'system', app.getLocale()), key, params)
  const trayState = new TrayStateModel()
  const iconLocation = { packaged: app.isPackaged, resourcesPath: process.resourcesPath, appPath: app.getAppPath() }

  const openMainWindow = (): void => {
    if (!mainWindow || mainWindow.isDestroyed()) {
      mainWindow = createMainWindow(logger, process.platform === 'linux' ? windowIconPath(iconLocation) : undefined)
      attachCloseToTray(mainWindow, {
        getBatchState: () => trayState.state.batch.state,
        trayAvailable: () => trayCanBringWindowBack(process.platform),
        t,
        showWindow: showMainWindow,
        onSessionEnd: () => shutDownThenQuit(),
      })
      return
    }
    if (mainWindow.isMinimized()) mainWindow.restore()
    mainWindow.show()
    mainWindow.focus()
  }
  // No window before the services and every bridge handler exist (see WindowGate).
  const windowGate = new WindowGate(openMainWindow)
  const showMainWindow = (): void => windowGate.request()
  const launchPaths = registerLaunchPaths({ logger, showWindow: showMainWindow })

  const start = async (): Promise<void> => {
    await app.whenReady()
    hardenDefaultSession()
    logger.info('Koutu starting', { version: app.getVersion(), packaged: app.isPackaged, appPath: app.getAppPath(), modelEntry: WORKER_PATH })
    // Updates ([Note: update policy]): the mode is read from the settings once they exist.
    const updates = new UpdateController({
      ...createAppUpdater(logger),
      currentVersion: app.getVersion(),
      releasesUrl: RELEASES_URL,
      getMode: () => services?.settings.get().updateMode ?? 'never',
      logger,
      onStatus: (status) => {
        sendToRenderer('updateStatusChanged', status)
        trayState.setUpdateReady(status.phase === 'ready' ? status.availableVersion : null)
      },
    })
    const handle = await createAppServices({
      appInfo: { name: app.getName(), version: app.getVersion(), platform: process.platform, systemLocale: app.getLocale() },
      userDataDir: app.getPath('userData'),
      logger,
      store,
      openVault: (allowPlaintext) => createSecretVault(store, app.getPath('userData'), allowPlaintext),
      desktop: createElectronDesktopShell(() => mainWindow, t),
      spawnWorker: createUtilityProcessSpawner(WORKER_PATH, logger),
      emit: sendToRenderer,
      gpuInfo: () => app.getGPUInfo('basic'),
      onDeviceFallback: (event) => showNotice({ title: t('device.fallbackTitle'), body: describeFallback(t, event) }, showMainWindow),
      resolveProxy: (url) => session.defaultSession.resolveProxy(url),
      updates,
    })
    services = handle
    updates.modeChanged()
    handle.settings.onChange(() => updates.modeChanged())
    handle.batch.onProgress((progress) => updates.setBatchActive(isBatchActive(progress.state)))
    app.on('before-quit', () => updates.stop())
    updates.start()

    const isTrustedSender = createSenderCheck(
      () => (mainWindow && !mainWindow.isDestroyed() ? mainWindow.webContents.id : null),
      isAppPageUrl,
    )
    for (const name of BRIDGE_METHOD_NAMES) {
      ipcMain.handle(methodChannel(name), (event, ...args: unknown[]) =>
        dispatchBridgeCall(handle.table, name, args, senderInfo(event), isTrustedSender, logger),
      )
    }

    // The tray: credits and the running batch, rebuilt whenever either changes.
    const credits = new CreditRefreshScheduler({
      refresh: () => handle.account().refreshCredits(),
      logger,
      onStatus: (status) => trayState.setRefreshStatus(status),
    })
    const tray = createTray({
      getState: () => trayState.state,
      t,
      iconPath: trayIconPath({ platform: process.platform, ...iconLocation }),
      logger,
      onRefreshCredits: () => void credits.refreshNow(),
      onOpen: showMainWindow,
      onPauseResume: (action) => (action === 'pause' ? handle.batch.pause() : handle.batch.resume()),
      onOpenLogs: () => void handle.services.desktop.openFolder(layout.logsDir),
      onQuit: () => app.quit(),
      onRestartToUpdate: () => updates.restartToUpdate(),
      onMenuWillOpen: () => credits.menuOpened(),
    })
    trayState.onChange(() => tray.update())
    handle.settings.onChange(() => tray.update())

    const lowCredit = createLowCreditNotifier({ t, showWindow: showMainWindow })
    const onAccount = (): void => {
      const state = handle.account().getState()
      trayState.setAccount(state)
      lowCredit.onAccount(state, handle.settings.get().lowCreditThreshold)
      credits.setAipicInUse(handle.settings.get().engine === 'aipic' || state.loggedIn)
    }
    // The account service is replaced when the token storage choice changes; the bridge event
    // carries every change, so listen where the renderer does.
    eventTaps.accountChanged = [onAccount]
    handle.settings.onChange(onAccount)
    onAccount()

    const feedback = createBatchFeedback({
      getWindow: () => mainWindow,
      showWindow: showMainWindow,
      t,
      onBatchEnded: (end) => {
        if (end.engine === 'aipic') credits.remoteBatchEnded()
      },
    })
    handle.batch.onProgress((progress) => {
      trayState.setBatch(progress)
      feedback.onProgress(progress, handle.settings.get().engine)
    })

    launchPaths.deliverTo((paths) => void handle.queue.addPaths(paths))
    app.on('before-quit', () => credits.stop())
    windowGate.open()
  }

  let quitting = false
  /** Leaves the batch resumable and stops the model process, then quits. False if already under way. */
  const shutDownThenQuit = (): boolean => {
    if (quitting || !services) return false
    quitting = true
    services
      .dispose()
      .catch((error: unknown) => logger.error('shutdown failed', { error: String(error) }))
      .finally(() => app.quit())
    return true
  }
  app.on('before-quit', (event) => {
    if (shutDownThenQuit()) event.preventDefault()
  })
  app.on('activate', () => showMainWindow())
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin' && trayState.state.batch.state !== 'running') app.quit()
  })
  start().catch(async (error: unknown) => {
    logger.error('Koutu failed to start', { error: String(error) })
    // Say so on screen, with the log's location (on Linux an error box before ready only reaches stderr).
    await app.whenReady().catch(() => undefined)
    const message = startupFailureMessage(t, error, logFile)
    dialog.showErrorBox(message.title, message.body)
    app.exit(1)
  })
}
