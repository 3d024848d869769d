/**
 * Output naming and conflict resolution: where each original's cutout goes, and what happens when
 * something is already there. See docs/batch.md, "Where results go".
 *
 * [Note: originals are never written] A candidate output path that is one of the batch's
 * originals is never used, whatever the conflict policy: the planner moves on to the numbered
 * name (`<name> (2).png`). With an empty suffix (only allowed with an output root outside every
 * input folder, see validateOutputLayout) no original can share an output's path.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { KoutuError } from '../../shared/errors'
import type { ConflictPolicy, OutputFormat } from '../../shared/settings'

export interface OutputLayout {
  suffix: string
  format: OutputFormat
  /** null: next to each original; otherwise mirror the input tree under this folder. */
  outputRoot: string | null
  onConflict: ConflictPolicy
}

/** An original as the planner needs it. */
export interface PlannedInput {
  inputPath: string
  /**
   * The folder the mirrored tree starts from: the parent of the dropped folder (so the dropped
   * folder's own name is kept, like `cp -r`), or the folder of a dropped file.
   */
  base: string
}

export type OutputDecision =
  | { action: 'write'; outputPath: string; replace: boolean }
  | { action: 'skip'; outputPath: string }

const CASE_INSENSITIVE = process.platform === 'win32' || process.platform === 'darwin'

function pathKey(filePath: string): string {
  const resolved = path.resolve(filePath)
  return CASE_INSENSITIVE ? resolved.toLowerCase() : resolved
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(pathKey(parent), pathKey(child))
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))
}

/**
 * Refuses layouts that could put an output on an original's path: an empty suffix next to the
 * originals, or an empty suffix with an output root that overlaps an input folder.
 */
export function validateOutputLayout(layout: OutputLayout, inputFolders: readonly string[]): void {
  if (layout.suffix !== '') return
  if (layout.outputRoot === null) {
    throw new KoutuError(
      'batch.invalid-options',
      'An empty suffix needs an output folder (--out): next to the originals it could overwrite a photo.',
    )
  }
  const root = layout.outputRoot
  for (const folder of inputFolders) {
    if (isInside(root, folder) || isInside(folder, root)) {
      throw new KoutuError(
        'batch.invalid-options',
        `With an empty suffix the output folder must be outside the input folders (${root} overlaps ${folder}).`,
        { detail: { outputRoot: root, inputFolder: folder } },
      )
    }
  }
}

/** The first-choice output path for an original, before conflicts. */
export function baseOutputPath(input: PlannedInput, layout: OutputLayout): string {
  const parsed = path.parse(input.inputPath)
  const fileName = `${parsed.name}${layout.suffix}.${layout.format}`
  if (layout.outputRoot === null) return path.join(parsed.dir, fileName)
  const relativeFolder = path.relative(input.base, parsed.dir)
  return path.join(layout.outputRoot, relativeFolder, fileName)
}

/** `…/photo-cutout.png` → `…/photo-cutout (n).png` (n ≥ 2). */
export function numberedPath(outputPath: string, n: number): string {
  if (n < 2) return outputPath
  const parsed = path.parse(outputPath)
  return path.join(parsed.dir, `${parsed.name} (${n})${parsed.ext}`)
}

async function exists(filePath: string): Promise<boolean> {
  try {
    await fs.lstat(filePath)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}

const MAX_NUMBER = 10_000

/**
 * Decides outputs for one batch. It remembers which paths it has handed out, so two originals
 * that map to the same name in one batch (`a.jpg` and `a.png`) get `a-cutout.png` and
 * `a-cutout (2).png` instead of colliding; items are planned in queue order, so a re-run of the
 * same batch reaches the same decisions.
 */
export class OutputPlanner {
  private readonly reserved = new Map<string, number>()
  private readonly originals = new Set<string>()

  constructor(readonly layout: OutputLayout) {}

  /** Registers an original of this batch: its path is never chosen as an output. */
  addOriginal(inputPath: string): void {
    this.originals.add(pathKey(inputPath))
  }

  /** Marks a path as taken by an item (e.g. outputs already written before a resume). */
  reserve(outputPath: string, itemId: number): void {
    this.reserved.set(pathKey(outputPath), itemId)
  }

  /** Forgets an item's reservation (its write failed, or it will be retried). */
  release(outputPath: string, itemId: number): void {
    const key = pathKey(outputPath)
    if (this.reserved.get(key) === itemId) this.reserved.delete(key)
  }

  /**
   * The decision for one item. `skipFirst` candidates are known to be taken (a write raced with
   * another process) and are stepped over.
   */
  async decide(itemId: number, input: PlannedInput, skipFirst = 0): Promise<OutputDecision> {
    const base = baseOutputPath(input, this.layout)
    for (let n = 1 + skipFirst; n <= MAX_NUMBER; n += 1) {
      const candidate = numberedPath(base, n)
      const key = pathKey(candidate)
      const holder = this.reserved.get(key)
      if ((holder !== undefined && holder !== itemId) || this.originals.has(key)) continue
      if (!(await exists(candidate))) {
        this.reserved.set(key, itemId)
        return { action: 'write', outputPath: candidate, replace: false }
      }
      if (this.layout.onConflict === 'skip') {
        this.reserved.set(key, itemId)
        return { action: 'skip', outputPath: candidate }
      }
      if (this.layout.onConflict === 'overwrite') {
        this.reserved.set(key, itemId)
        return { action: 'write', outputPath: candidate, replace: true }
      }
    }
    throw new KoutuError('batch.output-unwritable', `No free output name near ${base}.`, { detail: { outputPath: base } })
  }
}
