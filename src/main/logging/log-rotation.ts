/**
 * Rotation of the log file: `main.log` becomes `main.1.log`, `main.1.log` becomes `main.2.log`,
 * and so on, keeping a fixed number of archives. electron-log keeps a single `.old` file by
 * default; a few more archives keep the run before a crash-and-restart loop readable.
 */
import fs from 'node:fs'
import path from 'node:path'

/** `/logs/main.log`, 2 -> `/logs/main.2.log`. */
export function archivePath(logFile: string, index: number): string {
  const { dir, name, ext } = path.parse(logFile)
  return path.join(dir, `${name}.${index}${ext}`)
}

/**
 * Moves `logFile` to archive 1, shifting older archives up and deleting the one beyond `keep`.
 * Synchronous, as electron-log's `archiveLogFn` must be. Never throws: a log that cannot rotate
 * must not take the app down; the caller keeps writing to the current file.
 */
export function rotateLogFile(logFile: string, keep: number): { rotated: boolean; error?: string } {
  try {
    const count = Math.max(1, Math.floor(keep))
    fs.rmSync(archivePath(logFile, count), { force: true })
    for (let index = count - 1; index >= 1; index -= 1) {
      const from = archivePath(logFile, index)
      if (fs.existsSync(from)) fs.renameSync(from, archivePath(logFile, index + 1))
    }
    fs.renameSync(logFile, archivePath(logFile, 1))
    return { rotated: true }
  } catch (error) {
    return { rotated: false, error: error instanceof Error ? error.message : String(error) }
  }
}
