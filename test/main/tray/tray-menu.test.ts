import { describe, expect, it } from 'vitest'
import {
  buildTrayMenu,
  buildTrayTooltip,
  isCreditUnavailable,
  sameMenu,
  type TrayMenuItem,
  type TrayState,
} from '../../../src/main/tray/tray-menu'
import { translatorFor } from '../../../src/main/tray/translate'

const en = translatorFor('en')
const zh = translatorFor('zh-CN')

function state(overrides: Partial<TrayState> = {}, batch: Partial<TrayState['batch']> = {}): TrayState {
  return {
    account: { loggedIn: false, identity: 'device', phone: null, credit: null, creditCheckedAt: null },
    creditError: false,
    creditRefreshing: false,
    batch: { state: 'idle', total: 0, done: 0, skipped: 0, failed: 0, unknown: 0, ...batch },
    ...overrides,
  }
}

function labels(items: TrayMenuItem[]): string[] {
  return items.map((item) => (item.type === 'separator' ? '---' : item.label))
}

function item(items: TrayMenuItem[], id: string) {
  return items.find((entry) => entry.type === 'normal' && entry.id === id) as Extract<TrayMenuItem, { type: 'normal' }> | undefined
}

describe('tray menu', () => {
  it('shows the credit of the logged-in phone, then refresh, open, logs and quit', () => {
    const menu = buildTrayMenu(
      state({ account: { loggedIn: true, identity: 'phone', phone: '138****5678', credit: 12, creditCheckedAt: 1 } }),
      en,
    )
    expect(labels(menu)).toEqual([
      'Credits: 12 (138****5678)',
      'Refresh credits',
      '---',
      'Open Koutu',
      'Open logs folder',
      '---',
      'Quit Koutu',
    ])
    expect(menu[0]).toMatchObject({ id: null, enabled: false })
    expect(item(menu, 'refresh-credits')?.enabled).toBe(true)
  })

  it("shows the device's credit when nobody is logged in", () => {
    const menu = buildTrayMenu(state({ account: { loggedIn: false, identity: 'device', phone: null, credit: 3, creditCheckedAt: 1 } }), en)
    expect(labels(menu)[0]).toBe('Credits: 3 (this device)')
  })

  it('says "unavailable" after a failed refresh instead of the old number', () => {
    const account = { loggedIn: true, identity: 'phone' as const, phone: '138****5678', credit: 12, creditCheckedAt: 1_000 }
    const menu = buildTrayMenu(state({ account, creditError: isCreditUnavailable(account, 2_000) }), en)
    expect(labels(menu)[0]).toBe('Credits: unavailable')
    expect(labels(menu).join(' ')).not.toContain('12')
  })

  it('says "checking" while the first refresh runs and disables the refresh item', () => {
    const menu = buildTrayMenu(state({ creditRefreshing: true }), en)
    expect(labels(menu)[0]).toBe('Credits: checking…')
    expect(item(menu, 'refresh-credits')?.enabled).toBe(false)
    expect(labels(buildTrayMenu(state(), en))[0]).toBe('Credits: not checked yet')
  })

  it("shows a running batch's progress with Pause, and Resume once paused", () => {
    const running = buildTrayMenu(state({}, { state: 'running', total: 40, done: 10, skipped: 1, failed: 1, unknown: 0 }), en)
    expect(labels(running).slice(3, 6)).toEqual(['Working: 12 of 40', 'Pause', '---'])
    expect(item(running, 'pause')?.enabled).toBe(true)
    expect(item(running, 'resume')).toBeUndefined()

    const paused = buildTrayMenu(state({}, { state: 'paused', total: 40, done: 12 }), en)
    expect(labels(paused).slice(3, 5)).toEqual(['Paused: 12 of 40', 'Resume'])
    expect(item(paused, 'pause')).toBeUndefined()
    expect(item(paused, 'resume')?.enabled).toBe(true)
  })

  it('shows scanning and stopping with Pause disabled, and no batch lines when idle or finished', () => {
    const scanning = buildTrayMenu(state({}, { state: 'scanning', total: 7 }), en)
    expect(labels(scanning)[3]).toBe('Finding photos… (7 so far)')
    expect(item(scanning, 'pause')?.enabled).toBe(false)
    const cancelling = buildTrayMenu(state({}, { state: 'cancelling', total: 7, done: 2 }), en)
    expect(labels(cancelling)[3]).toBe('Stopping…')
    expect(item(cancelling, 'pause')?.enabled).toBe(false)
    for (const finalState of ['idle', 'finished'] as const) {
      const menu = buildTrayMenu(state({}, { state: finalState, total: 7, done: 7 }), en)
      expect(item(menu, 'pause')).toBeUndefined()
      expect(labels(menu)).toHaveLength(7)
    }
  })

  it('speaks Chinese with the Chinese dictionary', () => {
    const menu = buildTrayMenu(
      state({ account: { loggedIn: false, identity: 'device', phone: null, credit: 5, creditCheckedAt: 1 } }, { state: 'running', total: 9, done: 4 }),
      zh,
    )
    expect(labels(menu)).toEqual(['点数：5（本设备）', '刷新点数', '---', '处理中：4 / 9', '暂停', '---', '打开 Koutu', '打开日志文件夹', '---', '退出 Koutu'])
  })

  it('puts the batch progress in the tooltip', () => {
    expect(buildTrayTooltip(state(), en)).toBe('Koutu')
    expect(buildTrayTooltip(state({}, { state: 'running', total: 4, done: 1 }), en)).toBe('Koutu: Working: 1 of 4')
  })

  it('offers "Restart to update" once an update is downloaded, disabled while a batch holds the queue', () => {
    expect(item(buildTrayMenu(state(), en), 'restart-to-update')).toBeUndefined()
    const idle = buildTrayMenu(state({ updateReady: '0.2.0' }), en)
    expect(item(idle, 'restart-to-update')).toEqual({ type: 'normal', id: 'restart-to-update', label: 'Restart to update to 0.2.0', enabled: true })
    expect(labels(idle).indexOf('Restart to update to 0.2.0')).toBeLessThan(labels(idle).indexOf('Open Koutu'))
    for (const batchState of ['scanning', 'running', 'paused', 'cancelling'] as const) {
      expect(item(buildTrayMenu(state({ updateReady: '0.2.0' }, { state: batchState, total: 3 }), en), 'restart-to-update')?.enabled, batchState).toBe(false)
    }
    expect(item(buildTrayMenu(state({ updateReady: '0.2.0' }, { state: 'finished', total: 3, done: 3 }), zh), 'restart-to-update')).toMatchObject({ label: '重启以更新到 0.2.0', enabled: true })
  })

  it('tells identical menus from changed ones', () => {
    const a = buildTrayMenu(state({}, { state: 'running', total: 4, done: 1 }), en)
    expect(sameMenu(a, buildTrayMenu(state({}, { state: 'running', total: 4, done: 1 }), en))).toBe(true)
    expect(sameMenu(a, buildTrayMenu(state({}, { state: 'running', total: 4, done: 2 }), en))).toBe(false)
  })
})

describe('isCreditUnavailable', () => {
  it('is false without a failure, true when the number predates the failure, false once a newer number arrives', () => {
    expect(isCreditUnavailable({ creditCheckedAt: 1_000 }, null)).toBe(false)
    expect(isCreditUnavailable({ creditCheckedAt: null }, 2_000)).toBe(true)
    expect(isCreditUnavailable({ creditCheckedAt: 1_000 }, 2_000)).toBe(true)
    expect(isCreditUnavailable({ creditCheckedAt: 3_000 }, 2_000)).toBe(false)
  })
})
