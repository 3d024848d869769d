/**
 * App updates as the renderer and the tray see them: the user's choice (`updateMode` in the
 * settings) and the updater's current state. Produced by src/main/updates/update-controller.ts.
 */

/** auto: download in the background, install when the app quits; ask: download only when the user says; never: no checks. */
export const UPDATE_MODES = ['auto', 'ask', 'never'] as const
export type UpdateMode = (typeof UPDATE_MODES)[number]

export type UpdatePhase =
  /** Not checked yet (or checks are off). */
  | 'idle'
  | 'checking'
  | 'up-to-date'
  /** A newer version exists and is not downloaded (mode 'ask', or it cannot be installed here). */
  | 'available'
  | 'downloading'
  /** Downloaded and verified: "Restart to update". */
  | 'ready'
  | 'error'

/**
 * Why this copy of Koutu cannot update itself, if it cannot: not an installed build
 * (development, `--dir` builds), or a Linux package the system's package manager owns (deb).
 * 'package-manager' still checks and tells about new versions, with a link to the releases.
 */
export type UpdateLimit = 'not-packaged' | 'package-manager' | null

export interface UpdateStatus {
  phase: UpdatePhase
  mode: UpdateMode
  /** The channel checked: 'latest', or the prerelease tag of a beta build ('beta'). */
  channel: string
  currentVersion: string
  /** The newer version found, once one is. */
  availableVersion: string | null
  /** 0–100 while downloading. */
  downloadPercent: number | null
  /** When the last check finished (ms since epoch), successful or not. */
  lastCheckAt: number | null
  /** The last failure's message, while phase is 'error'. */
  error: string | null
  limit: UpdateLimit
  /** A batch is running: restarting is refused until it ends. */
  batchActive: boolean
  /** Where releases are published, for "download it yourself" (package-manager installs). */
  releasesUrl: string
}
