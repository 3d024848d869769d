/**
 * The app's log file: configures an electron-log instance (the app passes `electron-log/main`,
 * tests `electron-log/node`, which is the same logger without Electron) to write a rotating
 * file in the user data folder's logs/ with every entry redacted, and adapts it to the injected
 * `Logger` interface. Plain Node: only types come from electron-log here.
 */
import path from 'node:path'
import type ElectronLogNode from 'electron-log/node'
import type { Logger } from '../../shared/logger'
import { rotateLogFile } from './log-rotation'
import { redactValue } from './redact'

/** The electron-log shape used here; `electron-log/main`'s logger extends it. */
export type ElectronLogInstance = Pick<typeof ElectronLogNode, 'transports' | 'hooks' | 'debug' | 'info' | 'warn' | 'error'>

export type FileLogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface FileLogOptions {
  /** The user data folder's logs/ (userDataLayout(...).logsDir). */
  logsDir: string
  fileName?: string
  /** Rotate when the file grows past this size. */
  maxSizeBytes?: number
  /** Archives kept besides the current file (main.1.log … main.N.log). */
  keep?: number
  level?: FileLogLevel
  /** Also print to the console (development); false in packaged builds. */
  console?: FileLogLevel | false
}

export const DEFAULT_LOG_FILE = 'main.log'
export const DEFAULT_MAX_LOG_BYTES = 2 * 1024 * 1024
export const DEFAULT_LOG_ARCHIVES = 4

/**
 * Points `log` at `logsDir/main.log`, rotating at `maxSizeBytes` into `keep` archives, and adds
 * the redaction hook, which sees every entry before any transport writes it. Returns the
 * log file's path.
 */
export function configureFileLog(log: ElectronLogInstance, options: FileLogOptions): string {
  const logFile = path.join(options.logsDir, options.fileName ?? DEFAULT_LOG_FILE)
  const keep = options.keep ?? DEFAULT_LOG_ARCHIVES
  const file = log.transports.file
  file.resolvePathFn = () => logFile
  file.maxSize = options.maxSizeBytes ?? DEFAULT_MAX_LOG_BYTES
  file.level = options.level ?? 'info'
  file.archiveLogFn = (oldFile) => {
    // If renaming fails (Windows: another process holds the file), start the file afresh
    // rather than let it grow without bound.
    if (!rotateLogFile(oldFile.path, keep).rotated) oldFile.clear()
  }
  log.transports.console.level = options.console ?? false
  log.hooks.push((message) => ({ ...message, data: message.data.map((item: unknown) => redactValue(item)) }))
  return logFile
}

/** The injected `Logger` over an electron-log instance; fields are written as one-line JSON. */
export function loggerFromElectronLog(log: ElectronLogInstance): Logger {
  const write =
    (level: FileLogLevel) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (fields && Object.keys(fields).length > 0) log[level](message, JSON.stringify(redactValue(fields)))
      else log[level](message)
    }
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
}
