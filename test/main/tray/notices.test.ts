import { describe, expect, it } from 'vitest'
import { BatchEndWatch, batchEndNotice } from '../../../src/main/tray/batch-end'
import { LowCreditWatch, lowCreditNotice, type LowCreditAccount } from '../../../src/main/tray/low-credit'
import { translatorFor } from '../../../src/main/tray/translate'
import type { BatchState } from '../../../src/shared/batch'

const en = translatorFor('en')
const zh = translatorFor('zh-CN')

const phone = (credit: number | null, number = '138****5678'): LowCreditAccount => ({ loggedIn: true, identity: 'phone', phone: number, credit })
const device = (credit: number | null): LowCreditAccount => ({ loggedIn: false, identity: 'device', phone: null, credit })

describe('low-credit notification', () => {
  it('warns once when the credit falls below the threshold, and again only after a top-up', () => {
    const watch = new LowCreditWatch()
    expect([10, 6, 5].map((credit) => watch.observe(phone(credit), 5))).toEqual([false, false, false])
    expect(watch.observe(phone(4), 5)).toBe(true)
    expect(watch.observe(phone(3), 5)).toBe(false)
    expect(watch.observe(phone(null), 5)).toBe(false)
    expect(watch.observe(phone(2), 5)).toBe(false)
    expect(watch.observe(phone(50), 5)).toBe(false)
    expect(watch.observe(phone(1), 5)).toBe(true)
  })

  it('warns again for another identity, and never with threshold 0 or an unknown credit', () => {
    const watch = new LowCreditWatch()
    expect(watch.observe(phone(1), 5)).toBe(true)
    expect(watch.observe(device(1), 5)).toBe(true)
    expect(watch.observe(phone(1, '139****0000'), 5)).toBe(true)
    const off = new LowCreditWatch()
    expect(off.observe(device(0), 0)).toBe(false)
    expect(off.observe(device(null), 5)).toBe(false)
  })

  it('names whose credit is low', () => {
    expect(lowCreditNotice(phone(3), en)).toEqual({ title: 'Credits running low', body: 'Credits left for 138****5678: 3.' })
    expect(lowCreditNotice(device(0), zh)).toEqual({ title: '点数不足', body: '本设备剩余点数：0。' })
  })
})

function progress(state: BatchState, counts: Partial<{ total: number; done: number; skipped: number; failed: number; unknown: number }> = {}) {
  return { state, total: 0, done: 0, skipped: 0, failed: 0, unknown: 0, ...counts }
}

describe('batch end', () => {
  it('reports the end of a batch once, with its counts and the engine it started on', () => {
    const watch = new BatchEndWatch()
    expect(watch.observe(progress('idle'), 'local')).toBeNull()
    expect(watch.observe(progress('scanning', { total: 3 }), 'aipic')).toBeNull()
    expect(watch.observe(progress('running', { total: 40, done: 5 }), 'local')).toBeNull()
    expect(watch.observe(progress('paused', { total: 40, done: 9 }), 'local')).toBeNull()
    const end = watch.observe(progress('finished', { total: 40, done: 36, failed: 2, skipped: 1, unknown: 1 }), 'local')
    expect(end).toEqual({ outcome: 'finished', engine: 'aipic', counts: { total: 40, done: 36, skipped: 1, failed: 2, unknown: 1 } })
    expect(watch.observe(progress('finished', { total: 40, done: 36 }), 'local')).toBeNull()
    expect(watch.observe(progress('idle'), 'local')).toBeNull()
  })

  it('calls a cancelled batch stopped, even when it ends as idle', () => {
    const watch = new BatchEndWatch()
    watch.observe(progress('running', { total: 10, done: 1 }), 'local')
    watch.observe(progress('cancelling', { total: 10, done: 2 }), 'local')
    expect(watch.observe(progress('idle', { total: 10, done: 2 }), 'local')).toMatchObject({ outcome: 'stopped', engine: 'local' })
    watch.observe(progress('running', { total: 5 }), 'local')
    expect(watch.observe(progress('finished', { total: 5, done: 5 }), 'local')?.outcome).toBe('finished')
  })

  it('words the notification with the counts that matter', () => {
    const counts = { total: 40, done: 36, skipped: 1, failed: 2, unknown: 1 }
    expect(batchEndNotice({ outcome: 'finished', engine: 'local', counts }, en)).toEqual({
      title: 'Batch finished',
      body: '36 done, 2 failed, 1 with unknown outcome, 1 skipped',
    })
    expect(batchEndNotice({ outcome: 'stopped', engine: 'local', counts: { ...counts, done: 3, skipped: 0, failed: 0, unknown: 0 } }, en)).toEqual({
      title: 'Batch stopped',
      body: '3 done',
    })
    expect(batchEndNotice({ outcome: 'finished', engine: 'aipic', counts: { ...counts, unknown: 0, skipped: 0 } }, zh)).toEqual({
      title: '批量处理完成',
      body: '完成 36 张，失败 2 张',
    })
  })
})
