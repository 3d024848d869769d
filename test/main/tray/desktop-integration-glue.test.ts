// The desktop glue (src/main/desktop-integration.ts) with Electron replaced by recorders:
// taskbar progress calls, the batch-end notification (and its click), the low-credit warning,
// closing to the tray during a batch, and launch paths from a second instance and macOS.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { translatorFor } from '../../../src/main/tray/translate'
import type { AccountState } from '../../../src/shared/account'
import type { BatchProgress, BatchState } from '../../../src/shared/batch'
import { silentLogger } from '../../../src/shared/logger'

type Listener = (...args: unknown[]) => void

const recorded = vi.hoisted(() => ({
  notifications: [] as Array<{ title: string; body: string; listeners: Record<string, () => void>; shown: boolean }>,
  appListeners: {} as Record<string, Listener>,
}))

vi.mock('electron', () => {
  class FakeNotification {
    listeners: Record<string, () => void> = {}
    shown = false
    title: string
    body: string
    constructor(options: { title: string; body: string }) {
      this.title = options.title
      this.body = options.body
      recorded.notifications.push(this)
    }
    static isSupported() {
      return true
    }
    on(event: string, listener: () => void) {
      this.listeners[event] = listener
      return this
    }
    show() {
      this.shown = true
    }
  }
  const app = {
    isPackaged: false,
    isReady: () => true,
    on: (event: string, listener: Listener) => {
      recorded.appListeners[event] = listener
      return app
    },
  }
  return { Notification: FakeNotification, app, default: { Notification: FakeNotification, app } }
})
vi.mock('electron-log/main', () => ({ default: {} }))

const integration = await import('../../../src/main/desktop-integration')
const t = translatorFor('en')

class FakeWindow {
  progress: Array<[number, string]> = []
  focused = false
  hidden = false
  listeners: Record<string, Listener> = {}
  isDestroyed = () => false
  isVisible = () => !this.hidden
  isFocused = () => this.focused
  minimized = false
  hide = () => {
    this.hidden = true
  }
  minimize = () => {
    this.minimized = true
  }
  setProgressBar = (value: number, options: { mode: string }) => {
    this.progress.push([value, options.mode])
  }
  on = (event: string, listener: Listener) => {
    this.listeners[event] = listener
    return this
  }
}

