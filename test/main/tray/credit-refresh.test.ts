import { describe, expect, it } from 'vitest'
import { CreditRefreshScheduler, type CreditRefreshStatus } from '../../../src/main/tray/credit-refresh'
import { silentLogger } from '../../../src/shared/logger'
import { FakeClock, settle } from './fake-timers'

const MINUTE = 60_000

function setup(outcomes: Array<'ok' | 'fail'> = []) {
  const clock = new FakeClock()
  const calls: number[] = []
  const statuses: CreditRefreshStatus[] = []
  let release: (() => void) | null = null
  let hold = false
  const scheduler = new CreditRefreshScheduler({
    refresh: async () => {
      calls.push(clock.now)
      if (hold) await new Promise<void>((resolve) => (release = resolve))
      if ((outcomes.shift() ?? 'ok') === 'fail') throw new Error('network down')
    },
    logger: silentLogger,
    timers: clock,
    now: () => clock.now,
    onStatus: (status) => statuses.push(status),
  })
  return {
    clock,
    calls,
    statuses,
    scheduler,
    holdNext: () => (hold = true),
    release: () => {
      hold = false
      release?.()
    },
  }
}

describe('credit refresh schedule', () => {
  it('refreshes when aipic comes into use, then every 10 minutes, and stops when it goes out of use', async () => {
    const { clock, calls, scheduler } = setup()
    scheduler.setAipicInUse(true)
    await settle()
    expect(calls).toHaveLength(1)
    clock.advance(9 * MINUTE)
    await settle()
    expect(calls).toHaveLength(1)
    clock.advance(1 * MINUTE)
    await settle()
    expect(calls).toHaveLength(2)
    clock.advance(10 * MINUTE)
    await settle()
    expect(calls).toHaveLength(3)
    expect(calls[2]! - calls[1]!).toBe(10 * MINUTE)

    scheduler.setAipicInUse(false)
    expect(clock.pendingCount).toBe(0)
    clock.advance(60 * MINUTE)
    await settle()
    expect(calls).toHaveLength(3)
  })

  it('never refreshes on its own or on menu open while aipic is unused', async () => {
    const { clock, calls, scheduler } = setup()
    scheduler.menuOpened()
    clock.advance(30 * MINUTE)
    await settle()
    expect(calls).toHaveLength(0)
    await scheduler.refreshNow()
    expect(calls).toHaveLength(1)
    expect(clock.pendingCount).toBe(0)
  })

  it('refreshes on menu open, but not again within 30 seconds of the last attempt', async () => {
    const { clock, calls, scheduler } = setup()
    scheduler.setAipicInUse(true)
    await settle()
    scheduler.menuOpened()
    await settle()
    expect(calls).toHaveLength(1)
    clock.advance(31_000)
    scheduler.menuOpened()
    await settle()
    expect(calls).toHaveLength(2)
  })

  it('restarts the 10-minute period after a refresh caused by a remote batch', async () => {
    const { clock, calls, scheduler } = setup()
    scheduler.setAipicInUse(true)
    await settle()
    clock.advance(6 * MINUTE)
    scheduler.remoteBatchEnded()
    await settle()
    expect(calls).toHaveLength(2)
    clock.advance(6 * MINUTE)
    await settle()
    expect(calls).toHaveLength(2)
    clock.advance(4 * MINUTE)
    await settle()
    expect(calls).toHaveLength(3)
    expect(clock.pendingCount).toBe(1)
  })

  it('joins an attempt already under way instead of starting another', async () => {
    const { calls, scheduler, holdNext, release } = setup()
    holdNext()
    const first = scheduler.refreshNow()
    const second = scheduler.refreshNow()
    scheduler.remoteBatchEnded()
    expect(scheduler.status.refreshing).toBe(true)
    release()
    await Promise.all([first, second])
    expect(calls).toHaveLength(1)
    expect(scheduler.status.refreshing).toBe(false)
  })

  it('records a failure (without rejecting) and clears it on the next success', async () => {
    const { clock, scheduler, statuses } = setup(['fail', 'ok'])
    await expect(scheduler.refreshNow()).resolves.toBeUndefined()
    expect(scheduler.status).toEqual({ refreshing: false, lastFailureAt: clock.now, lastAttemptAt: clock.now })
    clock.advance(5_000)
    await scheduler.refreshNow()
    expect(scheduler.status.lastFailureAt).toBeNull()
    expect(scheduler.status.lastAttemptAt).toBe(clock.now)
    expect(statuses.map((status) => status.refreshing)).toEqual([true, false, true, false])
  })

  it('does nothing after stop', async () => {
    const { clock, calls, scheduler } = setup()
    scheduler.setAipicInUse(true)
    await settle()
    scheduler.stop()
    expect(clock.pendingCount).toBe(0)
    await scheduler.refreshNow()
    scheduler.remoteBatchEnded()
    clock.advance(20 * MINUTE)
    await settle()
    expect(calls).toHaveLength(1)
  })
})
