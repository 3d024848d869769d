/**
 * Glue: electron-updater's updater for this platform (NSIS on Windows, Squirrel.Mac on macOS,
 * AppImage or deb on Linux), fed from the GitHub releases named in app-update.yml, which
 * electron-builder writes into resources/ from electron-builder.yml's `publish`. The policy
 * (when to check, download, install) is UpdateController's, in plain Node.
 * One of the few files allowed to import electron (electron-updater imports it).
 */
import { app } from 'electron'
import electronUpdater from 'electron-updater'
import type { Logger } from '../shared/logger'
import type { UpdateLimit } from '../shared/updates'
import type { Updater } from './updates/update-controller'

/**
 * `KOUTU_UPDATE_FEED_URL` points the updater at a generic feed instead of GitHub: the smoke test
 * serves one on loopback. Only loopback http(s) URLs are honoured, so the variable cannot send
 * an installed app to another server.
 */
export function loopbackFeedUrl(value: string | undefined): string | null {
  if (!value || !URL.canParse(value)) return null
  const url = new URL(value)
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]'
  return loopback && (url.protocol === 'http:' || url.protocol === 'https:') ? url.href : null
}

export function createAppUpdater(logger: Logger): { updater: Updater | null; limit: UpdateLimit } {
  if (!app.isPackaged) return { updater: null, limit: 'not-packaged' }
  const { autoUpdater } = electronUpdater
  autoUpdater.logger = {
    info: (message?: unknown) => logger.info(`updater: ${String(message)}`),
    warn: (message?: unknown) => logger.warn(`updater: ${String(message)}`),
    error: (message?: unknown) => logger.warn(`updater: ${String(message)}`),
    debug: () => undefined,
  }
  const feed = loopbackFeedUrl(process.env.KOUTU_UPDATE_FEED_URL)
  if (feed) {
    logger.info('updater: using the loopback feed from KOUTU_UPDATE_FEED_URL', { feed })
    autoUpdater.setFeedURL({ provider: 'generic', url: feed })
  }
  // Linux: only the AppImage replaces itself; the deb belongs to the system's package manager.
  const limit: UpdateLimit = process.platform === 'linux' && !process.env.APPIMAGE ? 'package-manager' : null
  return { updater: autoUpdater as unknown as Updater, limit }
}
