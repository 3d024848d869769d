/**
 * Glue: creates the app's one window with the security settings the app relies on
 * (context isolation, sandbox, no Node in the page, CSP, navigation and permission denial).
 */
import { app, BrowserWindow, session, shell } from 'electron'
import { fileURLToPath } from 'node:url'
import type { Logger } from '../shared/logger'
import { chooseAppPageUrl, contentSecurityPolicyFor, decideNavigation, isSameAppPage } from './window-policy'

const PRELOAD_PATH = fileURLToPath(new URL('../preload/index.cjs', import.meta.url))
const RENDERER_FILE = fileURLToPath(new URL('../renderer/index.html', import.meta.url))

/** The URL the window loads: the dev server under `electron-vite dev` (never when packaged), else the built file. */
export function appPageUrl(): string {
  return chooseAppPageUrl({ packaged: app.isPackaged, devServerUrl: process.env.ELECTRON_RENDERER_URL, rendererFile: RENDERER_FILE })
}

/** Applies the session-wide policy once: deny every permission, CSP header on every response. */
export function hardenDefaultSession(): void {
  const ses = session.defaultSession
  const policy = contentSecurityPolicyFor(appPageUrl())
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  ses.setPermissionCheckHandler(() => false)
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] },
    })
  })
}

/** `icon` is the window icon for Linux; Windows and macOS take it from the executable. */
export function createMainWindow(logger: Logger, icon?: string): BrowserWindow {
  const pageUrl = appPageUrl()
  const isAppUrl = (url: string): boolean => isSameAppPage(url, pageUrl)
  const window = new BrowserWindow({
    width: 1180,
    height: 780,
    minWidth: 760,
    minHeight: 520,
    show: false,
    title: 'Koutu',
    autoHideMenuBar: true,
    ...(icon ? { icon } : {}),
    webPreferences: {
      preload: PRELOAD_PATH,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  })

  const openOutside = (url: string): void => {
    if (decideNavigation(url, isAppUrl) === 'open-in-browser') {
      void shell.openExternal(url)
    } else {
      logger.warn('blocked navigation', { url })
    }
  }
  window.webContents.on('will-navigate', (event, url) => {
    if (decideNavigation(url, isAppUrl) === 'allow') return
    event.preventDefault()
    openOutside(url)
  })
  window.webContents.setWindowOpenHandler(({ url }) => {
    openOutside(url)
    return { action: 'deny' }
  })
  window.webContents.on('will-attach-webview', (event) => event.preventDefault())
  window.once('ready-to-show', () => window.show())
  void window.loadURL(pageUrl)
  return window
}

export function isAppPageUrl(url: string): boolean {
  return isSameAppPage(url, appPageUrl())
}
