/**
 * The work of one photo, shared by the local queue (BatchService) and the farm worker
 * (src/main/farm): check the original is still there, plan its output, skip it when that output
 * is already done, run the engine, publish the bytes atomically, and report what happened. It
 * owns no scheduling: who runs which photo when, retries and the journal's bookkeeping belong to
 * the caller, which hears about the one moment it must record (just before a publish) through
 * `onCommit`, and learns how to treat a failure from classifyFailure.
 */
import { constants as fsConstants } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { QualityFlag } from '../../shared/batch'
import { KoutuError, isKoutuError } from '../../shared/errors'
import type { CutoutEngine, OutputOptions } from '../engine/types'
import { outputWriteError, writeFileAtomic } from './atomic-write'
import { haltsBatch, isEngineCrash, isOutcomeUnknown, wasCharged } from './engine-errors'
import type { OutputDecision, PlannedInput } from './output-planner'

/** One photo as the unit of work needs it. */
export interface PhotoJob extends PlannedInput {
  /** The caller's id for the photo (the queue item's id); output reservations are held under it. */
  itemId: number
}

/**
 * Decides where a photo's output goes. The local queue passes its OutputPlanner (it numbers
 * names within the batch); the farm passes the output planned when the job was enqueued.
 */
export interface OutputDecider {
  decide(itemId: number, input: PlannedInput): Promise<OutputDecision>
  release(outputPath: string, itemId: number): void
}

export interface PhotoWorkContext {
  decider: OutputDecider
  /** The engine to run; called only when the photo is not skipped. */
  engine: () => Promise<CutoutEngine>
  options: OutputOptions
  signal: AbortSignal
  /**
   * Runs the planning step. The local queue serialises it, so decisions are made one at a time
   * in the order photos start (see OutputPlanner); the farm plans each job on its own.
   */
  plan?: <T>(task: () => Promise<T>) => Promise<T>
  /** Called just before each publish attempt with the path about to appear (the journal's commit record). */
  onCommit?: (outputPath: string) => void
}

export type PhotoOutcome =
  | { status: 'done'; outputPath: string; notes: Record<string, string>; flags?: QualityFlag[] }
  | { status: 'skipped'; outputPath: string; error: KoutuError }

/** How many times a publish may find its name taken by someone else before the photo fails. */
const PUBLISH_ATTEMPTS = 6

/**
 * Processes one photo. Resolves with `done` or `skipped`; rejects with the failure (a
 * KoutuError for every known cause), having released any output name it reserved.
 */
export async function processPhoto(job: PhotoJob, context: PhotoWorkContext): Promise<PhotoOutcome> {
  const plan = context.plan ?? ((task) => task())
  let reservedPath: string | null = null
  try {
    let decision = await plan(() => planOutput(job, context.decider))
    if (decision.action === 'skip') return skipped(decision.outputPath, true)
    reservedPath = decision.outputPath
    const engine = await context.engine()
    // A result that arrives after a cancel is still saved: the work is done (and, for the
    // remote engine, paid for; see [Note: paid work is finished]).
    const result = await engine.process({ inputPath: job.inputPath, options: context.options }, context.signal)
    for (let attempt = 1; ; attempt += 1) {
      context.onCommit?.(decision.outputPath)
      if (await writeFileAtomic(decision.outputPath, result.data, { replace: decision.replace })) break
      // Someone else created the file between our check and our publish: decide again.
      context.decider.release(decision.outputPath, job.itemId)
      reservedPath = null
      if (attempt >= PUBLISH_ATTEMPTS) throw outputWriteError(new Error('the output name kept being taken'), decision.outputPath)
      decision = await decide(job, context.decider)
      if (decision.action === 'skip') return skipped(decision.outputPath, false)
      reservedPath = decision.outputPath
    }
    return { status: 'done', outputPath: decision.outputPath, notes: result.notes, ...(result.flags ? { flags: result.flags } : {}) }
  } catch (error) {
    if (reservedPath !== null) context.decider.release(reservedPath, job.itemId)
    throw error
  }
}

function skipped(outputPath: string, withDetail: boolean): PhotoOutcome {
  const message = `${outputPath} already exists; skipped.`
  return {
    status: 'skipped',
    outputPath,
    error: withDetail ? new KoutuError('batch.output-exists', message, { detail: { outputPath } }) : new KoutuError('batch.output-exists', message),
  }
}

/** Checks the original is still there and decides its output, refusing an unwritable folder before the engine spends time (or a credit). */
async function planOutput(job: PhotoJob, decider: OutputDecider): Promise<OutputDecision> {
  await fs.stat(job.inputPath).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new KoutuError('batch.input-vanished', `${job.inputPath} no longer exists.`, { detail: { path: job.inputPath } })
    }
    throw new KoutuError('batch.input-unreadable', `${job.inputPath} cannot be read (${code ?? String(error)}).`, {
      detail: { path: job.inputPath },
    })
  })
  const decision = await decide(job, decider)
  if (decision.action === 'write') {
    try {
      await fs.access(path.dirname(decision.outputPath), fsConstants.W_OK)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        decider.release(decision.outputPath, job.itemId)
        throw outputWriteError(error, decision.outputPath)
      }
    }
  }
  return decision
}

async function decide(job: PhotoJob, decider: OutputDecider): Promise<OutputDecision> {
  try {
    return await decider.decide(job.itemId, job)
  } catch (error) {
    if (error instanceof KoutuError) throw error
    throw outputWriteError(error, job.inputPath)
  }
}

/**
 * What a caller should do with a photo that failed:
 * - `requeue`: it was cancelled or shut down and simply was not done;
 * - `halt`: the error concerns the whole batch ([Note: engine halts]); the photo goes back;
 * - `retry-on-fresh-engine`: the engine crashed under it for the first time ([Note: engine crashes]);
 * - `failed` / `unknown`: a final outcome (unknown: a remote credit may have been spent,
 *   [Note: outcome unknown]). `engineCrashed` says the engine must be restarted anyway.
 */
export type FailureAction =
  | { action: 'requeue' }
  | { action: 'halt' }
  | { action: 'retry-on-fresh-engine' }
  | { action: 'failed' | 'unknown'; engineCrashed: boolean }

export function classifyFailure(error: unknown, context: { aborted: boolean; attempts: number }): FailureAction {
  if (isKoutuError(error, 'job.aborted') || (context.aborted && !wasCharged(error))) return { action: 'requeue' }
  if (haltsBatch(error)) return { action: 'halt' }
  const crashed = isEngineCrash(error)
  if (crashed && context.attempts < 2) return { action: 'retry-on-fresh-engine' }
  return { action: isOutcomeUnknown(error) ? 'unknown' : 'failed', engineCrashed: crashed }
}
