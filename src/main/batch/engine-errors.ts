/**
 * How the batch engine classifies an engine's rejection: a crash (retry on a fresh engine), an
 * outcome that cannot be known (a remote credit may be spent), or a halt of the whole batch.
 * See the notes in batch-service.ts.
 */
import { KoutuError } from '../../shared/errors'

/** Codes that mean the engine's process died or was closed under a file (retried on a fresh engine). */
const ENGINE_CRASH_CODES: ReadonlySet<string> = new Set(['engine.crashed', 'engine.closed'])

export function isEngineCrash(error: unknown): boolean {
  return error instanceof KoutuError && (ENGINE_CRASH_CODES.has(error.code) || /^engine\..*crash/.test(error.code))
}

/** See [Note: engine halts]. */
export function haltsBatch(error: unknown): boolean {
  return error instanceof KoutuError && error.detail.haltsBatch === true
}

/** See [Note: outcome unknown]. */
export function isOutcomeUnknown(error: unknown): boolean {
  return error instanceof KoutuError && (error.code === 'aipic.outcome-unknown' || error.detail.outcomeUnknown === true)
}

/**
 * A failure after the engine spent something on the file (a remote credit): it is recorded
 * even when the batch was cancelled meanwhile, never requeued, so the file is not paid twice.
 */
export function wasCharged(error: unknown): boolean {
  return isOutcomeUnknown(error) || (error instanceof KoutuError && error.detail.charged === true)
}
