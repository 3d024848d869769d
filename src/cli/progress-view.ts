/**
 * What a person watching the terminal sees during a batch: a cli-progress bar on stderr (only on
 * a terminal), one line per problem file, and with --verbose one line per file.
 */
import path from 'node:path'
import cliProgress from 'cli-progress'
import type { BatchItem, BatchProgress, ItemStatusChange } from '../shared/batch'

export interface ProgressViewOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean }
  verbose: boolean
  /** Show the bar (default: when the stream is a terminal). */
  bar?: boolean
}

function formatEta(seconds: number | null): string {
  if (seconds === null) return '--'
  if (seconds < 60) return `${seconds}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`
}

export class ProgressView {
  private readonly bar: cliProgress.SingleBar | null
  private started = false
  private readonly paths = new Map<number, string>()

  constructor(private readonly options: ProgressViewOptions) {
    const showBar = options.bar ?? options.stream.isTTY === true
    this.bar = showBar
      ? new cliProgress.SingleBar(
          {
            stream: options.stream,
            format: '{bar} {value}/{total} | done {done} · skipped {skipped} · failed {failed} | {rate}/min | ETA {etaText} | {file}',
            hideCursor: true,
            clearOnComplete: false,
            etaBuffer: 50,
            fps: 10,
          },
          cliProgress.Presets.shades_classic,
        )
      : null
  }

  items(items: readonly BatchItem[]): void {
    for (const item of items) this.paths.set(item.id, item.inputPath)
  }

  status(change: ItemStatusChange): void {
    const inputPath = this.paths.get(change.id) ?? `#${change.id}`
    const problem = change.status === 'failed' || change.status === 'unknown'
    const verboseLine = this.options.verbose && (change.status === 'done' || change.status === 'skipped')
    if (!problem && !verboseLine) return
    const reason = change.error ? `: ${change.error.message}` : ''
    const target = change.status === 'done' && change.outputPath ? ` -> ${change.outputPath}` : ''
    this.line(`${change.status.padEnd(7)} ${inputPath}${target}${reason}`)
  }

  progress(progress: BatchProgress): void {
    if (!this.bar) return
    const finished = progress.done + progress.skipped + progress.failed + progress.unknown
    const payload = {
      done: progress.done,
      skipped: progress.skipped,
      failed: progress.failed + progress.unknown,
      rate: progress.imagesPerMinute.toFixed(1),
      etaText: formatEta(progress.etaSeconds),
      file: progress.currentFiles[0] ? path.basename(progress.currentFiles[0]) : '',
    }
    if (!this.started) {
      this.bar.start(progress.total, finished, payload)
      this.started = true
    } else {
      this.bar.setTotal(progress.total)
      this.bar.update(finished, payload)
    }
  }

  stop(): void {
    if (this.bar && this.started) this.bar.stop()
    this.started = false
  }

  /** A line above the bar. */
  line(text: string): void {
    if (this.bar && this.started) {
      // cli-progress redraws on the current line: clear it, print, and let the bar redraw below.
      this.options.stream.write(`\r\x1b[K${text}\n`)
      this.bar.render()
    } else {
      this.options.stream.write(`${text}\n`)
    }
  }
}
