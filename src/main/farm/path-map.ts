/**
 * `--map FROM=TO`: how a farm worker sees the share when it is mounted somewhere else than on
 * the machine that enqueued the batch (`/Volumes/Shoot` on a Mac, `/mnt/shoot` on Linux, `S:\`
 * on Windows). A job's paths are rewritten by the longest matching prefix, at a path-segment
 * boundary, and the rest of the path takes the separators of the side it is mapped to.
 */
import { KoutuError } from '../../shared/errors'

export interface PathMapping {
  from: string
  to: string
}

function isAbsoluteAnywhere(value: string): boolean {
  return value.startsWith('/') || /^[A-Za-z]:[\\/]/.test(value) || value.startsWith('\\\\')
}

function usesBackslashes(value: string): boolean {
  return /^[A-Za-z]:\\/.test(value) || value.startsWith('\\\\')
}

function withoutTrailingSeparator(value: string): string {
  const trimmed = value.replace(/[\\/]+$/, '')
  // "/" and "S:\" are roots: keep what makes them absolute.
  if (trimmed === '') return value.slice(0, 1)
  if (/^[A-Za-z]:$/.test(trimmed)) return `${trimmed}${value.charAt(2) || '\\'}`
  return trimmed
}

/** Parses one `FROM=TO` (the first `=` splits; Windows paths have none). */
export function parsePathMapping(spec: string): PathMapping {
  const at = spec.indexOf('=')
  const from = at > 0 ? spec.slice(0, at) : ''
  const to = at > 0 ? spec.slice(at + 1) : ''
  if (!isAbsoluteAnywhere(from) || !isAbsoluteAnywhere(to)) {
    throw new KoutuError('farm.invalid-map', `--map "${spec}" must be FROM=TO with both sides absolute paths.`, { detail: { map: spec } })
  }
  return { from: withoutTrailingSeparator(from), to: withoutTrailingSeparator(to) }
}

function isRoot(value: string): boolean {
  return value === '/' || /^[A-Za-z]:[\\/]$/.test(value)
}

/** Rewrites `filePath` by the longest mapping whose FROM is a whole-segment prefix of it; unchanged when none matches. */
export function mapPath(filePath: string, mappings: readonly PathMapping[]): string {
  let best: PathMapping | null = null
  for (const mapping of mappings) {
    const { from } = mapping
    // Drive letters and Windows shares compare without case, as Windows does.
    const caseless = usesBackslashes(from) || /^[A-Za-z]:/.test(from)
    const head = filePath.slice(0, from.length)
    const same = caseless ? head.toLowerCase() === from.toLowerCase() : head === from
    if (!same) continue
    const next = filePath.charAt(from.length)
    if (!(isRoot(from) || next === '' || next === '/' || next === '\\')) continue
    if (best === null || from.length > best.from.length) best = mapping
  }
  if (best === null) return filePath
  let rest = filePath.slice(best.from.length).replace(/^[\\/]+/, '')
  const separator = usesBackslashes(best.to) ? '\\' : '/'
  // Only a change of style touches separators: a POSIX name may contain a backslash.
  if (usesBackslashes(best.from) !== usesBackslashes(best.to)) rest = rest.split(/[\\/]+/).join(separator)
  if (rest === '') return best.to
  return isRoot(best.to) ? `${best.to}${rest}` : `${best.to}${separator}${rest}`
}
