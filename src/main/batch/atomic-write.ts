/**
 * Writes outputs so that a kill at any moment leaves either no output or a complete one: the
 * bytes go to a temp file in the destination folder (see [Note: temp files] in file-kinds.ts),
 * are flushed to disk, then the temp is renamed (replace) or hard-linked (no replace) into place.
 * Also deletes temp files left behind by writers that no longer run.
 */
import { randomBytes } from 'node:crypto'
import type { Dir } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { KoutuError } from '../../shared/errors'
import type { Logger } from '../../shared/logger'
import { tempFileOwner, tempNameFor } from './file-kinds'

/** True when a process with this pid exists (ours counts as alive). */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Maps a file-system error on an output to the batch's error codes. */
export function outputWriteError(error: unknown, outputPath: string): KoutuError {
  const code = (error as NodeJS.ErrnoException).code ?? ''
  const detail = { outputPath, reason: code }
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new KoutuError('batch.disk-full', `The disk is full; ${outputPath} was not written.`, { detail, cause: error })
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new KoutuError(
      'batch.output-unwritable',
      `The folder ${path.dirname(outputPath)} cannot be written to (${code}); choose another output folder or fix its permissions.`,
      { detail, cause: error },
    )
  }
  const message = error instanceof Error ? error.message : String(error)
  return new KoutuError('batch.output-unwritable', `Could not write ${outputPath}: ${message}`, { detail, cause: error })
}

/**
 * Writes `data` to `outputPath` atomically. With `replace: false` an existing file is never
 * replaced (even one created by someone else a moment ago): the result is false and nothing is
 * written. Throws `batch.output-unwritable` / `batch.disk-full`.
 */
export async function writeFileAtomic(outputPath: string, data: Uint8Array, options: { replace: boolean }): Promise<boolean> {
  const folder = path.dirname(outputPath)
  const tempPath = path.join(folder, tempNameFor(path.basename(outputPath), process.pid, randomBytes(4).toString('hex')))
  try {
    await fs.mkdir(folder, { recursive: true })
    const handle = await fs.open(tempPath, 'wx', 0o644)
    try {
      await handle.writeFile(data)
      // Without the flush a power cut after the rename could leave an empty "complete" file.
      await handle.sync()
    } finally {
      await handle.close()
    }
    if (options.replace) {
      await fs.rename(tempPath, outputPath)
      return true
    }
    return await linkIntoPlace(tempPath, outputPath)
  } catch (error) {
    throw outputWriteError(error, outputPath)
  } finally {
    await fs.rm(tempPath, { force: true }).catch(() => undefined)
  }
}

/** No-clobber publish: link() fails if the target exists. Falls back where links are unsupported (FAT, some shares). */
async function linkIntoPlace(tempPath: string, outputPath: string): Promise<boolean> {
  try {
    await fs.link(tempPath, outputPath)
    return true
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV') throw error
  }
  try {
    await fs.lstat(outputPath)
    return false
  } catch {
    await fs.rename(tempPath, outputPath)
    return true
  }
}

/**
 * Deletes our temp files in `folder` whose writer is no longer running. Best effort: a folder that
 * cannot be read or a temp that cannot be removed is only logged. Returns how many were removed.
 */
export async function removeStaleTemps(folder: string, logger: Logger, alive: (pid: number) => boolean = isProcessAlive): Promise<number> {
  let removed = 0
  let dir: Dir
  try {
    dir = await fs.opendir(folder)
  } catch {
    return 0
  }
  for await (const entry of dir) {
    const owner = tempFileOwner(entry.name)
    if (owner === null || !entry.isFile() || alive(owner)) continue
    if (await removeStaleTemp(path.join(folder, entry.name), logger)) removed += 1
  }
  return removed
}

/** Deletes one stale temp (the scanner finds them too). Never throws; false when it could not. */
export async function removeStaleTemp(filePath: string, logger: Logger): Promise<boolean> {
  try {
    await fs.rm(filePath, { force: true })
    logger.debug('removed a stale temp file', { file: filePath })
    return true
  } catch (error) {
    logger.warn('could not remove a stale temp file', { file: filePath, error: String(error) })
    return false
  }
}
