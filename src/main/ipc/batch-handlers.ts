/**
 * Bridge handlers for the queue and the batch: adding what the user dropped or picked, batch
 * control, the cost question, reports and the interrupted batch. The only handler that takes
 * paths from the renderer is `addPaths` (what the user dropped, to be read, never written);
 * everything else addresses files by queue item id.
 */
import path from 'node:path'
import { z } from 'zod'
import type { BatchService } from '../batch'
import type { DesktopShell } from '../desktop-shell'
import type { HandlerSlice } from './handler-types'
import type { QueueSession } from './queue-session'

export interface QueueServices {
  batch: BatchService
  queue: QueueSession
  desktop: DesktopShell
}

/** Most paths one drop may carry (folders count once; their files are found in main). */
export const MAX_DROPPED_PATHS = 10_000
/** Item ids are dense from 1; this bounds them far above any real queue. */
export const MAX_ITEM_ID = 10_000_000
export const MAX_REPORTS = 100

const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((value) => path.isAbsolute(value) && !value.includes('\0'), 'an absolute path')

export const itemIdSchema = z.number().int().min(1).max(MAX_ITEM_ID)

type QueueMethods =
  | 'addPaths'
  | 'chooseAndAdd'
  | 'getQueue'
  | 'getProgress'
  | 'startBatch'
  | 'pauseBatch'
  | 'resumeBatch'
  | 'cancelBatch'
  | 'retryFailed'
  | 'clearQueue'
  | 'answerCostPrompt'
  | 'showInFolder'
  | 'getInterruptedBatch'
  | 'resumeInterrupted'
  | 'dismissInterrupted'
  | 'getReports'
  | 'getHaltReason'

export function createBatchHandlers(services: QueueServices): HandlerSlice<QueueMethods> {
  const { queue, batch, desktop } = services
  return {
    addPaths: {
      args: z.tuple([z.array(absolutePath).min(1).max(MAX_DROPPED_PATHS)]),
      run: (paths) => queue.addPaths(paths),
    },
    chooseAndAdd: {
      args: z.tuple([z.enum(['folders', 'files'])]),
      run: async (kind) => {
        const chosen =
          kind === 'folders'
            ? await desktop.chooseFolders({ multiple: true, titleKey: 'addFolders' })
            : await desktop.chooseFiles({ multiple: true, filter: 'images' })
        if (chosen.length === 0) return { accepted: 0 }
        return queue.addPaths(chosen)
      },
    },
    getQueue: { args: z.tuple([]), run: () => queue.items() },
    getProgress: { args: z.tuple([]), run: () => queue.progress() },
    startBatch: { args: z.tuple([]), run: () => queue.start() },
    pauseBatch: { args: z.tuple([]), run: () => queue.pause() },
    resumeBatch: { args: z.tuple([]), run: () => queue.resume() },
    cancelBatch: { args: z.tuple([]), run: () => queue.cancel() },
    retryFailed: { args: z.tuple([]), run: () => queue.retryFailed() },
    clearQueue: { args: z.tuple([]), run: () => queue.clear() },
    answerCostPrompt: {
      args: z.tuple([z.number().int().min(1).max(Number.MAX_SAFE_INTEGER), z.boolean()]),
      run: (promptId, accepted) => queue.answerCostPrompt(promptId, accepted),
    },
    showInFolder: {
      args: z.tuple([itemIdSchema]),
      run: (itemId) => {
        const item = queue.item(itemId)
        if (item === null) return
        const shown = item.status === 'done' && item.outputPath !== undefined ? item.outputPath : item.inputPath
        desktop.showItemInFolder(shown)
      },
    },
    getInterruptedBatch: { args: z.tuple([]), run: () => batch.interruptedBatch() },
    resumeInterrupted: { args: z.tuple([]), run: () => queue.resumeInterrupted() },
    dismissInterrupted: { args: z.tuple([]), run: () => queue.dismissInterrupted() },
    getHaltReason: { args: z.tuple([]), run: () => queue.haltReason() },
    getReports: {
      args: z.tuple([z.number().int().min(1).max(MAX_REPORTS)]),
      run: (limit) => batch.reports(limit),
    },
  }
}
