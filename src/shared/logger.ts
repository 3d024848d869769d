/**
 * A minimal logging interface that services receive by injection, so they run the same under the
 * app (electron-log, rotating file), the command line (stderr) and tests (silent or captured).
 * Callers must never pass secrets (tokens, keys, SMS codes) in messages or fields.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
}
