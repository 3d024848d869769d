/**
 * Glue: the tray icon and its menu. The menu's content is decided by `buildTrayMenu`
 * (src/main/tray/tray-menu.ts, tested under Node); this file only turns it into Electron's
 * Tray and Menu and routes clicks to injected services.
 *
 * [Note: tray lifetime] A Tray that is garbage-collected vanishes from the system tray, so the
 * instance is held in a module-level variable for the life of the app, not only by the caller.
 * [Note: Linux tray menus] With AppIndicator (most Linux desktops) a menu changed after
 * `setContextMenu` is not redrawn, and click events never arrive: the menu is built afresh and
 * set again on every change, and everything is reachable from the menu itself.
 */
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron'
import type { Logger } from '../shared/logger'
import { buildTrayMenu, buildTrayTooltip, sameMenu, type TrayAction, type TrayMenuItem, type TrayState } from './tray/tray-menu'
import type { Translate } from './tray/translate'

export interface TrayServices {
  /** The current tray state (TrayStateModel.state). */
  getState(): TrayState
  /** Translates in the app's current language; called on each rebuild, so a language change shows. */
  t: Translate
  /** trayIconPath(...) for this platform. */
  iconPath: string
  logger: Logger
  onRefreshCredits(): void
  onOpen(): void
  onPauseResume(action: 'pause' | 'resume'): void
  onOpenLogs(): void
  onQuit(): void
  /** "Restart to update" (only offered when an update is downloaded). */
  onRestartToUpdate?(): void
  /** The menu is about to open (refresh the credit, CreditRefreshScheduler.menuOpened). */
  onMenuWillOpen?(): void
  /**
   * Least time between two menu rebuilds; changes in between are applied at its end. Progress
   * moves several times a second, and resetting a menu that is open makes it flicker or close.
   */
  minIntervalMs?: number
}

export interface TrayHandle {
  /**
   * Rebuilds the menu and tooltip from `getState()` (at once, or at the end of the current
   * `minIntervalMs`); sets the menu again only if it changed.
   */
  update(): void
  destroy(): void
}

let keptTray: Tray | null = null

function toElectronItem(item: TrayMenuItem, run: (action: TrayAction) => void): MenuItemConstructorOptions {
  if (item.type === 'separator') return { type: 'separator' }
  const { id } = item
  return { label: item.label, enabled: item.enabled, ...(id === null ? {} : { click: () => run(id) }) }
}

/** Creates the tray icon (once; a second call replaces the first) and shows the current menu. */
export function createTray(services: TrayServices): TrayHandle {
  keptTray?.destroy()
  const image = nativeImage.createFromPath(services.iconPath)
  if (image.isEmpty()) services.logger.warn('tray icon could not be read', { iconPath: services.iconPath })
  if (process.platform === 'darwin') image.setTemplateImage(true)
  const tray = new Tray(image)
  keptTray = tray

  const run = (action: TrayAction): void => {
    try {
      if (action === 'refresh-credits') services.onRefreshCredits()
      else if (action === 'open') services.onOpen()
      else if (action === 'pause' || action === 'resume') services.onPauseResume(action)
      else if (action === 'open-logs') services.onOpenLogs()
      else if (action === 'restart-to-update') services.onRestartToUpdate?.()
      else services.onQuit()
    } catch (error) {
      services.logger.error('tray action failed', { action, error: String(error) })
    }
  }
  const menuWillOpen = (): void => services.onMenuWillOpen?.()

  let shownMenu: TrayMenuItem[] | null = null
  let shownTooltip = ''
  const minIntervalMs = services.minIntervalMs ?? 1000
  let lastRebuildAt = Number.NEGATIVE_INFINITY
  let pending: NodeJS.Timeout | null = null
  const rebuild = (): void => {
    pending = null
    lastRebuildAt = Date.now()
    if (tray.isDestroyed()) return
    const state = services.getState()
    const items = buildTrayMenu(state, services.t)
    if (shownMenu === null || !sameMenu(items, shownMenu)) {
      const menu = Menu.buildFromTemplate(items.map((item) => toElectronItem(item, run)))
      menu.on('menu-will-show', menuWillOpen)
      tray.setContextMenu(menu)
      shownMenu = items
    }
    const tooltip = buildTrayTooltip(state, services.t)
    if (tooltip !== shownTooltip) {
      tray.setToolTip(tooltip)
      shownTooltip = tooltip
    }
  }
  const update = (): void => {
    if (pending !== null || tray.isDestroyed()) return
    const wait = lastRebuildAt + minIntervalMs - Date.now()
    if (wait <= 0) rebuild()
    else pending = setTimeout(rebuild, wait)
  }

  // Windows: left click opens the window, right click shows the menu. macOS shows the menu on
  // click by itself (menu-will-show above). Linux sends neither.
  tray.on('click', () => {
    if (process.platform === 'win32') services.onOpen()
    else menuWillOpen()
  })
  tray.on('right-click', menuWillOpen)

  update()
  return {
    update,
    destroy: () => {
      if (pending !== null) clearTimeout(pending)
      pending = null
      if (!tray.isDestroyed()) tray.destroy()
      if (keptTray === tray) keptTray = null
    },
  }
}
