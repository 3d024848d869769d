// The app's settings glue over the real electron-store, with only Electron itself mocked.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { silentLogger } from '../../../src/shared/logger'
import { SettingsService } from '../../../src/main/settings/settings-service'

vi.mock('electron', () => {
  const app = { getPath: () => os.tmpdir(), getVersion: () => '0.0.0', getName: () => 'Koutu', on() {}, isReady: () => true }
  const ipcMain = { on() {}, handle() {} }
  return { default: { app, ipcMain, shell: {} }, app, ipcMain, shell: {} }
})

describe('openElectronSettingsStore', () => {
  it('stores settings through electron-store in the given file', async () => {
    const { openElectronSettingsStore } = await import('../../../src/main/electron-services')
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-estore-')), 'settings.json')
    const service = new SettingsService(openElectronSettingsStore(file, silentLogger), silentLogger)
    service.set('outputFormat', 'webp')
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).outputFormat).toBe('webp')
  })

  it('moves a corrupt file aside and starts from defaults', async () => {
    const { openElectronSettingsStore } = await import('../../../src/main/electron-services')
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-estore-'))
    const file = path.join(dir, 'settings.json')
    fs.writeFileSync(file, '{{{ definitely not json')
    const service = new SettingsService(openElectronSettingsStore(file, silentLogger), silentLogger)
    expect(service.get().outputFormat).toBe('png')
    expect(fs.readdirSync(dir).some((name) => name.startsWith('settings.json.corrupt-'))).toBe(true)
  })
})
