/**
 * The bridge handler for thumbnails. The renderer names a queue item and which picture of it
 * (the original, or the output once it exists); main resolves that to a path, so only files
 * the user added and their outputs can ever be shown.
 */
import { z } from 'zod'
import type { BatchItem } from '../../shared/batch'
import type { ThumbnailKind } from '../../shared/bridge'
import { MAX_THUMBNAIL_EDGE, MIN_THUMBNAIL_EDGE, type ThumbnailService } from '../thumbnails/thumbnail-service'
import { itemIdSchema } from './batch-handlers'
import type { HandlerSlice } from './handler-types'
import type { QueueSession } from './queue-session'

export interface ThumbnailServices {
  queue: QueueSession
  thumbnails: ThumbnailService
}

/** The file behind an item's picture: the output only once it was written (or found existing). */
export function pictureOf(item: BatchItem, kind: ThumbnailKind): string | null {
  if (kind === 'original') return item.inputPath
  const hasOutput = item.status === 'done' || (item.status === 'skipped' && item.error?.code === 'batch.output-exists')
  return hasOutput && item.outputPath !== undefined ? item.outputPath : null
}

export function createThumbnailHandlers(services: ThumbnailServices): HandlerSlice<'getThumbnail'> {
  return {
    getThumbnail: {
      args: z.tuple([itemIdSchema, z.enum(['original', 'output']), z.number().int().min(MIN_THUMBNAIL_EDGE).max(MAX_THUMBNAIL_EDGE)]),
      run: async (itemId, kind, maxEdge) => {
        const item = services.queue.item(itemId)
        const file = item === null ? null : pictureOf(item, kind)
        return file === null ? null : services.thumbnails.get(file, maxEdge)
      },
    },
  }
}
