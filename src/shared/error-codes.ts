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
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]
