/**
 * Glue: adapters from Electron (and electron-store, which imports Electron) to the plain
 * interfaces the services take. One of the few files allowed to import electron.
 */
import fs from 'node:fs'
import path from 'node:path'
import Store from 'electron-store'
import type { Logger } from '../shared/logger'
import type { KeyValueStore } from './settings/key-value-store'
import { quarantineCorruptFile } from './settings/quarantine'

/**
 * The settings store: electron-store's JSON file in the user data folder. A file that is not
 * valid JSON is moved aside (never deleted) and the app starts from defaults, with a warning.
 */
export function openElectronSettingsStore(settingsFile: string, logger: Logger): KeyValueStore {
  const options = {
    cwd: path.dirname(settingsFile),
    name: path.basename(settingsFile, '.json'),
    clearInvalidConfig: false,
  }
  let store: Store<Record<string, unknown>>
  try {
    store = new Store<Record<string, unknown>>(options)
  } catch (error) {
    if (!fs.existsSync(settingsFile)) throw error
    const keptAs = quarantineCorruptFile(settingsFile)
    logger.warn('settings file could not be read; kept it aside and started from defaults', { keptAs, error: String(error) })
    store = new Store<Record<string, unknown>>(options)
  }
  return {
    get: (key) => store.get(key),
    set: (key, value) => store.set(key, value),
    delete: (key) => store.delete(key),
    entries: () => ({ ...store.store }),
  }
}
