/**
 * A tiny JSON-file key-value store with the same on-disk format as electron-store (one JSON
 * object). The command line reads the app's settings through it, and tests use it to inspect
 * what the app wrote. Writes are atomic (temp file + rename) so a crash never leaves half a file.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Logger } from '../../shared/logger'
import type { KeyValueStore } from './key-value-store'
import { quarantineCorruptFile } from './quarantine'

export class JsonFileStore implements KeyValueStore {
  private data: Record<string, unknown>

  constructor(
    readonly filePath: string,
    private readonly logger: Logger,
    private readonly options: { readOnly?: boolean } = {},
  ) {
    this.data = this.readFile()
  }

  get(key: string): unknown {
    return this.data[key]
  }

  set(key: string, value: unknown): void {
    this.data[key] = value
    this.writeFile()
  }

  delete(key: string): void {
    delete this.data[key]
    this.writeFile()
  }

  entries(): Record<string, unknown> {
    return { ...this.data }
  }

  private readFile(): Record<string, unknown> {
    let text: string
    try {
      text = fs.readFileSync(this.filePath, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
      throw error
    }
    try {
      const parsed: unknown = JSON.parse(text)
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>
      throw new Error('not a JSON object')
    } catch (error) {
      if (this.options.readOnly) {
        this.logger.warn('settings file is not valid JSON; using defaults', { file: this.filePath, error: String(error) })
      } else {
        const kept = quarantineCorruptFile(this.filePath)
        this.logger.warn('settings file was not valid JSON; kept it aside and started from defaults', {
          file: this.filePath,
          keptAs: kept,
        })
      }
      return {}
    }
  }

  private writeFile(): void {
    if (this.options.readOnly) throw new Error(`${this.filePath} is open read-only`)
    fs.mkdirSync(path.dirname(this.filePath), { recursive: true })
    const temp = `${this.filePath}.${process.pid}.tmp`
    fs.writeFileSync(temp, `${JSON.stringify(this.data, null, '\t')}\n`, { mode: 0o600 })
    fs.renameSync(temp, this.filePath)
  }
}
