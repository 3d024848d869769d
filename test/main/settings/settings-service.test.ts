import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { JsonFileStore } from '../../../src/main/settings/json-file-store'
import { SettingsService } from '../../../src/main/settings/settings-service'
import type { Logger } from '../../../src/shared/logger'
import { DEFAULT_SETTINGS, SETTINGS_VERSION } from '../../../src/shared/settings'

function capturingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = []
  return { warnings, debug() {}, info() {}, error() {}, warn: (message) => warnings.push(message) }
}

function tempSettingsFile(contents?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-settings-'))
  const file = path.join(dir, 'settings.json')
  if (contents !== undefined) fs.writeFileSync(file, contents)
  return file
}

describe('SettingsService', () => {
  it('starts from defaults and records the schema version', () => {
    const file = tempSettingsFile()
    const service = new SettingsService(new JsonFileStore(file, capturingLogger()), capturingLogger())
    expect(service.get()).toEqual(DEFAULT_SETTINGS)
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).$version).toBe(SETTINGS_VERSION)
  })

  it('persists a valid change and reads it back in a new instance', () => {
    const file = tempSettingsFile()
    new SettingsService(new JsonFileStore(file, capturingLogger()), capturingLogger()).set('onConflict', 'keep-both')
    const reopened = new SettingsService(new JsonFileStore(file, capturingLogger()), capturingLogger())
    expect(reopened.get().onConflict).toBe('keep-both')
  })

  it('refuses an invalid value with a message naming the setting', () => {
    const service = new SettingsService(new JsonFileStore(tempSettingsFile(), capturingLogger()), capturingLogger())
    expect(() => service.set('remoteConcurrency', 0)).toThrow(/remoteConcurrency/)
    expect(() => service.set('backgroundColor', 'red')).toThrow(/backgroundColor/)
    expect(service.get().remoteConcurrency).toBe(4)
  })

  it('falls back to the default for a hand-edited invalid value, with a warning, keeping the rest', () => {
    const file = tempSettingsFile(JSON.stringify({ $version: 1, theme: 'purple', recursive: false }))
    const logger = capturingLogger()
    const service = new SettingsService(new JsonFileStore(file, logger), logger)
    expect(service.get().theme).toBe('system')
    expect(service.get().recursive).toBe(false)
    expect(logger.warnings.join('\n')).toMatch(/invalid stored setting/)
  })

  it('survives a corrupt file: keeps it aside, warns and starts from defaults', () => {
    const file = tempSettingsFile('{"theme": "dark",,, not json')
    const logger = capturingLogger()
    const service = new SettingsService(new JsonFileStore(file, logger), logger)
    expect(service.get()).toEqual(DEFAULT_SETTINGS)
    const kept = fs.readdirSync(path.dirname(file)).filter((name) => name.includes('.corrupt-'))
    expect(kept).toHaveLength(1)
    expect(fs.readFileSync(path.join(path.dirname(file), kept[0]!), 'utf8')).toContain('not json')
    expect(logger.warnings.length).toBeGreaterThan(0)
  })

  it('notifies listeners of each change', () => {
    const service = new SettingsService(new JsonFileStore(tempSettingsFile(), capturingLogger()), capturingLogger())
    const seen: string[] = []
    const stop = service.onChange((settings, key) => seen.push(`${key}=${String(settings[key])}`))
    service.set('maskOnly', true)
    stop()
    service.set('maskOnly', false)
    expect(seen).toEqual(['maskOnly=true'])
  })
})
