/**
 * The taskbar (Windows), dock (macOS) or launcher (Linux, Unity) progress for a batch, as the
 * value and mode that `BrowserWindow.setProgressBar` takes. Modes other than 'normal' and
 * 'none' only show on Windows; elsewhere the value alone still tells the story.
 */
import type { BatchProgress } from '../../shared/batch'
import { processedCount } from './tray-menu'

export type TaskbarMode = 'none' | 'normal' | 'indeterminate' | 'error' | 'paused'

export interface TaskbarProgress {
  /** 0..1; negative removes the bar; above 1 is Electron's indeterminate. */
  value: number
  mode: TaskbarMode
}

export const NO_TASKBAR_PROGRESS: TaskbarProgress = { value: -1, mode: 'none' }

export function taskbarProgress(batch: Pick<BatchProgress, 'state' | 'total' | 'done' | 'skipped' | 'failed' | 'unknown'>): TaskbarProgress {
  if (batch.state === 'idle' || batch.state === 'finished') return NO_TASKBAR_PROGRESS
  // Scanning has no total yet, and an empty batch none at all: show activity, not a fraction.
  if (batch.state === 'scanning' || batch.total <= 0) return { value: 2, mode: 'indeterminate' }
  const value = Math.min(1, Math.max(0, processedCount(batch) / batch.total))
  if (batch.state === 'paused') return { value, mode: 'paused' }
  // Windows paints the bar red from the first failure, so the user sees trouble from afar.
  if (batch.failed + batch.unknown > 0) return { value, mode: 'error' }
  return { value, mode: 'normal' }
}

/** True when two progress states draw the same bar (the glue skips redundant calls). */
export function sameTaskbarProgress(a: TaskbarProgress, b: TaskbarProgress): boolean {
  return a.mode === b.mode && Math.abs(a.value - b.value) < 0.001
}
