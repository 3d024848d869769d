/**
 * Noticing that a batch ended (from the stream of progress events) and the words of the
 * notification that says so, with its counts. Also remembers which engine the batch ran on, so
 * the caller refreshes the credit after a remote batch.
 */
import type { BatchProgress } from '../../shared/batch'
import type { EngineKind } from '../../shared/settings'
import { isBatchActive } from './tray-menu'
import type { Notice, Translate } from './translate'

export interface BatchEnd {
  /** 'stopped' when the user cancelled it; 'finished' when it ran out of files. */
  outcome: 'finished' | 'stopped'
  engine: EngineKind
  counts: { total: number; done: number; skipped: number; failed: number; unknown: number }
}

type ProgressView = Pick<BatchProgress, 'state' | 'total' | 'done' | 'skipped' | 'failed' | 'unknown'>

export class BatchEndWatch {
  #active = false
  #cancelling = false
  #engine: EngineKind = 'local'

  /**
   * Call with every progress event and the engine in use; returns the end once, on the event
   * where an active batch becomes finished or idle.
   */
  observe(progress: ProgressView, engine: EngineKind): BatchEnd | null {
    if (isBatchActive(progress.state)) {
      if (!this.#active) this.#engine = engine
      this.#active = true
      if (progress.state === 'cancelling') this.#cancelling = true
      return null
    }
    if (!this.#active) return null
    const end: BatchEnd = {
      outcome: this.#cancelling ? 'stopped' : 'finished',
      engine: this.#engine,
      counts: {
        total: progress.total,
        done: progress.done,
        skipped: progress.skipped,
        failed: progress.failed,
        unknown: progress.unknown,
      },
    }
    this.#active = false
    this.#cancelling = false
    return end
  }
}

/** "Batch finished" / "38 done, 2 failed". Zero counts other than done are left out. */
export function batchEndNotice(end: BatchEnd, t: Translate): Notice {
  const { counts } = end
  const parts = [t('notifications.countDone', { count: counts.done })]
  if (counts.failed > 0) parts.push(t('notifications.countFailed', { count: counts.failed }))
  if (counts.unknown > 0) parts.push(t('notifications.countUnknown', { count: counts.unknown }))
  if (counts.skipped > 0) parts.push(t('notifications.countSkipped', { count: counts.skipped }))
  return {
    title: t(end.outcome === 'stopped' ? 'notifications.batchStoppedTitle' : 'notifications.batchFinishedTitle'),
    body: parts.join(t('notifications.countSeparator')),
  }
}
