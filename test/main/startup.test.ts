import { describe, expect, it } from 'vitest'
import { startupFailureMessage, WindowGate } from '../../src/main/startup'
import { translatorFor } from '../../src/main/tray/translate'

describe('starting up', () => {
  it('holds window requests until the services are ready, then shows one window and later ones at once', () => {
    let shown = 0
    const gate = new WindowGate(() => (shown += 1))
    gate.request()
    gate.request()
    expect(shown).toBe(0)
    expect(gate.waiting).toBe(true)
    gate.open()
    expect(shown).toBe(1)
    expect(gate.waiting).toBe(false)
    gate.open()
    expect(shown).toBe(1)
    gate.request()
    expect(shown).toBe(2)
  })

  it('explains a failed start with the reason and where the log is, in the system language', () => {
    const log = '/home/ana/.config/Koutu/logs/main.log'
    const en = startupFailureMessage(translatorFor('en'), new Error('disk full'), log)
    expect(en.title).toBe('Koutu could not start')
    expect(en.body).toContain('disk full')
    expect(en.body).toContain(log)
    const zh = startupFailureMessage(translatorFor('zh-CN'), 'boom', log)
    expect(zh.title).toBe('Koutu 无法启动')
    expect(zh.body).toContain('boom')
    expect(zh.body).toContain(log)
  })
})
