/**
 * Which tray icon file each platform gets and where it lives. The files are made by
 * scripts/make-icons.ts into resources/tray/ and shipped beside the asar as `tray/`
 * (electron-builder `extraResources`), because a native tray reads them from disk.
 */
import path from 'node:path'

/**
 * macOS: a template image (black + alpha) that the menu bar tints; Electron picks the @2x file
 * next to it on Retina screens. Windows: an .ico holding every size the taskbar may ask for at
 * each display scale. Linux: a PNG (AppIndicator and the XEmbed trays both take one).
 */
export function trayIconFile(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'trayTemplate.png'
  if (platform === 'win32') return 'tray.ico'
  return 'tray.png'
}

export interface TrayIconLocation {
  platform: NodeJS.Platform
  /** `app.isPackaged`. */
  packaged: boolean
  /** `process.resourcesPath` (the packaged app's resources folder). */
  resourcesPath: string
  /** `app.getAppPath()` (the project folder when unpackaged). */
  appPath: string
}

/** Absolute path of the tray icon for this platform, packaged or not. */
export function trayIconPath(location: TrayIconLocation): string {
  const folder = location.packaged ? path.join(location.resourcesPath, 'tray') : path.join(location.appPath, 'resources', 'tray')
  return path.join(folder, trayIconFile(location.platform))
}

/**
 * The window icon for Linux (`BrowserWindow` `icon` option); Windows and macOS take the icon
 * from the executable and the bundle. Shipped beside the asar by `extraResources`.
 */
export function windowIconPath(location: Omit<TrayIconLocation, 'platform'>): string {
  return location.packaged ? path.join(location.resourcesPath, 'icon-512.png') : path.join(location.appPath, 'resources', 'icon-512.png')
}
