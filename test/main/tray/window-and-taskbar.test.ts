import { describe, expect, it } from 'vitest'
import { sameTaskbarProgress, taskbarProgress } from '../../../src/main/tray/taskbar-progress'
import { trayIconFile, trayIconPath, windowIconPath } from '../../../src/main/tray/tray-icon'
import { decideWindowClose, trayCanBringWindowBack } from '../../../src/main/tray/window-close'
import { BATCH_STATES, type BatchState } from '../../../src/shared/batch'

describe('closing the window', () => {
  const base = { quitting: false, trayAvailable: true, toldBefore: false }

  it('hides to the tray while a batch holds the queue, telling the user the first time only', () => {
    for (const batchState of ['scanning', 'running', 'paused', 'cancelling'] as const) {
      expect(decideWindowClose({ ...base, batchState })).toEqual({ action: 'hide', tell: true })
      expect(decideWindowClose({ ...base, batchState, toldBefore: true })).toEqual({ action: 'hide', tell: false })
    }
  })

  it('behaves as the platform does with no batch or when quitting', () => {
    expect(decideWindowClose({ ...base, batchState: 'idle' })).toEqual({ action: 'default', tell: false })
    expect(decideWindowClose({ ...base, batchState: 'finished' })).toEqual({ action: 'default', tell: false })
    expect(decideWindowClose({ ...base, batchState: 'running', quitting: true })).toEqual({ action: 'default', tell: false })
  })

  it('minimises instead of hiding where no tray can bring the window back (Linux), and never closes mid-batch', () => {
    expect(decideWindowClose({ ...base, batchState: 'running', trayAvailable: false })).toEqual({ action: 'minimize', tell: true })
    expect(decideWindowClose({ ...base, batchState: 'paused', trayAvailable: false, toldBefore: true })).toEqual({ action: 'minimize', tell: false })
    expect(decideWindowClose({ ...base, batchState: 'idle', trayAvailable: false })).toEqual({ action: 'default', tell: false })
    // Electron cannot tell whether a Linux desktop shows tray icons (GNOME without AppIndicator does not).
    expect(trayCanBringWindowBack('linux')).toBe(false)
    expect(trayCanBringWindowBack('win32')).toBe(true)
    expect(trayCanBringWindowBack('darwin')).toBe(true)
  })
})

function batch(state: BatchState, counts: Partial<{ total: number; done: number; skipped: number; failed: number; unknown: number }> = {}) {
  return { state, total: 0, done: 0, skipped: 0, failed: 0, unknown: 0, ...counts }
}

describe('taskbar progress', () => {
  it('shows nothing without a batch and activity while scanning', () => {
    expect(taskbarProgress(batch('idle'))).toEqual({ value: -1, mode: 'none' })
    expect(taskbarProgress(batch('finished', { total: 3, done: 3 }))).toEqual({ value: -1, mode: 'none' })
    expect(taskbarProgress(batch('scanning', { total: 12 }))).toEqual({ value: 2, mode: 'indeterminate' })
  })

  it('shows the fraction processed, paused and error modes', () => {
    expect(taskbarProgress(batch('running', { total: 8, done: 2 }))).toEqual({ value: 0.25, mode: 'normal' })
    expect(taskbarProgress(batch('running', { total: 8, done: 2, skipped: 2 }))).toEqual({ value: 0.5, mode: 'normal' })
    expect(taskbarProgress(batch('paused', { total: 8, done: 6, failed: 1 }))).toEqual({ value: 0.875, mode: 'paused' })
    expect(taskbarProgress(batch('running', { total: 10, done: 2, failed: 1 }))).toEqual({ value: 0.3, mode: 'error' })
    expect(taskbarProgress(batch('running', { total: 10, done: 2, unknown: 1 })).mode).toBe('error')
  })

  it('always yields a drawable value', () => {
    for (const state of BATCH_STATES) {
      const { value } = taskbarProgress(batch(state, { total: 3, done: 5 }))
      expect(value === -1 || value === 2 || (value >= 0 && value <= 1)).toBe(true)
    }
  })

  it('tells equal bars apart from changed ones', () => {
    expect(sameTaskbarProgress({ value: 0.25, mode: 'normal' }, { value: 0.2500001, mode: 'normal' })).toBe(true)
    expect(sameTaskbarProgress({ value: 0.25, mode: 'normal' }, { value: 0.25, mode: 'paused' })).toBe(false)
    expect(sameTaskbarProgress({ value: 0.25, mode: 'normal' }, { value: 0.3, mode: 'normal' })).toBe(false)
  })
})

describe('tray icon location', () => {
  it('picks the template image on macOS, the ico on Windows and a PNG on Linux', () => {
    expect(trayIconFile('darwin')).toBe('trayTemplate.png')
    expect(trayIconFile('win32')).toBe('tray.ico')
    expect(trayIconFile('linux')).toBe('tray.png')
  })

  it('looks beside the asar when packaged and in resources/ when not', () => {
    const where = { platform: 'linux' as const, resourcesPath: '/opt/Koutu/resources', appPath: '/src/koutu' }
    expect(trayIconPath({ ...where, packaged: true })).toBe('/opt/Koutu/resources/tray/tray.png')
    expect(trayIconPath({ ...where, packaged: false })).toBe('/src/koutu/resources/tray/tray.png')
    expect(windowIconPath({ ...where, packaged: true })).toBe('/opt/Koutu/resources/icon-512.png')
    expect(windowIconPath({ ...where, packaged: false })).toBe('/src/koutu/resources/icon-512.png')
  })
})
