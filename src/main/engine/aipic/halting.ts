/**
 * Which remote failures stop the whole batch rather than fail one file, and how they are marked
 * for the batch engine (`detail.haltsBatch`, see [Note: engine halts] in src/main/batch).
 *
 * A failure halts when every following file would meet it too and the user can fix it: out of
 * credit (top up), an expired or ended session (log in), no upload host reachable or allowed
 * (network, consent, settings), the aipic service unreachable before anything was sent. Failing
 * each remaining file with the same error would lose nothing but would bury the cause and make
 * the user retry files one by one; halting keeps them queued and resumable.
 */
import type { ErrorCode } from '../../../shared/error-codes'
import { KoutuError } from '../../../shared/errors'

const ALWAYS_HALTS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'aipic.out-of-credit',
  'aipic.session-expired',
  'aipic.not-logged-in',
  'upload.all-hosts-failed',
  'upload.consent-required',
  'upload.not-configured',
  // A refusal by the host itself (a bucket rejecting the signature, a 4xx): a setup problem.
  'upload.rejected',
])

/** True when `error` should halt the batch (see the module comment). */
export function isBatchLevelFailure(error: unknown): error is KoutuError {
  if (!(error instanceof KoutuError)) return false
  if (ALWAYS_HALTS.has(error.code)) return true
  // The API could not be reached at all: nothing was sent, nothing spent, nothing will work.
  return (error.code === 'aipic.network' || error.code === 'aipic.timeout') && error.detail.sent === false
}

/** The same error, marked so the batch engine halts instead of failing the file. */
export function markHalting(error: KoutuError): KoutuError {
  if (error.detail.haltsBatch === true) return error
  return new KoutuError(error.code, error.message, { detail: { ...error.detail, haltsBatch: true }, cause: error })
}
