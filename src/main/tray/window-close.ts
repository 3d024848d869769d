/**
 * What closing the main window does. While a batch holds the queue the window hides and the app
 * stays in the tray (said once per run, in a notification); otherwise the platform's usual
 * behaviour applies (the app quits on Windows and Linux, stays in the dock on macOS).
 */
import type { BatchState } from '../../shared/batch'
import { isBatchActive } from './tray-menu'

export interface WindowCloseInput {
  batchState: BatchState
  /** The user asked to quit (tray "Quit", Cmd+Q, system shutdown): never hold the window then. */
  quitting: boolean
  /** A tray icon exists; without one a hidden window could not be brought back. */
  trayAvailable: boolean
  /** The "still working in the tray" notice was already shown during this run. */
  toldBefore: boolean
}

export interface WindowCloseDecision {
  /** 'hide': prevent the close and hide the window; 'default': let the platform close it. */
  action: 'hide' | 'default'
  /** Show the "still working in the tray" notice now. */
  tell: boolean
}

export function decideWindowClose(input: WindowCloseInput): WindowCloseDecision {
  if (input.quitting || !input.trayAvailable || !isBatchActive(input.batchState)) return { action: 'default', tell: false }
  return { action: 'hide', tell: !input.toldBefore }
}
