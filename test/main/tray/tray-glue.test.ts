// The Electron glue of the tray (src/main/tray.ts) with Electron's Tray and Menu replaced by
// recorders: the menu is set again on every change (Linux needs it), not when nothing changed,
// clicks reach the injected services, and the tray stays referenced.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { TrayState } from '../../../src/main/tray/tray-menu'
import { translatorFor } from '../../../src/main/tray/translate'
import { silentLogger } from '../../../src/shared/logger'

interface TemplateItem {
  label?: string
  type?: string
  enabled?: boolean
  click?: () => void
}

const recorded = vi.hoisted(() => ({
  trays: [] as Array<{ menus: Array<{ template: TemplateItem[]; listeners: Record<string, () => void> }>; tooltips: string[]; listeners: Record<string, () => void>; destroyed: boolean }>,
}))

vi.mock('electron', () => {
  class FakeMenu {
    listeners: Record<string, () => void> = {}
    constructor(readonly template: TemplateItem[]) {}
    static buildFromTemplate(template: TemplateItem[]) {
      return new FakeMenu(template)
    }
    on(event: string, listener: () => void) {
      this.listeners[event] = listener
      return this
    }
  }
  class FakeTray {
    menus: FakeMenu[] = []
    tooltips: string[] = []
    listeners: Record<string, () => void> = {}
    destroyed = false
    constructor() {
      recorded.trays.push(this)
    }
    setContextMenu(menu: FakeMenu) {
      this.menus.push(menu)
    }
    setToolTip(text: string) {
      this.tooltips.push(text)
    }
    on(event: string, listener: () => void) {
      this.listeners[event] = listener
      return this
    }
    isDestroyed() {
      return this.destroyed
    }
    destroy() {
      this.destroyed = true
    }
  }
  const nativeImage = { createFromPath: () => ({ isEmpty: () => false, setTemplateImage: () => {} }) }
  return { Menu: FakeMenu, Tray: FakeTray, nativeImage, default: { Menu: FakeMenu, Tray: FakeTray, nativeImage } }
})

const { createTray } = await import('../../../src/main/tray')

let state: TrayState
const calls: string[] = []

function services() {
  return {
    getState: () => state,
    t: translatorFor('en'),
    iconPath: '/resources/tray/tray.png',
    logger: silentLogger,
    onRefreshCredits: () => calls.push('refresh'),
    onOpen: () => calls.push('open'),
    onPauseResume: (action: 'pause' | 'resume') => calls.push(action),
    onOpenLogs: () => calls.push('logs'),
    onQuit: () => calls.push('quit'),
    onMenuWillOpen: () => calls.push('menu-will-open'),
    minIntervalMs: 0,
  }
}

beforeEach(() => {
  recorded.trays.length = 0
  calls.length = 0
  state = {
    account: { loggedIn: false, identity: 'device', phone: null, credit: 4, creditCheckedAt: 1 },
    creditError: false,
    creditRefreshing: false,
    batch: { state: 'running', total: 10, done: 1, skipped: 0, failed: 0, unknown: 0 },
  }
})

describe('tray glue', () => {
  it('sets a new menu on every change and none when nothing changed', () => {
    const tray = createTray(services())
    const fake = recorded.trays[0]!
    expect(fake.menus).toHaveLength(1)
    tray.update()
    expect(fake.menus).toHaveLength(1)
    state = { ...state, batch: { ...state.batch, done: 2 } }
    tray.update()
    state = { ...state, creditError: true }
    tray.update()
    expect(fake.menus).toHaveLength(3)
    expect(fake.menus[2]!.template[0]!.label).toBe('Credits: unavailable')
    expect(fake.tooltips).toEqual(['Koutu: Working: 1 of 10', 'Koutu: Working: 2 of 10'])
  })

  it('routes clicks to the services and reports the menu opening', () => {
    createTray(services())
    const menu = recorded.trays[0]!.menus[0]!
    const click = (label: string) => menu.template.find((item) => item.label === label)!.click!()
    for (const label of ['Refresh credits', 'Pause', 'Open Koutu', 'Open logs folder', 'Quit Koutu']) click(label)
    expect(menu.template[0]!.click).toBeUndefined()
    menu.listeners['menu-will-show']!()
    recorded.trays[0]!.listeners['right-click']!()
    expect(calls).toEqual(['refresh', 'pause', 'open', 'logs', 'quit', 'menu-will-open', 'menu-will-open'])
  })

  it('rebuilds at most once per interval, applying the latest state at its end', async () => {
    const tray = createTray({ ...services(), minIntervalMs: 60 })
    const fake = recorded.trays[0]!
    for (let done = 2; done <= 5; done += 1) {
      state = { ...state, batch: { ...state.batch, done } }
      tray.update()
    }
    expect(fake.menus).toHaveLength(1)
    await new Promise((resolve) => setTimeout(resolve, 120))
    expect(fake.menus).toHaveLength(2)
    expect(fake.menus[1]!.template[3]!.label).toBe('Working: 5 of 10')
  })

  it('replaces an earlier tray instead of leaving two icons', () => {
    createTray(services())
    const second = createTray(services())
    expect(recorded.trays[0]!.destroyed).toBe(true)
    expect(recorded.trays[1]!.destroyed).toBe(false)
    second.destroy()
    expect(recorded.trays[1]!.destroyed).toBe(true)
    second.update()
    expect(recorded.trays[1]!.menus).toHaveLength(1)
  })
})
