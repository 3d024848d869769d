/**
 * The bridge's update methods, over the UpdateController (src/main/updates/update-controller.ts).
 * The renderer can ask for a check, a download or the restart; whether the restart may happen
 * (no batch running) is decided by the controller, not the page.
 */
import { z } from 'zod'
import type { UpdateStatus } from '../../shared/updates'
import type { HandlerSlice } from './handler-types'

/** The controller's part the bridge uses (UpdateController satisfies it). */
export interface UpdateControls {
  readonly status: UpdateStatus
  check(): Promise<UpdateStatus>
  download(): Promise<UpdateStatus>
  restartToUpdate(): void
}

export interface UpdateServices {
  updates: UpdateControls
}

export function createUpdateHandlers(services: UpdateServices): HandlerSlice<'getUpdateStatus' | 'checkForUpdates' | 'downloadUpdate' | 'restartToUpdate'> {
  const { updates } = services
  return {
    getUpdateStatus: { args: z.tuple([]), run: () => updates.status },
    checkForUpdates: { args: z.tuple([]), run: () => updates.check() },
    downloadUpdate: { args: z.tuple([]), run: () => updates.download() },
    restartToUpdate: { args: z.tuple([]), run: () => updates.restartToUpdate() },
  }
}
