/**
 * Turns what was dropped (any mix of files and folders) into a stream of originals to process,
 * in chunks, without holding up the event loop: 100,000 files arrive as a few hundred events and
 * the loop gets a turn between chunks. Problems (a vanished file, an unreadable folder, a symlink
 * loop, a dropped file that is not an image) are reported as data, never thrown.
 *
 * Every file carries a canonical key (its real path) so the queue can tell that two paths (a file
 * dropped twice, or reached through a symlink) are the same file.
 */
import type { Dirent } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { KoutuError } from '../../shared/errors'
import { isProcessAlive } from './atomic-write'
import { isHiddenName, isImageName, tempFileOwner } from './file-kinds'

export interface ScanOptions {
  recursive: boolean
  /** Recognises the app's own outputs by name (see ownOutputMatcher). */
  isOwnOutput: (fileName: string) => boolean
  /** Folders never walked into (the output root when it lies inside an input folder). */
  excludeFolders?: readonly string[]
  /** Files (plus problems) per chunk. */
  chunkSize?: number
  /** Longest time a chunk may be held back, in ms. */
  chunkMs?: number
  signal?: AbortSignal
}

/** An original found by the scan. */
export interface ScannedFile {
  /** Absolute path as found (through symlinks if that is how it was reached). */
  inputPath: string
  /** Real path: the identity used to queue each file once. */
  key: string
  /** Where a mirrored output tree starts (see PlannedInput.base). */
  base: string
}

/** A dropped path or walked entry that will not be processed, with why. */
export interface ScanProblem {
  inputPath: string
  status: 'skipped' | 'failed'
  error: KoutuError
}

export interface ScanChunk {
  files: ScannedFile[]
  problems: ScanProblem[]
  /** Temp files of writers that are gone (see [Note: temp files]); the caller deletes them. */
  staleTemps: string[]
}

interface FolderToWalk {
  walked: string
  real: string
  base: string
}

function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? ''
}

function problemFor(inputPath: string, error: unknown, what: 'file' | 'folder'): ScanProblem {
  const code = errnoOf(error)
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return {
      inputPath,
      status: 'skipped',
      error: new KoutuError('batch.input-vanished', `The ${what} ${inputPath} no longer exists.`, { detail: { path: inputPath } }),
    }
  }
  if (code === 'ELOOP') {
    return {
      inputPath,
      status: 'skipped',
      error: new KoutuError('batch.symlink-loop', `${inputPath} is a symbolic link that leads back to itself.`, {
        detail: { path: inputPath },
      }),
    }
  }
  return {
    inputPath,
    status: 'failed',
    error: new KoutuError('batch.input-unreadable', `The ${what} ${inputPath} cannot be read (${code || String(error)}).`, {
      detail: { path: inputPath, reason: code },
    }),
  }
}

function isInsideOrSame(child: string, parent: string): boolean {
  const relative = path.relative(parent, child)
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))
}

/**
 * Scans `paths` (files and folders, absolute or relative to the working directory). Order is
 * deterministic: dropped paths in the given order, each folder's entries sorted by name, files
 * before subfolders.
 */
