import { describe, expect, it } from 'vitest'
import { createSenderCheck, dispatchBridgeCall } from '../../../src/main/ipc/dispatch'
import type { SenderInfo } from '../../../src/main/ipc/handler-types'
import { silentLogger } from '../../../src/shared/logger'
import { createTestApp } from '../../helpers/app-services'

const APP_URL = 'file:///opt/Koutu/resources/app.asar/out/renderer/index.html'
const trusted: SenderInfo = { webContentsId: 7, frameUrl: APP_URL, isMainFrame: true }
const isTrusted = createSenderCheck(
  () => 7,
  (url) => url === APP_URL,
)

describe('dispatchBridgeCall', () => {
  it('serves a well-formed call from the app window', async () => {
    const app = await createTestApp()
    const result = await dispatchBridgeCall(app.table, 'setSetting', ['outputSuffix', '-nobg'], trusted, isTrusted, silentLogger)
    expect(result.ok).toBe(true)
    expect(app.settingsOnDisk().outputSuffix).toBe('-nobg')
    await app.cleanup()
  })

  it.each([
    ['an unknown setting key', ['noSuchSetting', 1]],
    ['a value of the wrong type', ['recursive', 'yes']],
    ['a suffix with a path separator', ['outputSuffix', '../evil']],
    ['a missing argument', ['theme']],
    ['an extra argument', ['theme', 'dark', 'more']],
  ])('rejects %s with ipc.invalid-argument or settings.invalid and saves nothing', async (_label, args) => {
    const app = await createTestApp()
    const result = await dispatchBridgeCall(app.table, 'setSetting', args, trusted, isTrusted, silentLogger)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(['ipc.invalid-argument', 'settings.invalid']).toContain(result.error.code)
    expect(app.services.settings.get().outputSuffix).toBe('-cutout')
    await app.cleanup()
  })

  it('refuses a foreign sender before looking at the arguments', async () => {
    const app = await createTestApp()
    const senders: SenderInfo[] = [
      { webContentsId: 8, frameUrl: APP_URL, isMainFrame: true },
      { webContentsId: 7, frameUrl: 'https://evil.example/', isMainFrame: true },
      { webContentsId: 7, frameUrl: APP_URL, isMainFrame: false },
    ]
    for (const sender of senders) {
      const result = await dispatchBridgeCall(app.table, 'setSetting', ['theme', 'dark'], sender, isTrusted, silentLogger)
      expect(result).toMatchObject({ ok: false, error: { code: 'ipc.forbidden-sender' } })
    }
    expect(app.services.settings.get().theme).toBe('system')
    await app.cleanup()
  })

  it('refuses an unknown method', async () => {
    const app = await createTestApp()
    const result = await dispatchBridgeCall(app.table, 'runShell', ['rm -rf /'], trusted, isTrusted, silentLogger)
    expect(result).toMatchObject({ ok: false, error: { code: 'ipc.invalid-argument' } })
    await app.cleanup()
  })

  it('opens only http(s) links in the system browser', async () => {
    const app = await createTestApp()
    const good = await dispatchBridgeCall(app.table, 'openExternal', ['https://example.com/help'], trusted, isTrusted, silentLogger)
    expect(good.ok).toBe(true)
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'not a url']) {
      const bad = await dispatchBridgeCall(app.table, 'openExternal', [url], trusted, isTrusted, silentLogger)
      expect(bad.ok).toBe(false)
    }
    expect(app.openedUrls).toEqual(['https://example.com/help'])
    await app.cleanup()
  })
})
