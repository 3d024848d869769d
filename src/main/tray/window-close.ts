/**
 * What closing the main window does. While a batch holds the queue the window hides and the app
 * stays in the tray (said once per run, in a notification), or, where no tray icon can be
 * relied on to bring it back, it is minimised instead; otherwise the platform's usual behaviour
 * applies (the app quits on Windows and Linux, stays in the dock on macOS).
 */
import type { BatchState } from '../../shared/batch'
import { isBatchActive } from './tray-menu'

export interface WindowCloseInput {
  batchState: BatchState
  /**
   * The user asked to quit (tray "Quit", Cmd+Q) or the system is ending the session (Windows
   * logoff or shutdown, which emits no before-quit): never hold the window then.
   */
  quitting: boolean
  /** A tray icon is known to be shown; without one a hidden window could not be brought back. */
  trayAvailable: boolean
  /** The "still working" notice was already shown during this run. */
  toldBefore: boolean
}

export interface WindowCloseDecision {
  /**
   * 'hide': prevent the close and hide the window (the tray brings it back); 'minimize':
   * prevent the close and minimise it (the taskbar or dock brings it back); 'default': let the
   * platform close it.
   */
  action: 'hide' | 'minimize' | 'default'
  /** Show the "still working" notice now. */
  tell: boolean
}

export function decideWindowClose(input: WindowCloseInput): WindowCloseDecision {
  if (input.quitting || !isBatchActive(input.batchState)) return { action: 'default', tell: false }
  return { action: input.trayAvailable ? 'hide' : 'minimize', tell: !input.toldBefore }
}

/**
 * Whether a tray icon can be counted on to bring a hidden window back. Windows and macOS always
 * show one. On Linux it depends on the desktop (GNOME shows none without the AppIndicator
 * extension) and Electron cannot tell whether anything displays it, so Koutu never hides its
 * window there: it minimises it, and the window stays in the taskbar or dock.
 */
export function trayCanBringWindowBack(platform: NodeJS.Platform): boolean {
  return platform !== 'linux'
}
