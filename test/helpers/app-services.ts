/**
 * Builds the app's real services for tests through the same composition root as the app
 * (createAppServices in src/main/app-services.ts), over stand-ins for the platform: a
 * JsonFileStore (the file format electron-store writes) in a temporary user data folder, the
 * real local engine in a forked worker (the TypeScript source through tsx), the aipic client
 * pointed wherever the test says (the stand-in in test/standins/aipic-server.ts), and a
 * DesktopShell whose dialogs return what the test queued and which records what it was asked.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { AppInfo, BridgeEventName, BridgeEvents } from '../../src/shared/bridge'
import { silentLogger, type Logger } from '../../src/shared/logger'
import type { Settings } from '../../src/shared/settings'
import { createAppServices, type AppServicesHandle, type RemoteEngineFactory } from '../../src/main/app-services'
import { MemoryVault, PlaintextFileVault } from '../../src/main/aipic/secret-vault'
import type { DesktopShell } from '../../src/main/desktop-shell'
import { createForkSpawner } from '../../src/main/engine/local'
import type { AppServices } from '../../src/main/ipc/handler-table'
import type { UpdateControls } from '../../src/main/ipc/update-handlers'
import type { HandlerTable } from '../../src/main/ipc/handler-types'
import { userDataLayout } from '../../src/main/paths'
import { JsonFileStore } from '../../src/main/settings/json-file-store'

const WORKER_SOURCE = path.resolve(import.meta.dirname, '../../src/main/engine/local/worker-main.ts')

export type RecordedEvent = { [E in BridgeEventName]: { name: E; payload: BridgeEvents[E] } }[BridgeEventName]
export type EventForwarder = <E extends BridgeEventName>(name: E, payload: BridgeEvents[E]) => void

export interface TestAppOptions {
  appInfo?: Partial<AppInfo>
  userDataDir?: string
  /** Settings written before the services start (e.g. `{ apiBaseUrl: standin.url }`). */
  settings?: Partial<Settings>
  createRemoteEngine?: RemoteEngineFactory
  logger?: Logger
  /** App updates (an UpdateController over a loopback feed); default: none, as under the CLI. */
  updates?: UpdateControls
}

export interface TestApp {
  userDataDir: string
  layout: ReturnType<typeof userDataLayout>
  services: AppServices
  table: HandlerTable
  handle: AppServicesHandle
  /** Links the system browser was asked to open. */
  openedUrls: string[]
  /** Files the file manager was asked to reveal (showItemInFolder). */
  shownInFolder: string[]
  /** Folders the file manager was asked to open. */
  openedFolders: string[]
  /** Dialogs main opened, in order. */
  dialogsOpened: string[]
  /** Every event main sent to the renderer, in order. */
  events: RecordedEvent[]
  /** The paths the next folder (or file) dialog returns; a dialog with nothing queued is cancelled. */
  answerNextDialog(kind: 'folders' | 'files', paths: string[]): void
  /** Also sends main's events somewhere (the UI harness's `emit`). */
  forwardEvents(forward: EventForwarder | null): void
  /** Reads the settings file as it is on disk now. */
  settingsOnDisk(): Record<string, unknown>
  /** Stops the batch and the engine, and deletes the user data folder (unless it was given). */
  cleanup(): Promise<void>
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const ownsDir = options.userDataDir === undefined
  const userDataDir = options.userDataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-app-'))
  const layout = userDataLayout(userDataDir)
  const logger = options.logger ?? silentLogger
  const store = new JsonFileStore(layout.settingsFile, logger)
  // Nothing in a test may reach the internet: unless the test names a stand-in, aipic is a
  // closed loopback port (the discard port), so a stray request fails at once, locally.
  const initial: Partial<Settings> = { apiBaseUrl: 'http://127.0.0.1:9', ...options.settings }
  for (const [key, value] of Object.entries(initial)) store.set(key, value)

  const openedUrls: string[] = []
  const shownInFolder: string[] = []
  const openedFolders: string[] = []
  const dialogsOpened: string[] = []
  const events: RecordedEvent[] = []
  const answers: Record<'folders' | 'files', string[][]> = { folders: [], files: [] }
  let forward: EventForwarder | null = null

  const desktop: DesktopShell = {
    async chooseFolders(request) {
      dialogsOpened.push(`folders:${request.titleKey}`)
      return answers.folders.shift() ?? []
    },
    async chooseFiles(request) {
      dialogsOpened.push(`files:${request.filter}`)
      return answers.files.shift() ?? []
    },
    showItemInFolder(filePath) {
      shownInFolder.push(filePath)
    },
    async openFolder(folderPath) {
      openedFolders.push(folderPath)
    },
    async openExternal(url) {
      openedUrls.push(url)
    },
  }

  const handle = await createAppServices({
    appInfo: { name: 'Koutu', version: '0.1.0-test', platform: process.platform, systemLocale: 'en-US', ...options.appInfo },
    userDataDir,
    logger,
    store,
    openVault: (allowPlaintext) =>
      allowPlaintext
        ? { vault: new PlaintextFileVault(path.join(userDataDir, 'secrets.json')), reason: 'user-opted-in' }
        : { vault: new MemoryVault(), reason: 'unavailable' },
    desktop,
    spawnWorker: createForkSpawner({ modulePath: WORKER_SOURCE, execArgv: ['--import', 'tsx'] }),
    emit: (name, payload) => {
      events.push({ name, payload } as RecordedEvent)
      forward?.(name, payload)
    },
    ...(options.createRemoteEngine ? { createRemoteEngine: options.createRemoteEngine } : {}),
    ...(options.updates ? { updates: options.updates } : {}),
    // Stand-ins are on loopback: never through a proxy the machine's environment may name.
    resolveProxy: async () => 'DIRECT',
    // Fail fast against loopback stand-ins instead of waiting out production timeouts.
    aipicClient: { retry: { limit: 1, baseDelayMs: 20 } },
  })

  return {
    userDataDir,
    layout,
    services: handle.services,
    table: handle.table,
    handle,
    openedUrls,
    shownInFolder,
    openedFolders,
    dialogsOpened,
    events,
    answerNextDialog(kind, paths) {
      answers[kind].push(paths)
    },
    forwardEvents(next) {
      forward = next
    },
    settingsOnDisk: () => JSON.parse(fs.readFileSync(layout.settingsFile, 'utf8')) as Record<string, unknown>,
    async cleanup() {
      forward = null
      await handle.dispose()
      if (ownsDir) fs.rmSync(userDataDir, { recursive: true, force: true })
    },
  }
}
