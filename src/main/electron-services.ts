/**
 * Glue: adapters from Electron (and electron-store, which imports Electron) to the plain
 * interfaces the services take. One of the few files allowed to import electron.
 */
import fs from 'node:fs'
import path from 'node:path'
import { dialog, safeStorage, shell, utilityProcess, type BrowserWindow, type OpenDialogOptions } from 'electron'
import Store from 'electron-store'
import type { TokenStorageReason } from '../shared/account'
import type { MessageKey } from '../shared/i18n'
import type { Logger } from '../shared/logger'
import { chooseTokenStorage, EncryptedStoreVault, MemoryVault, PlaintextFileVault, type SecretVault } from './aipic/secret-vault'
import type { DesktopShell } from './desktop-shell'
import { IMAGE_EXTENSIONS } from './batch/file-kinds'
import type { WorkerHandle, WorkerSpawner } from './engine/local'
import { logChildOutput } from './logging/child-output'
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

/**
 * The vault for the aipic token and S3 keys, per [Note: token storage policy] in
 * src/main/aipic/secret-vault.ts: safeStorage ciphertext in the settings file when the OS really
 * encrypts; otherwise memory only, unless the user opted in to keeping it on disk.
 */
export function createSecretVault(
  store: KeyValueStore,
  userDataDir: string,
  allowPlaintext: boolean,
): { vault: SecretVault; reason: TokenStorageReason } {
  const choice = chooseTokenStorage({
    platform: process.platform,
    encryptionAvailable: safeStorage.isEncryptionAvailable(),
    selectedBackend: process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : null,
    allowPlaintext,
  })
  if (choice.backend === 'memory-only') return { vault: new MemoryVault(), reason: choice.reason }
  if (choice.backend === 'plaintext-file' && !safeStorage.isEncryptionAvailable()) {
    // No cipher at all: the opted-in token goes to a 0600 file of its own.
    return { vault: new PlaintextFileVault(path.join(userDataDir, 'token.json')), reason: choice.reason }
  }
  return { vault: new EncryptedStoreVault(store, safeStorage, choice.backend), reason: choice.reason }
}

/**
 * Starts the local engine's model process as an Electron utility process (see [Note: worker
 * spawner]). Its stdout and stderr go into the log (a packaged app has no console to inherit),
 * and a fatal V8 error is logged with its location before the 'exit' the engine sees.
 */
export function createUtilityProcessSpawner(workerPath: string, logger: Logger): WorkerSpawner {
  return (spec) => {
    const child = utilityProcess.fork(workerPath, [], {
      serviceName: spec.serviceName,
      env: { ...process.env, ...spec.env },
      stdio: 'pipe',
    })
    logChildOutput(child.stdout, logger, { source: spec.serviceName, stream: 'stdout' })
    logChildOutput(child.stderr, logger, { source: spec.serviceName, stream: 'stderr' })
    child.on('error', (type, location, report) => {
      logger.error('the model process hit a fatal error', { source: spec.serviceName, type, location, report: report.slice(0, 8000) })
    })
    return child as unknown as WorkerHandle
  }
}

/** Dialogs and the file manager, for the services' DesktopShell. */
export function createElectronDesktopShell(getWindow: () => BrowserWindow | null, t: (key: MessageKey) => string): DesktopShell {
  const withWindow = async (options: OpenDialogOptions): Promise<string[]> => {
    const window = getWindow()
    const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options)
    return result.canceled ? [] : result.filePaths
  }
  return {
    chooseFolders: ({ multiple, titleKey }) =>
      withWindow({
        title: t(titleKey === 'addFolders' ? 'dialogs.addFoldersTitle' : 'dialogs.outputRootTitle'),
        properties: ['openDirectory', 'createDirectory', ...(multiple ? (['multiSelections'] as const) : [])],
      }),
    chooseFiles: ({ multiple, filter }) =>
      withWindow({
        title: t(filter === 'onnx' ? 'dialogs.modelTitle' : 'dialogs.addFilesTitle'),
        properties: ['openFile', ...(multiple ? (['multiSelections'] as const) : [])],
        filters:
          filter === 'onnx'
            ? [{ name: 'ONNX', extensions: ['onnx'] }]
            : [{ name: t('dialogs.imagesFilter'), extensions: [...IMAGE_EXTENSIONS].map((extension) => extension.replace(/^\./, '')) }],
      }),
    showItemInFolder: (filePath) => shell.showItemInFolder(filePath),
    openFolder: async (folderPath) => {
      const problem = await shell.openPath(folderPath)
      if (problem) throw new Error(problem)
    },
    openExternal: (url) => shell.openExternal(url),
  }
}
