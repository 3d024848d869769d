/**
 * Builds the app's real services for tests, as src/main/index.ts does, but over a JsonFileStore
 * (the same JSON file format electron-store writes) in a temporary user data folder.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { AppInfo } from '../../src/shared/bridge'
import { silentLogger } from '../../src/shared/logger'
import { createHandlerTable, type AppServices } from '../../src/main/ipc/handler-table'
import type { HandlerTable } from '../../src/main/ipc/handler-types'
import { userDataLayout } from '../../src/main/paths'
import { JsonFileStore } from '../../src/main/settings/json-file-store'
import { SettingsService } from '../../src/main/settings/settings-service'

export interface TestApp {
  userDataDir: string
  layout: ReturnType<typeof userDataLayout>
  services: AppServices
  table: HandlerTable
  openedUrls: string[]
  /** Reads the settings file as it is on disk now. */
  settingsOnDisk(): Record<string, unknown>
  cleanup(): void
}

export function createTestApp(overrides: { appInfo?: Partial<AppInfo>; userDataDir?: string } = {}): TestApp {
  const userDataDir = overrides.userDataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-app-'))
  const layout = userDataLayout(userDataDir)
  const settings = new SettingsService(new JsonFileStore(layout.settingsFile, silentLogger), silentLogger)
  const openedUrls: string[] = []
  const services: AppServices = {
    appInfo: { name: 'Koutu', version: '0.1.0-test', platform: process.platform, systemLocale: 'en-US', ...overrides.appInfo },
    settings,
    openExternal: async (url) => {
      openedUrls.push(url)
    },
  }
  return {
    userDataDir,
    layout,
    services,
    table: createHandlerTable(services),
    openedUrls,
    settingsOnDisk: () => JSON.parse(fs.readFileSync(layout.settingsFile, 'utf8')) as Record<string, unknown>,
    cleanup: () => fs.rmSync(userDataDir, { recursive: true, force: true }),
  }
}
