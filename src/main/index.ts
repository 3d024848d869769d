/**
 * The main process entry: wires services, the bridge and the window. Thin on purpose.
 *
 * [Note: electron glue] Only these files import `electron` (or packages that import it, such as
 * electron-store and electron-log); everything else in src/main runs under plain Node, so the
 * command line and the tests use it unchanged. ESLint enforces the list (eslint.config.js):
 *   - src/main/index.ts             (this file: app lifecycle, IPC registration)
 *   - src/main/window.ts            (the BrowserWindow and its security policy)
 *   - src/main/electron-services.ts (electron-store, safeStorage, shell, dialogs, utilityProcess)
 *   - src/preload/index.ts          (the preload itself)
 */
import { app, ipcMain, shell, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import { BRIDGE_METHOD_NAMES, eventChannel, methodChannel, type BridgeEventName, type BridgeEvents } from '../shared/bridge'
import type { Logger } from '../shared/logger'
import { openElectronSettingsStore } from './electron-services'
import { createSenderCheck, dispatchBridgeCall } from './ipc/dispatch'
import { createHandlerTable } from './ipc/handler-table'
import type { SenderInfo } from './ipc/handler-types'
import { createStderrLogger } from './logging/stderr-logger'
import { userDataLayout } from './paths'
import { SettingsService } from './settings/settings-service'
import { createMainWindow, hardenDefaultSession, isAppPageUrl } from './window'

const logger: Logger = createStderrLogger('info')
let mainWindow: BrowserWindow | null = null

function showMainWindow(): void {
  if (!mainWindow || mainWindow.isDestroyed()) {
    mainWindow = createMainWindow(logger)
    return
  }
  if (mainWindow.isMinimized()) mainWindow.restore()
  mainWindow.show()
  mainWindow.focus()
}

function sendToRenderer<E extends BridgeEventName>(name: E, payload: BridgeEvents[E]): void {
  if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(eventChannel(name), payload)
}

function senderInfo(event: IpcMainInvokeEvent): SenderInfo {
  const frame = event.senderFrame
  return {
    webContentsId: event.sender.id,
    frameUrl: frame?.url ?? '',
    isMainFrame: frame !== null && frame === event.sender.mainFrame,
  }
}

async function start(): Promise<void> {
  await app.whenReady()
  hardenDefaultSession()
  const layout = userDataLayout(app.getPath('userData'))
  const settings = new SettingsService(openElectronSettingsStore(layout.settingsFile, logger), logger)
  settings.onChange((current) => sendToRenderer('settingsChanged', current))

  const table = createHandlerTable({
    appInfo: { name: app.getName(), version: app.getVersion(), platform: process.platform, systemLocale: app.getLocale() },
    settings,
    openExternal: (url) => shell.openExternal(url),
  })
  const isTrustedSender = createSenderCheck(
    () => (mainWindow && !mainWindow.isDestroyed() ? mainWindow.webContents.id : null),
    isAppPageUrl,
  )
  for (const name of BRIDGE_METHOD_NAMES) {
    ipcMain.handle(methodChannel(name), (event, ...args: unknown[]) =>
      dispatchBridgeCall(table, name, args, senderInfo(event), isTrustedSender, logger),
    )
  }
  showMainWindow()
}

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.on('second-instance', () => showMainWindow())
  app.on('activate', () => showMainWindow())
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  start().catch((error: unknown) => {
    logger.error('Koutu failed to start', { error: String(error) })
    app.exit(1)
  })
}
