/**
 * A stand-in CutoutEngine for batch tests that do not need the model: it really decodes the
 * original with sharp (honouring EXIF orientation and the pixel limit), keys alpha from
 * luminance and encodes a PNG/WebP, so outputs are real images with alpha. Hooks let a test make
 * it slow, crash, report a cost, or fail with an unknown outcome. A test of thousands of identical
 * files can hand it one ready cutout instead (`fixedOutput`): decoding each original again is
 * then most of the test's time and tells it nothing new.
 */
import { access } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import sharp, { type Sharp } from 'sharp'
import type { CostEstimate, CutoutEngine, CutoutRequest, CutoutResult } from '../../../../src/main/engine/types'
import type { QualityFlag } from '../../../../src/shared/batch'
import { KoutuError } from '../../../../src/shared/errors'
import type { EngineKind } from '../../../../src/shared/settings'

export interface TestEngineOptions {
  kind?: EngineKind
  concurrency?: number
  delayMs?: number
  /** Reject with engine.crashed for these files (each call, or the first time only). */
  crash?: (inputPath: string, call: number) => boolean
  /** Reject with an outcome-unknown error for these files. */
  outcomeUnknown?: (inputPath: string) => boolean
  cost?: CostEstimate | null
  /** Reject with an error that halts the whole batch (like running out of credit). */
  halt?: (inputPath: string) => boolean
  /** Quality flags to report for a file (a real engine measures its mask). */
  flags?: (inputPath: string) => QualityFlag[]
  /**
   * Return this cutout (a PNG with alpha) for every file that exists, without decoding it: for
   * many copies of one small image, where the per-file decoding would only repeat itself.
   */
  fixedOutput?: { png: Uint8Array; width: number; height: number }
}

export interface TestEngine extends CutoutEngine {
  readonly calls: string[]
  readonly closed: boolean
}

export function createTestEngine(options: TestEngineOptions = {}): TestEngine {
  const calls: string[] = []
  let closed = false
  return {
    kind: options.kind ?? 'local',
    defaultConcurrency: options.concurrency ?? 2,
    calls,
    get closed() {
      return closed
    },
    async process(request: CutoutRequest, signal: AbortSignal): Promise<CutoutResult> {
      if (closed) throw new KoutuError('engine.closed', 'the test engine is closed')
      calls.push(request.inputPath)
      const call = calls.filter((p) => p === request.inputPath).length
      if (options.delayMs) {
        await sleep(options.delayMs, undefined, { signal }).catch(() => {
          throw new KoutuError('job.aborted', 'aborted')
        })
      }
      signal.throwIfAborted()
      if (options.crash?.(request.inputPath, call)) throw new KoutuError('engine.crashed', 'the test engine crashed')
      if (options.halt?.(request.inputPath)) {
        throw new KoutuError('aipic.out-of-credit', 'No credits left.', { detail: { haltsBatch: true } })
      }
      if (options.outcomeUnknown?.(request.inputPath)) {
        throw new KoutuError('aipic.outcome-unknown', 'the request may have been processed', { detail: { outcomeUnknown: true } })
      }
      if (options.fixedOutput) {
        await access(request.inputPath).catch((error: unknown) => {
          throw new KoutuError('image.unreadable', `cannot read ${request.inputPath}`, { cause: error })
        })
        const { png, width, height } = options.fixedOutput
        const flags = options.flags?.(request.inputPath)
        return { data: png, format: 'png', width, height, notes: { engine: 'test' }, ...(flags ? { flags } : {}) }
      }
      const limit = Math.round(request.options.maxMegapixels * 1_000_000)
      let image: Sharp
      let width: number
      let height: number
      try {
        image = sharp(request.inputPath, { limitInputPixels: false, failOn: 'error' }).rotate()
        const meta = await sharp(request.inputPath, { limitInputPixels: false }).metadata()
        const swap = (meta.orientation ?? 1) >= 5
        width = swap ? meta.height : meta.width
        height = swap ? meta.width : meta.height
      } catch (error) {
        throw new KoutuError('image.unreadable', `cannot decode ${request.inputPath}`, { cause: error })
      }
      if (width * height > limit) {
        throw new KoutuError('image.too-large', `${width}x${height} is beyond ${request.options.maxMegapixels} MP`, {
          detail: { width, height },
        })
      }
      try {
        // removeAlpha() runs last in a sharp pipeline, so go through raw RGB before joining alpha.
        const raw = await image.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
        const rgb = sharp(raw.data, { raw: { width: raw.info.width, height: raw.info.height, channels: 3 } })
        const mask = await sharp(request.inputPath, { limitInputPixels: false })
          .rotate()
          .removeAlpha()
          .toColourspace('b-w')
          .raw()
          .toBuffer({ resolveWithObject: true })
        const cut = rgb.joinChannel(mask.data, {
          raw: { width: mask.info.width, height: mask.info.height, channels: mask.info.channels as 1 },
        })
        const data = request.options.format === 'webp' ? await cut.webp({ lossless: true }).toBuffer() : await cut.png().toBuffer()
        const flags = options.flags?.(request.inputPath)
        return { data, format: request.options.format, width, height, notes: { engine: 'test' }, ...(flags ? { flags } : {}) }
      } catch (error) {
        throw new KoutuError('image.unreadable', `cannot decode ${request.inputPath}`, { cause: error })
      }
    },
    async estimateCost(fileCount: number): Promise<CostEstimate | null> {
      if (options.cost === undefined || options.cost === null) return null
      return { needed: fileCount, available: options.cost.available }
    },
    async close(): Promise<void> {
      closed = true
    },
  }
}
