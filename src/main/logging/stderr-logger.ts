/** A Logger that writes one line per entry to stderr: the command line's and the benchmarks'. */
import type { Logger } from '../../shared/logger'

const LEVELS = ['debug', 'info', 'warn', 'error'] as const
type Level = (typeof LEVELS)[number]

export function createStderrLogger(minLevel: Level = 'info'): Logger {
  const threshold = LEVELS.indexOf(minLevel)
  const write =
    (level: Level) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (LEVELS.indexOf(level) < threshold) return
      const suffix = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ''
      process.stderr.write(`[${level}] ${message}${suffix}\n`)
    }
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
}
