/**
 * Which file names the batch engine treats as photos, as its own outputs, or as its own temp
 * files. Names only (no I/O), so the scanner, the output planner and the atomic writer agree.
 */
import path from 'node:path'

/** Extensions (lower case, no dot) of images the engines can decode. GIF: the first frame. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  'jpg',
  'jpeg',
  'png',
  'webp',
  'avif',
  'tif',
  'tiff',
  'bmp',
  'gif',
  'heic',
  'heif',
])

/** Extensions the batch engine writes. Outputs of both formats are recognised whatever the current one. */
const OUTPUT_EXTENSIONS = ['png', 'webp']

/** Lower-cased extension without the dot ('' when there is none). */
export function extensionOf(fileName: string): string {
  return path.extname(fileName).slice(1).toLowerCase()
}

export function isImageName(fileName: string): boolean {
  return IMAGE_EXTENSIONS.has(extensionOf(fileName))
}

/** Hidden by Unix convention; Windows' hidden attribute is not visible to Node. */
export function isHiddenName(fileName: string): boolean {
  return fileName.startsWith('.')
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * A predicate recognising the app's own outputs by suffix: `<name><suffix>.png`,
 * `<name><suffix> (3).webp`, for any of `suffixes` (the current one, the app's configured one and
 * the default, so an earlier run's outputs are not taken for photos). An empty suffix cannot tell
 * outputs from photos by name and is ignored (the scanner then only skips the output root).
 */
export function ownOutputMatcher(suffixes: string | readonly string[]): (fileName: string) => boolean {
  const usable = [...new Set(typeof suffixes === 'string' ? [suffixes] : suffixes)].filter((suffix) => suffix !== '')
  if (usable.length === 0) return () => false
  const alternatives = usable.map(escapeRegExp).join('|')
  const pattern = new RegExp(`.(?:${alternatives})(?: \\(\\d+\\))?\\.(?:${OUTPUT_EXTENSIONS.join('|')})$`, 'iu')
  return (fileName) => pattern.test(fileName)
}

/**
 * [Note: temp files] An output is first written to `.<final name>.koutu-tmp-<pid>-<random>` in
 * the destination folder, then renamed into place. The leading dot hides it (and the scanner skips
 * hidden files), the marker makes it impossible to mistake for a result, and the pid lets the next
 * run delete temps whose writer is gone.
 */
const TEMP_PATTERN = /^\..+\.koutu-tmp-(\d+)-[0-9a-z]+$/

export const TEMP_MARKER = '.koutu-tmp-'

export function tempNameFor(finalName: string, pid: number, random: string): string {
  return `.${finalName}${TEMP_MARKER}${pid}-${random}`
}

/** The pid that wrote a temp file, or null when the name is not one of ours. */
export function tempFileOwner(fileName: string): number | null {
  const match = TEMP_PATTERN.exec(fileName)
  return match ? Number(match[1]) : null
}
