/**
 * Every error code in the app, by area. Adding a code here without a translation in the
 * renderer's dictionary is a compile error (the dictionary is typed from `ErrorCode`).
 * See [Note: error codes] in errors.ts.
 */
export const ERROR_CODES = [
  // anything not anticipated; the message carries the detail
  'internal.unexpected',
  // work stopped because the user cancelled or paused it
  'job.aborted',
  // the bridge and settings
  'ipc.invalid-argument',
  'ipc.forbidden-sender',
  'settings.invalid',
  // aipic: the remote API client and the account (src/main/aipic)
  'aipic.invalid-request',
  'aipic.invalid-phone',
  'aipic.invalid-code',
  'aipic.code-cooldown',
  'aipic.not-logged-in',
  'aipic.rejected',
  'aipic.out-of-credit',
  'aipic.session-expired',
  'aipic.http-error',
  'aipic.html-response',
  'aipic.invalid-json',
  'aipic.unexpected-response',
  'aipic.response-too-large',
  'aipic.timeout',
  'aipic.network',
  'aipic.outcome-unknown',
  'aipic.result-unavailable',
  'aipic.token-storage',
  // upload: temporary URL hosts, the own bucket and before-upload preparation (src/main/upload)
  'upload.network',
  'upload.timeout',
  'upload.host-error',
  'upload.rejected',
  'upload.bad-response',
  'upload.response-too-large',
  'upload.url-too-long',
  'upload.all-hosts-failed',
  'upload.not-configured',
  'upload.unreadable-image',
  // net: HTTP agents and proxies (src/main/net)
  'net.invalid-proxy',
  // batch: scanning, output naming, atomic writes, the queue, its journal, the command line
  // (src/main/batch, src/cli)
  'batch.invalid-options',
  'batch.busy',
  'batch.not-an-image',
  'batch.input-vanished',
  'batch.input-unreadable',
  'batch.symlink-loop',
  'batch.output-exists',
  'batch.output-unwritable',
  'batch.disk-full',
  'batch.cost-declined',
  'batch.engine-unavailable',
  'batch.journal-unreadable',
  // local engine and imaging: decoding, the ISNet model and its worker process
  // (src/main/engine/local, src/main/imaging)
  'image.unreadable',
  'image.too-large',
  'image.heic-unsupported',
  'engine.model-missing',
  'engine.model-corrupt',
  'engine.model-invalid',
  'engine.crashed',
  'engine.closed',
  // remote: the aipic engine, upload consent and the command line's remote options
  // (src/main/engine/aipic, src/main/upload/consent.ts, src/cli/remote-options.ts)
  'upload.consent-required',
  'remote.result-unreadable',
  'remote.result-no-alpha',
  'remote.result-mismatch',
  'remote.finish-failed',
  // review and touch-up: the review grid's redo and the touch-up editor (src/main/review)
  'review.no-cutout',
  'review.edits-would-be-lost',
  'review.not-editable',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]
