/** Turns a replayed journal into the report the app and the command line show for a past batch. */
import type { BatchReport, BatchReportEntry } from '../../shared/batch'
import { deviceOfItems } from '../../shared/device-notes'
import type { ReplayedJournal } from './journal'

export function toBatchReport(journal: ReplayedJournal, running: boolean, maxProblems: number): BatchReport {
  const counts = { total: 0, done: 0, skipped: 0, failed: 0, unknown: 0, queued: 0 }
  const problems: BatchReportEntry[] = []
  const devices = deviceOfItems(journal.items.values())
  const flagged: BatchReportEntry[] = []
  for (const item of journal.items.values()) {
    counts.total += 1
    if (item.status === 'queued' || item.status === 'working') counts.queued += 1
    else counts[item.status] += 1
    if ((item.status === 'failed' || item.status === 'unknown' || item.status === 'skipped') && problems.length < maxProblems) {
      const entry: BatchReportEntry = { inputPath: item.inputPath, status: item.status }
      if (item.outputPath !== undefined) entry.outputPath = item.outputPath
      if (item.error !== undefined) entry.error = item.error
      problems.push(entry)
    }
    const marked = (item.flags?.length ?? 0) > 0 || item.touchedUp === true
    if (item.status === 'done' && marked && flagged.length < maxProblems) {
      const entry: BatchReportEntry = { inputPath: item.inputPath, status: item.status }
      if (item.outputPath !== undefined) entry.outputPath = item.outputPath
      if (item.flags !== undefined && item.flags.length > 0) entry.flags = item.flags
      if (item.touchedUp === true) entry.touchedUp = true
      flagged.push(entry)
    }
  }
  const settings = journal.header.settings
  return {
    batchId: journal.header.id,
    createdAt: journal.header.at,
    lastActivityAt: journal.lastActivityAt,
    durationMs: journal.activeMs,
    outcome: running ? 'running' : (journal.end?.reason ?? 'interrupted'),
    engine: settings.engine,
    output: { suffix: settings.outputSuffix, format: settings.outputFormat, root: settings.outputRoot, onConflict: settings.onConflict },
    counts,
    problems,
    ...devices,
    flagged,
  }
}
