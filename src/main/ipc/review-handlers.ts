/**
 * Bridge handlers for the review grid: the touch-up editor (open a cutout, save strokes) and
 * redoing marked cutouts with another engine. Items are addressed by queue id only; strokes are
 * numbers in bounded arrays, rendered in main (the renderer never hands over pixels or paths).
 */
import { z } from 'zod'
import { ENGINE_KINDS, LOCAL_MODEL_IDS } from '../../shared/settings'
import { MAX_BRUSH_SIZE, MAX_STROKE_POINTS, MAX_STROKES, TOUCHUP_MODES } from '../../shared/touchup'
import type { RedoService } from '../review/redo-service'
import type { TouchUpService } from '../review/touchup-service'
import { itemIdSchema } from './batch-handlers'
import type { HandlerSlice } from './handler-types'

export interface ReviewServices {
  touchUp: TouchUpService
  redo: RedoService
}

/** Most items one redo may name (a whole 10,000-file batch marked). */
export const MAX_REDO_ITEMS = 100_000
/** Photo coordinates stay within this (a stroke may start a little outside the frame). */
const MAX_COORDINATE = 200_000

const strokeSchema = z.object({
  mode: z.enum(TOUCHUP_MODES),
  size: z.number().min(1).max(MAX_BRUSH_SIZE),
  softness: z.number().min(0).max(1),
  edgeAware: z.boolean(),
  points: z
    .array(z.number().min(-MAX_COORDINATE).max(MAX_COORDINATE))
    .min(2)
    .max(MAX_STROKE_POINTS * 2)
    .refine((points) => points.length % 2 === 0, 'x, y pairs'),
}).strict()

const itemIdsSchema = z.array(itemIdSchema).min(1).max(MAX_REDO_ITEMS)
const engineChoice = { engine: z.enum(ENGINE_KINDS), localModel: z.enum(LOCAL_MODEL_IDS).optional() }

type ReviewMethods = 'openTouchUp' | 'saveTouchUp' | 'estimateRedo' | 'redoItems'

export function createReviewHandlers(services: ReviewServices): HandlerSlice<ReviewMethods> {
  return {
    openTouchUp: { args: z.tuple([itemIdSchema]), run: (itemId) => services.touchUp.open(itemId) },
    saveTouchUp: {
      args: z.tuple([itemIdSchema, z.array(strokeSchema).max(MAX_STROKES)]),
      run: (itemId, strokes) => services.touchUp.save(itemId, strokes),
    },
    estimateRedo: {
      args: z.tuple([itemIdsSchema, z.object(engineChoice).strict()]),
      run: (itemIds, choice) => services.redo.estimate(itemIds, choice),
    },
    redoItems: {
      args: z.tuple([
        itemIdsSchema,
        z.object({ ...engineChoice, output: z.enum(['replace', 'keep-both']), discardEdits: z.boolean() }).strict(),
      ]),
      run: (itemIds, options) => services.redo.redo(itemIds, options),
    },
  }
}
