/**
 * A Logger that writes one line per entry to stderr: the command line's, the engine worker's and
 * the benchmarks'. Entries are redacted like the app's log file (see redact.ts), since stderr is
 * often captured into files or pasted into bug reports.
 */
import type { Logger } from '../../shared/logger'
import { redactText, redactValue } from './redact'

const LEVELS = ['debug', 'info', 'warn', 'error'] as const
type Level = (typeof LEVELS)[number]

export function createStderrLogger(minLevel: Level = 'info'): Logger {
  const threshold = LEVELS.indexOf(minLevel)
  const write =
    (level: Level) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (LEVELS.indexOf(level) < threshold) return
      const suffix = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(redactValue(fields))}` : ''
      process.stderr.write(`[${level}] ${redactText(message)}${suffix}\n`)
    }
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
}
