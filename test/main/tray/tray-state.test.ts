import { describe, expect, it } from 'vitest'
import { CreditRefreshScheduler } from '../../../src/main/tray/credit-refresh'
import { buildTrayMenu, type TrayState } from '../../../src/main/tray/tray-menu'
import { TrayStateModel } from '../../../src/main/tray/tray-state'
import { translatorFor } from '../../../src/main/tray/translate'
import type { AccountState } from '../../../src/shared/account'
import { silentLogger } from '../../../src/shared/logger'
import { FakeClock } from './fake-timers'

const account = (credit: number | null, creditCheckedAt: number | null): AccountState => ({
  loggedIn: true,
  identity: 'phone',
  phone: '138****5678',
  credit,
  creditCheckedAt,
  codeCooldownEndsAt: null,
  tokenStorage: 'os-encrypted',
  tokenStorageReason: 'encrypted',
  loggedOutReason: null,
})

const progress = (state: TrayState['batch']['state'], done: number) => ({
  state,
  total: 10,
  done,
  skipped: 0,
  failed: 0,
  unknown: 0,
  working: 1,
  queued: 10 - done,
  currentFiles: ['/photos/a.jpg'],
  imagesPerMinute: 12,
  etaSeconds: 30,
})

describe('tray state', () => {
  it('tells listeners only about changes the tray shows', () => {
    const model = new TrayStateModel()
    const seen: TrayState[] = []
    model.onChange((state) => seen.push(state))
    model.setBatch(progress('running', 1))
    // Pace and current files change constantly but are not shown: no new state.
    model.setBatch({ ...progress('running', 1), imagesPerMinute: 30, currentFiles: ['/photos/b.jpg'], etaSeconds: 10 })
    model.setBatch(progress('running', 2))
    model.setAccount(account(12, 1_000))
    model.setAccount({ ...account(12, 1_000), codeCooldownEndsAt: 5_000 })
    expect(seen.map((state) => [state.batch.done, state.account.credit])).toEqual([
      [1, null],
      [2, null],
      [2, 12],
    ])
  })

  it('turns the credit line to "unavailable" when a scheduled refresh fails, and back when one succeeds', async () => {
    const clock = new FakeClock()
    const model = new TrayStateModel()
    const t = translatorFor('en')
    let current = account(12, clock.now)
    let online = true
    model.setAccount(current)
    const scheduler = new CreditRefreshScheduler({
      refresh: async () => {
        if (!online) throw new Error('offline')
        current = account(9, clock.now)
        model.setAccount(current)
      },
      logger: silentLogger,
      timers: clock,
      now: () => clock.now,
      onStatus: (status) => model.setRefreshStatus(status),
    })
    const creditLine = () => (buildTrayMenu(model.state, t)[0] as { label: string }).label

    expect(creditLine()).toBe('Credits: 12 (138****5678)')
    clock.advance(60_000)
    online = false
    await scheduler.refreshNow()
    expect(creditLine()).toBe('Credits: unavailable')
    clock.advance(60_000)
    online = true
    await scheduler.refreshNow()
    expect(creditLine()).toBe('Credits: 9 (138****5678)')
  })
})