function progress(state: BatchState, done: number, failed = 0): BatchProgress {
  return { state, total: 4, done, skipped: 0, failed, unknown: 0, working: 0, queued: 0, currentFiles: [], imagesPerMinute: 0, etaSeconds: null }
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-desktop-'))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

beforeEach(() => {
  recorded.notifications.length = 0
})

describe('batch feedback', () => {
  it('draws taskbar progress, notifies at the end with counts, and shows the window on click', () => {
    const window = new FakeWindow()
    let shown = 0
    const ends: string[] = []
    const feedback = integration.createBatchFeedback({
      getWindow: () => window as never,
      showWindow: () => (shown += 1),
      t,
      onBatchEnded: (end) => ends.push(`${end.outcome}:${end.engine}`),
    })
    feedback.onProgress(progress('scanning', 0), 'aipic')
    feedback.onProgress(progress('running', 1), 'aipic')
    feedback.onProgress(progress('running', 1), 'aipic')
    feedback.onProgress(progress('running', 2, 1), 'aipic')
    feedback.onProgress(progress('paused', 2, 1), 'aipic')
    feedback.onProgress(progress('finished', 3, 1), 'aipic')
    expect(window.progress).toEqual([
      [2, 'indeterminate'],
      [0.25, 'normal'],
      [0.75, 'error'],
      [0.75, 'paused'],
      [-1, 'none'],
    ])
    expect(ends).toEqual(['finished:aipic'])
    expect(recorded.notifications.map((n) => [n.title, n.body, n.shown])).toEqual([['Batch finished', '3 done, 1 failed', true]])
    recorded.notifications[0]!.listeners.click!()
    expect(shown).toBe(1)
  })

  it('does not notify while the window has the focus', () => {
    const window = new FakeWindow()
    window.focused = true
    const feedback = integration.createBatchFeedback({ getWindow: () => window as never, showWindow: () => {}, t })
    feedback.onProgress(progress('running', 1), 'local')
    feedback.onProgress(progress('finished', 4), 'local')
    expect(recorded.notifications).toEqual([])
  })
})

describe('low credit', () => {
  it('notifies once when the credit falls below the threshold', () => {
    const notifier = integration.createLowCreditNotifier({ t, showWindow: () => {} })
    const account = (credit: number): AccountState => ({
      loggedIn: false,
      identity: 'device',
      phone: null,
      credit,
      creditCheckedAt: 1,
      codeCooldownEndsAt: null,
      tokenStorage: 'os-encrypted',
      tokenStorageReason: 'encrypted',
      loggedOutReason: null,
    })
    for (const credit of [8, 4, 3, 2]) notifier.onAccount(account(credit), 5)
    expect(recorded.notifications.map((n) => n.body)).toEqual(['Credits left on this device: 4.'])
  })
})

describe('closing to the tray', () => {
  it('hides the window during a batch, says so once, and closes normally otherwise or when quitting', () => {
    let batchState: BatchState = 'running'
    const window = new FakeWindow()
    integration.attachCloseToTray(window as never, { getBatchState: () => batchState, trayAvailable: () => true, t, showWindow: () => {} })
    const close = () => {
      let prevented = false
      window.listeners.close!({ preventDefault: () => (prevented = true) })
      return prevented
    }
    expect(close()).toBe(true)
    expect(window.hidden).toBe(true)
    expect(close()).toBe(true)
    expect(recorded.notifications.map((n) => n.title)).toEqual(['Koutu is still working'])
    batchState = 'idle'
    expect(close()).toBe(false)
    batchState = 'running'
    recorded.appListeners['before-quit']!()
    expect(close()).toBe(false)
  })
})

describe('closing without a tray, and the end of a Windows session', () => {
  it('minimises during a batch where no tray can bring the window back, and tells how to close', async () => {
    vi.resetModules()
    const fresh = await import('../../../src/main/desktop-integration')
    recorded.notifications.length = 0
    const window = new FakeWindow()
    fresh.attachCloseToTray(window as never, { getBatchState: () => 'running', trayAvailable: () => false, t, showWindow: () => {} })
    let prevented = false
    window.listeners.close!({ preventDefault: () => (prevented = true) })
    expect(prevented).toBe(true)
    expect(window.minimized).toBe(true)
    expect(window.hidden).toBe(false)
    expect(recorded.notifications.map((n) => n.body)).toEqual([t('notifications.keptMinimisedBody')])
  })

  it('lets a logoff or shutdown close the window mid-batch and stops the batch at session-end', async () => {
    vi.resetModules()
    const fresh = await import('../../../src/main/desktop-integration')
    const window = new FakeWindow()
    let sessionEnded = 0
    fresh.attachCloseToTray(window as never, {
      getBatchState: () => 'running',
      trayAvailable: () => true,
      t,
      showWindow: () => {},
      onSessionEnd: () => (sessionEnded += 1),
    })
    const close = () => {
      let prevented = false
      window.listeners.close!({ preventDefault: () => (prevented = true) })
      return prevented
    }
    expect(close()).toBe(true)
    // Windows asks first (no before-quit is emitted on logoff), then closes the windows.
    window.listeners['query-session-end']!({ reasons: ['logoff'], preventDefault: () => {} })
    expect(close()).toBe(false)
    window.listeners['session-end']!({ reasons: ['logoff'] })
    expect(sessionEnded).toBe(1)
  })
})

describe('identity', () => {
  it("uses electron-builder.yml's appId", () => {
    const yml = fs.readFileSync(path.resolve(import.meta.dirname, '../../../electron-builder.yml'), 'utf8')
    expect(/^appId: (.+)$/m.exec(yml)?.[1]).toBe(integration.APP_ID)
  })
})

describe('launch paths', () => {
  it('hands over paths from a second launch and from macOS open-file, as one burst, and shows the window', async () => {
    fs.mkdirSync(path.join(root, 'a'))
    fs.writeFileSync(path.join(root, 'b.jpg'), 'x')
    fs.writeFileSync(path.join(root, 'c.png'), 'x')
    let shown = 0
    // This launch's own command line: the executable, then a file the user opened with Koutu.
    const argv = process.argv
    process.argv = ['/opt/Koutu/koutu', path.join(root, 'b.jpg')]
    const launch = integration.registerLaunchPaths({ logger: silentLogger, showWindow: () => (shown += 1) })
    process.argv = argv
    const received: string[][] = []
    launch.deliverTo((paths) => received.push(paths))
    recorded.appListeners['second-instance']!({}, ['/opt/Koutu/koutu', '--allow-file-access-from-files', 'a'], root)
    recorded.appListeners['open-file']!({ preventDefault: () => {} }, path.join(root, 'c.png'))
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(received).toEqual([[path.join(root, 'b.jpg'), path.join(root, 'a'), path.join(root, 'c.png')]])
    expect(shown).toBe(2)
  })
})
