/**
 * Thumbnails for the queue and the before/after preview: a downscaled PNG data URL of a file,
 * cached in memory (a small LRU) and on disk (userData/thumbnails), keyed by the file's path,
 * size and modification time so a rewritten output never shows a stale picture.
 *
 * This service turns a path into a thumbnail; it never decides which paths may be shown. The
 * bridge handler resolves a queue item id to the item's original or output (see
 * src/main/ipc/thumbnail-handlers.ts), so the renderer cannot ask for an arbitrary file.
 *
 * Work is bounded: at most `concurrency` decodes run at once (scrolling through 10,000 files
 * asks for many), and the largest edge is capped.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import sharp, { type Sharp } from 'sharp'
import type { Logger } from '../../shared/logger'
import { decodeImage, looksLikeHeic } from '../imaging/decode'

/** The largest edge a thumbnail may have, whatever the renderer asks. */
export const MAX_THUMBNAIL_EDGE = 2048
export const MIN_THUMBNAIL_EDGE = 16
/** Thumbnails of images above this are not attempted (decoding would cost too much memory). */
const MAX_SOURCE_MEGAPIXELS = 150

export interface ThumbnailServiceOptions {
  /** `userDataLayout(dir).thumbnailCacheDir`. */
  cacheDir: string
  logger: Logger
  /** Decodes at once (default 2). */
  concurrency?: number
  /** Data URLs kept in memory (default 300). */
  memoryEntries?: number
}

export class ThumbnailService {
  private readonly memory = new Map<string, string | null>()
  private readonly inFlight = new Map<string, Promise<string | null>>()
  private readonly waiting: Array<() => void> = []
  private running = 0
  private readonly concurrency: number
  private readonly memoryEntries: number

  constructor(private readonly options: ThumbnailServiceOptions) {
    this.concurrency = options.concurrency ?? 2
    this.memoryEntries = options.memoryEntries ?? 300
  }

  /**
   * A PNG data URL of `filePath` with its longest edge at most `maxEdge` (never enlarged);
   * null when the file is missing or cannot be decoded (the UI shows a placeholder).
   */
  async get(filePath: string, maxEdge: number): Promise<string | null> {
    const edge = Math.round(Math.min(MAX_THUMBNAIL_EDGE, Math.max(MIN_THUMBNAIL_EDGE, maxEdge)))
    let stat: { size: number; mtimeMs: number }
    try {
      stat = await fs.stat(filePath)
    } catch {
      return null
    }
    const key = createHash('sha256').update(`${filePath}\0${stat.size}\0${stat.mtimeMs}\0${edge}`).digest('hex').slice(0, 40)
    if (this.memory.has(key)) {
      const hit = this.memory.get(key) ?? null
      this.remember(key, hit)
      return hit
    }
    const pending = this.inFlight.get(key)
    if (pending) return pending
    const work = this.limited(() => this.produce(filePath, key, edge)).finally(() => this.inFlight.delete(key))
    this.inFlight.set(key, work)
    return work
  }

  private async produce(filePath: string, key: string, edge: number): Promise<string | null> {
    const cacheFile = path.join(this.options.cacheDir, `${key}.png`)
    let png: Buffer | null = await fs.readFile(cacheFile).catch(() => null)
    if (png === null) {
      png = await this.render(filePath, edge)
      if (png !== null) await this.store(cacheFile, png)
    }
    const url = png === null ? null : `data:image/png;base64,${png.toString('base64')}`
    this.remember(key, url)
    return url
  }

  private async render(filePath: string, edge: number): Promise<Buffer | null> {
    try {
      const head = Buffer.alloc(16)
      const handle = await fs.open(filePath, 'r')
      try {
        await handle.read(head, 0, 16, 0)
      } finally {
        await handle.close()
      }
      // sharp's prebuilt libvips has no HEVC decoder; HEIC goes through the shared decoder.
      const source = looksLikeHeic(head) ? await this.decodeHeic(filePath) : sharp(filePath, { limitInputPixels: MAX_SOURCE_MEGAPIXELS * 1e6 }).rotate()
      return await source
        .resize(edge, edge, { fit: 'inside', withoutEnlargement: true })
        .png({ compressionLevel: 6 })
        .toBuffer()
    } catch (error) {
      this.options.logger.debug('no thumbnail for a file', { file: path.basename(filePath), error: String(error) })
      return null
    }
  }

  private async decodeHeic(filePath: string): Promise<Sharp> {
    const image = await decodeImage(filePath, { maxMegapixels: MAX_SOURCE_MEGAPIXELS })
    return sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
  }

  /** The disk cache is an optimisation: a failure to write it is logged, never fatal. */
  private async store(cacheFile: string, png: Buffer): Promise<void> {
    try {
      await fs.mkdir(path.dirname(cacheFile), { recursive: true })
      const temp = `${cacheFile}.${process.pid}.tmp`
      await fs.writeFile(temp, png)
      await fs.rename(temp, cacheFile)
    } catch (error) {
      this.options.logger.debug('could not cache a thumbnail', { error: String(error) })
    }
  }

  private remember(key: string, url: string | null): void {
    this.memory.delete(key)
    this.memory.set(key, url)
    while (this.memory.size > this.memoryEntries) {
      const oldest = this.memory.keys().next().value
      if (oldest === undefined) break
      this.memory.delete(oldest)
    }
  }

  private async limited<T>(task: () => Promise<T>): Promise<T> {
    while (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.running += 1
    try {
      return await task()
    } finally {
      this.running -= 1
      this.waiting.shift()?.()
    }
  }
}
