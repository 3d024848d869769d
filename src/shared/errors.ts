/**
 * The one error type that crosses module (and process, and bridge) boundaries.
 *
 * [Note: error codes] Every failure a person can meet has a stable, dotted `code`
 * (`image.unreadable`, `aipic.out-of-credit`, …). The English `message` is for logs and the
 * command line; the renderer maps the code to localized text through its dictionary, using
 * `detail` for the variable parts. Areas declare their codes in `error-codes.ts`.
 */
import type { ErrorCode } from './error-codes'

export type ErrorDetail = Readonly<Record<string, string | number | boolean>>

export class KoutuError extends Error {
  override readonly name = 'KoutuError'
  readonly code: ErrorCode
  readonly detail: ErrorDetail

  constructor(code: ErrorCode, message: string, options: { detail?: ErrorDetail; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.detail = options.detail ?? {}
  }
}

/** The plain-data form of an error, safe to send over IPC, the bridge, or a JSON report. */
export interface SerializedError {
  code: ErrorCode
  message: string
  detail: ErrorDetail
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof KoutuError) {
    return { code: error.code, message: error.message, detail: error.detail }
  }
  const message = error instanceof Error ? error.message : String(error)
  return { code: 'internal.unexpected', message, detail: {} }
}

export function deserializeError(serialized: SerializedError): KoutuError {
  return new KoutuError(serialized.code, serialized.message, { detail: serialized.detail })
}

export function isKoutuError(error: unknown, code?: ErrorCode): error is KoutuError {
  return error instanceof KoutuError && (code === undefined || error.code === code)
}