export async function* scanPaths(paths: readonly string[], options: ScanOptions): AsyncGenerator<ScanChunk> {
  const chunkSize = options.chunkSize ?? 500
  const chunkMs = options.chunkMs ?? 50
  const excluded = new Set<string>()
  for (const folder of options.excludeFolders ?? []) {
    excluded.add(await fs.realpath(folder).catch(() => path.resolve(folder)))
  }
  const visitedFolders = new Set<string>()
  let chunk: ScanChunk = { files: [], problems: [], staleTemps: [] }
  let chunkStarted = Date.now()

  const take = (): ScanChunk => {
    const full = chunk
    chunk = { files: [], problems: [], staleTemps: [] }
    chunkStarted = Date.now()
    return full
  }
  const chunkIsDue = (): boolean =>
    chunk.files.length + chunk.problems.length >= chunkSize || (Date.now() - chunkStarted >= chunkMs && chunk.files.length + chunk.problems.length > 0)

  for (const given of paths) {
    options.signal?.throwIfAborted()
    const inputPath = path.resolve(given)
    let real: string
    let isFolder: boolean
    try {
      const stats = await fs.stat(inputPath)
      real = await fs.realpath(inputPath)
      isFolder = stats.isDirectory()
      if (!isFolder && !stats.isFile()) {
        chunk.problems.push({
          inputPath,
          status: 'skipped',
          error: new KoutuError('batch.not-an-image', `${inputPath} is not a regular file or folder.`, { detail: { path: inputPath } }),
        })
        continue
      }
    } catch (error) {
      chunk.problems.push(problemFor(inputPath, error, 'file'))
      continue
    }
    if (!isFolder) {
      // A file dropped on purpose is processed even when its name looks like an output or hidden.
      if (isImageName(inputPath)) {
        chunk.files.push({ inputPath, key: real, base: path.dirname(inputPath) })
      } else {
        chunk.problems.push({
          inputPath,
          status: 'skipped',
          error: new KoutuError('batch.not-an-image', `${path.basename(inputPath)} is not a supported image type.`, {
            detail: { path: inputPath },
          }),
        })
      }
      if (chunkIsDue()) yield take()
      continue
    }
    if (excluded.has(real) || visitedFolders.has(real)) continue
    visitedFolders.add(real)
    const stack: FolderToWalk[] = [{ walked: inputPath, real, base: path.dirname(inputPath) }]
    while (stack.length > 0) {
      options.signal?.throwIfAborted()
      const folder = stack.pop()!
      let entries: Dirent[]
      try {
        entries = await fs.readdir(folder.walked, { withFileTypes: true })
      } catch (error) {
        chunk.problems.push(problemFor(folder.walked, error, 'folder'))
        continue
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      const subfolders: FolderToWalk[] = []
      let sinceYield = 0
      for (const entry of entries) {
        const name = entry.name
        if (isHiddenName(name)) {
          const owner = tempFileOwner(name)
          if (owner !== null && entry.isFile() && !isProcessAlive(owner)) chunk.staleTemps.push(path.join(folder.walked, name))
          continue
        }
        const walked = path.join(folder.walked, name)
        if (entry.isFile()) {
          if (isImageName(name) && !options.isOwnOutput(name)) {
            chunk.files.push({ inputPath: walked, key: path.join(folder.real, name), base: folder.base })
          }
        } else if (entry.isDirectory()) {
          if (options.recursive) subfolders.push({ walked, real: path.join(folder.real, name), base: folder.base })
        } else if (entry.isSymbolicLink()) {
          const followed = await followLink(walked, folder, options)
          if (followed.kind === 'file') chunk.files.push({ inputPath: walked, key: followed.real, base: folder.base })
          else if (followed.kind === 'folder') subfolders.push({ walked, real: followed.real, base: folder.base })
          else if (followed.kind === 'problem') chunk.problems.push(followed.problem)
        }
        sinceYield += 1
        if (chunkIsDue()) {
          yield take()
          sinceYield = 0
        }
        // A folder of 100,000 plain files involves no I/O per entry: let the loop breathe.
        if (sinceYield >= chunkSize) {
          await yieldToLoop()
          sinceYield = 0
        }
      }
      for (let index = subfolders.length - 1; index >= 0; index -= 1) {
        const sub = subfolders[index]!
        if (excluded.has(sub.real) || visitedFolders.has(sub.real)) continue
        visitedFolders.add(sub.real)
        stack.push(sub)
      }
      if (chunkIsDue()) yield take()
    }
  }
  if (chunk.files.length + chunk.problems.length + chunk.staleTemps.length > 0) yield take()
}

type Followed =
  | { kind: 'file'; real: string }
  | { kind: 'folder'; real: string }
  | { kind: 'problem'; problem: ScanProblem }
  | { kind: 'ignore' }

async function followLink(walked: string, parent: FolderToWalk, options: ScanOptions): Promise<Followed> {
  const name = path.basename(walked)
  try {
    const stats = await fs.stat(walked)
    const real = await fs.realpath(walked)
    if (stats.isFile()) {
      return isImageName(name) && !options.isOwnOutput(name) ? { kind: 'file', real } : { kind: 'ignore' }
    }
    if (!stats.isDirectory() || !options.recursive) return { kind: 'ignore' }
    if (isInsideOrSame(parent.real, real)) {
      return {
        kind: 'problem',
        problem: {
          inputPath: walked,
          status: 'skipped',
          error: new KoutuError('batch.symlink-loop', `${walked} links back to a folder that contains it; not followed.`, {
            detail: { path: walked, target: real },
          }),
        },
      }
    }
    return { kind: 'folder', real }
  } catch (error) {
    return { kind: 'problem', problem: problemFor(walked, error, 'file') }
  }
}
