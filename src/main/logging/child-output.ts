/**
 * What a child process writes to stdout and stderr, line by line into the app's log. A packaged
 * GUI app has no console: with `stdio: 'inherit'` the model process's output (a failed import
 * of onnxruntime-node or sharp, a native crash message) goes nowhere and the app sees only
 * "exit code 1". The glue pipes the utility process's streams here instead.
 */
import { StringDecoder } from 'node:string_decoder'
import type { Logger } from '../../shared/logger'

/** Longest line kept; a longer one (a stack of minified code) is cut, with a note. */
const MAX_LINE = 4000

export interface ChildOutputOptions {
  /** Who wrote it, e.g. the utility process's service name. */
  source: string
  stream: 'stdout' | 'stderr'
}

/**
 * Logs each line `stream` carries: stdout at info, stderr at warn (the model process writes
 * only warnings and errors there). A last line without a newline is logged when the stream ends.
 */
export function logChildOutput(readable: NodeJS.ReadableStream | null | undefined, logger: Logger, options: ChildOutputOptions): void {
  if (!readable) return
  const decoder = new StringDecoder('utf8')
  let pending = ''
  const write = (line: string): void => {
    const text = line.replace(/\r$/, '')
    if (text.trim() === '') return
    const kept = text.length > MAX_LINE ? `${text.slice(0, MAX_LINE)}… (${text.length - MAX_LINE} more characters)` : text
    const fields = { source: options.source, line: kept }
    if (options.stream === 'stderr') logger.warn('child process wrote to stderr', fields)
    else logger.info('child process wrote to stdout', fields)
  }
  readable.on('data', (chunk: Buffer | string) => {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk)
    let newline = pending.indexOf('\n')
    while (newline >= 0) {
      write(pending.slice(0, newline))
      pending = pending.slice(newline + 1)
      newline = pending.indexOf('\n')
    }
  })
  readable.on('end', () => {
    pending += decoder.end()
    if (pending !== '') write(pending)
    pending = ''
  })
  // A broken pipe must not become an uncaught exception in main.
  readable.on('error', (error: Error) => logger.warn('child process output could not be read', { source: options.source, error: error.message }))
}
