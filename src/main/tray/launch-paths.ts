/**
 * Paths handed to Koutu by the desktop: on the command line at start ("Open with", a file
 * manager's drop on the launcher), by a second launch (forwarded by the single-instance lock),
 * and by macOS `open-file` events (a drop on the dock icon). Extracts them from argv and holds
 * them until the queue is ready, delivering each burst (macOS sends one event per file) as one
 * call.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Timers } from './credit-refresh'
import { nodeTimers } from './credit-refresh'

export interface ArgvOptions {
  /** Folder relative paths are resolved against (the launching shell's, for a second instance). */
  cwd: string
  /**
   * Electron runs unpackaged (`electron .`, `process.defaultApp`): then argv[1] is the app's
   * folder, not a user path.
   */
  defaultApp: boolean
  /** Existence check; paths that do not exist are dropped (defaults to the file system). */
  exists?: (candidate: string) => boolean
}

/**
 * The user paths in an Electron argv. Skips the executable (and the app folder when
 * unpackaged) and every switch (Chromium adds its own to a second instance's argv; macOS adds
 * `-psn_…`); everything after `--` is a path. Accepts `file://` URLs (Linux .desktop files pass
 * `%U`). Returns absolute paths that exist, without duplicates, in argv order.
 */
export function pathsFromArgv(argv: readonly string[], options: ArgvOptions): string[] {
  const exists = options.exists ?? ((candidate: string) => fs.existsSync(candidate))
  const args = argv.slice(options.defaultApp ? 2 : 1)
  const found: string[] = []
  let afterDoubleDash = false
  for (const arg of args) {
    if (!afterDoubleDash && arg === '--') {
      afterDoubleDash = true
      continue
    }
    if (!afterDoubleDash && arg.startsWith('-')) continue
    const candidate = toAbsolutePath(arg, options.cwd)
    if (candidate !== null && !found.includes(candidate) && exists(candidate)) found.push(candidate)
  }
  return found
}

function toAbsolutePath(arg: string, cwd: string): string | null {
  if (arg.trim() === '') return null
  if (/^file:\/\//i.test(arg)) {
    try {
      return path.resolve(fileURLToPath(arg))
    } catch {
      return null
    }
  }
  // Other URLs (a browser handing over a link) are not paths.
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(arg)) return null
  return path.resolve(cwd, arg)
}

/**
 * Collects launch paths and delivers them once a receiver is attached. Paths that arrive within
 * `burstMs` of each other are delivered together, so a drop of 50 files on the dock makes one
 * `addPaths` call, not 50.
 */
export class LaunchPathInbox {
  readonly #timers: Timers
  readonly #burstMs: number
  #pending: string[] = []
  #receiver: ((paths: string[]) => void) | null = null
  #timer: unknown = null

  constructor(options: { timers?: Timers; burstMs?: number } = {}) {
    this.#timers = options.timers ?? nodeTimers
    this.#burstMs = options.burstMs ?? 150
  }

  add(paths: readonly string[]): void {
    for (const candidate of paths) if (!this.#pending.includes(candidate)) this.#pending.push(candidate)
    if (this.#pending.length > 0) this.#schedule()
  }

  /** Starts delivering (now, for anything already collected). One receiver; a second replaces it. */
  attach(receiver: (paths: string[]) => void): void {
    this.#receiver = receiver
    if (this.#pending.length > 0) this.#schedule()
  }

  #schedule(): void {
    if (this.#receiver === null) return
    if (this.#timer !== null) this.#timers.clearTimeout(this.#timer)
    this.#timer = this.#timers.setTimeout(() => this.#flush(), this.#burstMs)
  }

  #flush(): void {
    this.#timer = null
    if (this.#receiver === null || this.#pending.length === 0) return
    const paths = this.#pending
    this.#pending = []
    this.#receiver(paths)
  }
}
