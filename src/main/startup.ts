/**
 * What the app does while it starts, as plain decisions the glue (index.ts) applies: windows
 * asked for before the services and the bridge's handlers exist wait for them, and a start
 * that fails ends with a message that says where the log is, not with nothing on screen.
 */
import type { Translate } from './tray/translate'

/**
 * Holds requests to show the main window until `open()` (the services are up and every bridge
 * method has its handler). A second launch, a Dock click (`activate`) or a file handed over by
 * macOS can all ask for the window while `createAppServices` still runs; a page loaded then
 * would call methods that have no handler yet and show only errors.
 */
export class WindowGate {
  private opened = false
  private wanted = false

  constructor(private readonly showWindow: () => void) {}

  /** Shows the window now if the app is ready, else once it is. */
  request(): void {
    if (this.opened) this.showWindow()
    else this.wanted = true
  }

  /** The app is ready: shows the window (asked for or not, the app starts with one). */
  open(): void {
    if (this.opened) return
    this.opened = true
    this.wanted = false
    this.showWindow()
  }

  /** True while a request waits for `open()`. */
  get waiting(): boolean {
    return this.wanted
  }
}

/** The error box shown when the app cannot start, before it exits. */
export function startupFailureMessage(t: Translate, error: unknown, logFile: string): { title: string; body: string } {
  const reason = error instanceof Error ? error.message : String(error)
  return { title: t('app.startFailedTitle'), body: t('app.startFailedBody', { error: reason, logFile }) }
}
