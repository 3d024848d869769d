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
import { loopbackFeedUrl } from './updates/feed-override'
import type { Updater } from './updates/update-controller'

export function createAppUpdater(logger: Logger): { updater: Updater | null; limit: UpdateLimit } {
  if (!app.isPackaged) return { updater: null, limit: 'not-packaged' }
  let autoUpdater: typeof electronUpdater.autoUpdater
  try {
    // Creating it reads the platform (and on Linux resources/package-type); a failure here must
    // cost the updates, never the app's start.
    autoUpdater = electronUpdater.autoUpdater
  } catch (error) {
    logger.warn('updater: could not be created; updates are off', { error: String(error) })
    return { updater: null, limit: 'not-packaged' }
  }
  // A failed update (offline, a feed hiccup, a differential download falling back to a full one)
  // is not a fault of the app: it is logged as a warning, and shown in Settings.
  autoUpdater.logger = {
    info: (message?: unknown) => logger.info(`updater: ${String(message)}`),
    warn: (message?: unknown) => logger.warn(`updater: ${String(message)}`),
    error: (message?: unknown) => logger.warn(`updater: ${String(message)}`),
    debug: () => undefined,
  }
  // Koutu ships full installers only; a web installer's payload would skip the signature check.
  autoUpdater.disableWebInstaller = true
  const feed = loopbackFeedUrl(process.env.KOUTU_UPDATE_FEED_URL)
  if (feed) {
    logger.info('updater: using the loopback feed from KOUTU_UPDATE_FEED_URL', { feed })
    autoUpdater.setFeedURL({ provider: 'generic', url: feed })
  }
  // Linux: only the AppImage replaces itself; the deb belongs to the system's package manager.
  const limit: UpdateLimit = process.platform === 'linux' && !process.env.APPIMAGE ? 'package-manager' : null
  return { updater: autoUpdater, limit }
}
