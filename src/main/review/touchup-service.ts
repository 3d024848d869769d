/**
 * The touch-up editor's main-process side: opens a finished cutout for editing (previews of the
 * original and of the cutout as the engine made it, plus the strokes of earlier sessions) and
 * saves an edit by rendering its strokes at FULL resolution onto the engine's cutout with the
 * original's colours (src/shared/touchup.ts), then writing it atomically over the cutout. The
 * original is only read.
 *
 * [Note: touch-up sidecars] Two hidden files beside the cutout keep an edit resumable:
 * `.<cutout>.koutu-base.<ext>`, the cutout as the engine made it (copied before the first save),
 * and `.<cutout>.koutu-touchup.json`, the strokes and the SHA-256 of the file they produced.
 * Every save renders from the base, so undoing to no strokes puts back the engine's bytes
 * exactly. If the cutout no longer has the recorded hash (redone, or replaced outside Koutu),
 * the sidecars are stale: the current file becomes the new base with no strokes. The scanner
 * skips hidden files, so they are never taken for photos.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import type { BatchItem } from '../../shared/batch'
import { KoutuError } from '../../shared/errors'
import type { Logger } from '../../shared/logger'
import { applyStrokes, type TouchUpStroke } from '../../shared/touchup'
import type { TouchUpSession } from '../../shared/review'
import { writeFileAtomic } from '../batch/atomic-write'
import { decodeImage } from '../imaging/decode'
import { encodePng } from '../imaging/png-encode'

/** What the service needs from the batch queue. */
export interface TouchUpQueue {
  item(id: number): BatchItem | null
  reviseItem(id: number, revision: { outputPath: string; touchedUp: boolean }): boolean
}

export interface TouchUpServiceOptions {
  queue: TouchUpQueue
  logger: Logger
  /** Longest edge of the editor's previews (default 1600). */
  previewEdge?: number
  /** Refuse photos above this many megapixels (the batch's limit). */
  maxMegapixels?: () => number
}

interface Sidecar {
  v: 1
  width: number
  height: number
  /** SHA-256 of the cutout file the strokes produced. */
  outputSha256: string
  strokes: TouchUpStroke[]
}

const SIDECAR_VERSION = 1
const DEFAULT_PREVIEW_EDGE = 1600

/** The sidecar files of a cutout (see [Note: touch-up sidecars]). */
export function sidecarPaths(outputPath: string): { strokes: string; base: string } {
  const folder = path.dirname(outputPath)
  const name = path.basename(outputPath)
  return {
    strokes: path.join(folder, `.${name}.koutu-touchup.json`),
    base: path.join(folder, `.${name}.koutu-base${path.extname(name)}`),
  }
}

/** Removes a cutout's touch-up sidecars (after a redo replaced it). */
export async function removeSidecars(outputPath: string): Promise<void> {
  const paths = sidecarPaths(outputPath)
  await Promise.all([fs.rm(paths.strokes, { force: true }), fs.rm(paths.base, { force: true })])
}

export class TouchUpService {
  private readonly previewEdge: number
  /** Saves of one file run one after another. */
  private readonly saving = new Map<string, Promise<unknown>>()

  constructor(private readonly options: TouchUpServiceOptions) {
    this.previewEdge = options.previewEdge ?? DEFAULT_PREVIEW_EDGE
  }

  /** Previews and earlier strokes of item `itemId`'s cutout. */
  async open(itemId: number): Promise<TouchUpSession> {
    const { item, outputPath } = this.editable(itemId)
    const { basePath, strokes } = await this.currentEdit(outputPath)
    const original = await this.decodeOriginal(item.inputPath)
    const base = await readCutout(basePath)
    checkSameFrame(base, original, outputPath)
    const scale = Math.min(1, this.previewEdge / Math.max(original.width, original.height))
    const previewWidth = Math.max(1, Math.round(original.width * scale))
    const previewHeight = Math.max(1, Math.round(original.height * scale))
    const originalPreview = await sharp(original.rgb, { raw: { width: original.width, height: original.height, channels: 3 } })
      .resize(previewWidth, previewHeight, { fit: 'fill' })
      .jpeg({ quality: 90 })
      .toBuffer()
    const basePreview = await sharp(base.data, { raw: { width: base.width, height: base.height, channels: 4 } })
      .resize(previewWidth, previewHeight, { fit: 'fill' })
      .png({ compressionLevel: 2 })
      .toBuffer()
    return {
      itemId,
      name: item.name,
      width: original.width,
      height: original.height,
      previewWidth,
      previewHeight,
      original: `data:image/jpeg;base64,${originalPreview.toString('base64')}`,
      base: `data:image/png;base64,${basePreview.toString('base64')}`,
      strokes,
    }
  }

  /**
   * Renders `strokes` at full resolution onto the engine's cutout and writes the result over the
   * cutout (atomically); no strokes puts the engine's cutout back. Returns the revised item.
   */
  async save(itemId: number, strokes: readonly TouchUpStroke[]): Promise<BatchItem> {
    const { item, outputPath } = this.editable(itemId)
    const previous = this.saving.get(outputPath) ?? Promise.resolve()
    const run = previous.catch(() => undefined).then(() => this.render(item, outputPath, strokes))
    this.saving.set(outputPath, run)
    try {
      await run
    } finally {
      if (this.saving.get(outputPath) === run) this.saving.delete(outputPath)
    }
    const revised = this.options.queue.item(itemId)
    if (revised === null) throw new KoutuError('review.no-cutout', 'The file left the queue while it was being saved.')
    return revised
  }

