/**
 * Merges electron-builder update metadata files (latest-mac.yml) written by separate builds of
 * the same version, one per architecture, into one file listing every architecture's files.
 * electron-updater's macOS updater picks its architecture's zip from `files`; each build on its
 * own runner only knows its own, and the last one uploaded would otherwise win.
 *
 * Usage: tsx scripts/release/merge-update-metadata.ts a/latest-mac.yml b/latest-mac.yml > latest-mac.yml
 */
import fs from 'node:fs'
import path from 'node:path'
import yaml from 'js-yaml'

export interface UpdateFile {
  url: string
  sha512: string
  size?: number
  [key: string]: unknown
}

export interface UpdateMetadata {
  version: string
  files: UpdateFile[]
  path?: string
  sha512?: string
  releaseDate?: string
  [key: string]: unknown
}

function parseMetadata(text: string, source: string): UpdateMetadata {
  const data = yaml.load(text) as Partial<UpdateMetadata> | null
  if (!data || typeof data.version !== 'string' || !Array.isArray(data.files)) {
    throw new Error(`${source}: not electron-builder update metadata (needs version and files)`)
  }
  for (const file of data.files) {
    if (typeof file?.url !== 'string' || typeof file.sha512 !== 'string') throw new Error(`${source}: a file entry lacks url or sha512`)
  }
  return data as UpdateMetadata
}

/**
 * One metadata object with the files of all inputs. The versions must agree; a file name listed
 * twice must have the same checksum (the same file), else the merge refuses.
 */
export function mergeUpdateMetadata(inputs: ReadonlyArray<{ text: string; source: string }>): UpdateMetadata {
  if (inputs.length === 0) throw new Error('nothing to merge')
  const parsed = inputs.map(({ text, source }) => ({ source, data: parseMetadata(text, source) }))
  const first = parsed[0]!
  const files = new Map<string, UpdateFile>()
  for (const { source, data } of parsed) {
    if (data.version !== first.data.version) {
      throw new Error(`version mismatch: ${first.source} has ${first.data.version}, ${source} has ${data.version}`)
    }
    for (const file of data.files) {
      const known = files.get(file.url)
      if (known && known.sha512 !== file.sha512) throw new Error(`${file.url} is listed with two different checksums`)
      files.set(file.url, file)
    }
  }
  const dates = parsed.map(({ data }) => data.releaseDate).filter((date): date is string => typeof date === 'string')
  return {
    ...first.data,
    files: [...files.values()],
    ...(dates.length > 0 ? { releaseDate: dates.sort().at(-1) } : {}),
  }
}

export function dumpMetadata(data: UpdateMetadata): string {
  return yaml.dump(data, { lineWidth: -1 })
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const sources = process.argv.slice(2)
  if (sources.length < 1) {
    console.error('usage: merge-update-metadata.ts <latest-mac.yml> [...]')
    process.exit(2)
  }
  process.stdout.write(dumpMetadata(mergeUpdateMetadata(sources.map((source) => ({ source, text: fs.readFileSync(source, 'utf8') })))))
}