  private async render(item: BatchItem, outputPath: string, strokes: readonly TouchUpStroke[]): Promise<void> {
    const sidecars = sidecarPaths(outputPath)
    const { fresh } = await this.currentEdit(outputPath)
    if (fresh) {
      // The first save of an edit: keep the engine's cutout to render every later save from.
      await writeFileAtomic(sidecars.base, await fs.readFile(outputPath), { replace: true })
    }
    let bytes: Buffer
    let frame = { width: 0, height: 0 }
    if (strokes.length === 0) {
      bytes = await fs.readFile(sidecars.base)
    } else {
      const original = await this.decodeOriginal(item.inputPath)
      const cutout = await readCutout(sidecars.base)
      checkSameFrame(cutout, original, outputPath)
      applyStrokes(cutout, { data: original.rgb, channels: 3 }, strokes)
      bytes = await encodeLike(outputPath, cutout)
      frame = { width: cutout.width, height: cutout.height }
    }
    await writeFileAtomic(outputPath, bytes, { replace: true })
    if (strokes.length === 0) {
      await removeSidecars(outputPath)
    } else {
      const sidecar: Sidecar = {
        v: SIDECAR_VERSION,
        width: frame.width,
        height: frame.height,
        outputSha256: sha256(bytes),
        strokes: [...strokes],
      }
      await writeFileAtomic(sidecars.strokes, Buffer.from(JSON.stringify(sidecar)), { replace: true })
    }
    // A new batch started meanwhile reuses the ids: only the same file is revised.
    if (this.options.queue.item(item.id)?.inputPath === item.inputPath) {
      this.options.queue.reviseItem(item.id, { outputPath, touchedUp: strokes.length > 0 })
    }
    this.options.logger.info('cutout touched up', { file: outputPath, strokes: strokes.length })
  }

  /** The base to render from and the strokes so far; `fresh` when no valid edit exists yet. */
  private async currentEdit(outputPath: string): Promise<{ basePath: string; strokes: TouchUpStroke[]; fresh: boolean }> {
    const sidecars = sidecarPaths(outputPath)
    const sidecar = await readSidecar(sidecars.strokes)
    if (sidecar !== null) {
      const [current, baseExists] = await Promise.all([
        fs.readFile(outputPath).then(sha256, () => null),
        fs.access(sidecars.base).then(() => true, () => false),
      ])
      if (current === sidecar.outputSha256 && baseExists) return { basePath: sidecars.base, strokes: sidecar.strokes, fresh: false }
    }
    return { basePath: outputPath, strokes: [], fresh: true }
  }

  private editable(itemId: number): { item: BatchItem; outputPath: string } {
    const item = this.options.queue.item(itemId)
    if (item === null || item.status !== 'done' || item.outputPath === undefined) {
      throw new KoutuError('review.no-cutout', `Item ${itemId} has no finished cutout.`, { detail: { itemId } })
    }
    return { item, outputPath: item.outputPath }
  }

  private async decodeOriginal(inputPath: string) {
    return decodeImage(inputPath, { maxMegapixels: this.options.maxMegapixels?.() ?? 200 })
  }
}

/** The cutout as RGBA pixels. */
async function readCutout(filePath: string): Promise<{ data: Buffer; width: number; height: number }> {
  try {
    const { data, info } = await sharp(filePath, { limitInputPixels: false })
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
    if (info.channels !== 4) throw new Error(`${info.channels} channels`)
    return { data, width: info.width, height: info.height }
  } catch (cause) {
    throw new KoutuError('review.no-cutout', `${filePath} cannot be read as a cutout.`, { cause })
  }
}

/** A cropped cutout (or a mask) does not line up with the photo's pixels: it cannot be edited here. */
function checkSameFrame(cutout: { width: number; height: number }, original: { width: number; height: number }, outputPath: string): void {
  if (cutout.width !== original.width || cutout.height !== original.height) {
    throw new KoutuError(
      'review.not-editable',
      `${outputPath} is ${cutout.width}x${cutout.height} but its photo is ${original.width}x${original.height}; only full-frame cutouts can be touched up.`,
      { detail: { outputPath } },
    )
  }
}

async function encodeLike(outputPath: string, cutout: { data: Buffer; width: number; height: number }): Promise<Buffer> {
  const { width, height, data } = cutout
  if (path.extname(outputPath).toLowerCase() === '.webp') {
    return sharp(data, { raw: { width, height, channels: 4 } }).webp({ lossless: true, effort: 1 }).toBuffer()
  }
  const pixels = width * height
  const rgb = Buffer.allocUnsafe(pixels * 3)
  const alpha = Buffer.allocUnsafe(pixels)
  for (let i = 0, j = 0, k = 0; i < pixels; i++, j += 4, k += 3) {
    rgb[k] = data[j]!
    rgb[k + 1] = data[j + 1]!
    rgb[k + 2] = data[j + 2]!
    alpha[i] = data[j + 3]!
  }
  return encodePng(rgb, alpha, width, height)
}

async function readSidecar(filePath: string): Promise<Sidecar | null> {
  try {
    const parsed = JSON.parse(await fs.readFile(filePath, 'utf8')) as Partial<Sidecar>
    if (parsed.v !== SIDECAR_VERSION || typeof parsed.outputSha256 !== 'string' || !Array.isArray(parsed.strokes)) return null
    return parsed as Sidecar
  } catch {
    return null
  }
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}
