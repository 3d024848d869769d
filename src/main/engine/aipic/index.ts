/**
 * The remote (aipic) engine: the CutoutEngine that sends each photo to the aipic service. Per
 * file: check upload consent, prepare and upload the photo to a temporary host (upload/), ask
 * aipic for the cutout (rm_pic_bg logged in, rm_pic_bg_with_uuid in device mode, through
 * AccountService), download the result, and render it at full resolution with the user's output
 * options (apply-result.ts, on worker threads: finish-pool.ts).
 *
 * [Note: remote pipeline] At most `concurrency` (default 4) cutouts are at the service at once
 * (a Gate around the cutout request). The batch engine is asked for `extraInFlight` (default:
 * as many again) more files than that, so while the service works on four photos, the next four
 * are prepared and uploaded and the finished ones are downloaded and composited: the service's
 * slots never wait on local work. Each local stage is bounded on its own: uploads (with their
 * preparation) `concurrency` at once, compositing 2 at once (CPU and memory).
 *
 * Errors that concern the whole batch (no credit, session gone, no host, no consent) are marked
 * to halt it with the remaining files queued (halting.ts). A cutout is never sent twice:
 * `aipic.outcome-unknown` goes to the batch as is and becomes the file status `unknown`.
 */
import type { AccountIdentity, AccountState } from '../../../shared/account'
import { KoutuError, isKoutuError } from '../../../shared/errors'
import type { Logger } from '../../../shared/logger'
import { wasCharged } from '../../batch/engine-errors'
import { probePixels } from '../../imaging/decode'
import { requireConsent, type ConsentSettings } from '../../upload/consent'
import { uploadPhoto, type PhotoUpload } from '../../upload/upload-photo'
import type { Uploader } from '../../upload/uploader'
import type { CostEstimate, CutoutEngine, CutoutRequest, CutoutResult } from '../types'
import { createFinishPool, type FinishPool, type FinishPoolOptions } from './finish-pool'
import { Gate } from './gate'
import { isBatchLevelFailure, markHalting } from './halting'

/** What the engine needs from the account (AccountService implements it). */
export interface RemoteAccount {
  getState(): AccountState
  cutout(imgUrl: string, signal?: AbortSignal, expectIdentity?: AccountIdentity): Promise<{ resultUrl: string; identity: AccountIdentity }>
  downloadResult(resultUrl: string, signal?: AbortSignal): Promise<Uint8Array>
  creditsLeft(signal?: AbortSignal): Promise<number>
  refreshCredits(signal?: AbortSignal): Promise<AccountState>
}

export interface AipicEngineOptions {
  account: RemoteAccount
  /** The fallback chain of upload hosts (upload/uploader.ts). */
  uploader: Uploader
  /**
   * The consent settings, read before every upload (a grant made while the batch is halted
   * applies when it resumes). Its `uploadHosts` must be the uploader's chain.
   */
  consent: () => ConsentSettings
  /** Uploads above this many megapixels are downscaled (settings.uploadMaxMegapixels). */
  uploadMaxMegapixels: number
  /** Apply the returned alpha to the original pixels at full size (settings.fullResolutionOutput). */
  fullResolutionOutput: boolean
  logger: Logger
  /** How the command line or the app tells the user to agree (ends the consent error's message). */
  consentHint?: string
  /** Where converted uploads are written for a moment (default: the OS temp folder). */
  tempDir?: string
  /** Cutouts at the service at once (default 4; settings.remoteConcurrency). */
  concurrency?: number
  /** Files in flight beyond `concurrency`, uploading ahead and compositing behind (default: `concurrency`). */
  extraInFlight?: number
  /** Outputs composited at once (default 2) and where (worker threads unless `inProcess`). */
  finishing?: Omit<FinishPoolOptions, 'logger'>
  /** Time allowed for the credit refresh when the engine closes (default 5 s). */
  closeRefreshTimeoutMs?: number
}

export const DEFAULT_REMOTE_CONCURRENCY = 4
/** How long a credit count fetched for an estimate is reused (the batch asks twice at start). */
const CREDITS_REUSE_MS = 3000

/** Creates the engine for one batch; the account's identity now is the one the batch runs as. */
export function createAipicEngine(options: AipicEngineOptions): CutoutEngine {
  return new AipicEngine(options)
}

class AipicEngine implements CutoutEngine {
  readonly kind = 'aipic' as const
  readonly defaultConcurrency: number
  readonly extraInFlight: number
  /** The identity the batch began with; a session ending mid-batch must not fall back to device credits. */
  private readonly identity: AccountIdentity
  private closed = false
  private used = false
  private readonly uploads: Gate
  private readonly cutouts: Gate
  private readonly finishing: Gate
  private readonly pool: FinishPool

  constructor(private readonly options: AipicEngineOptions) {
    this.defaultConcurrency = options.concurrency ?? DEFAULT_REMOTE_CONCURRENCY
    // One wave of files uploading ahead while the service works on the current one, so the
    // service's slots never wait for local work (see [Note: remote pipeline]).
    this.extraInFlight = options.extraInFlight ?? this.defaultConcurrency
    this.identity = options.account.getState().identity
    this.uploads = new Gate(this.defaultConcurrency)
    this.cutouts = new Gate(this.defaultConcurrency)
    this.finishing = new Gate(options.finishing?.size ?? 2)
    this.pool = createFinishPool({ ...options.finishing, logger: options.logger })
  }

  /** Credits fetched for the last estimate; the batch asks twice in a row when it starts. */
  private recentCredits: { at: number; value: Promise<number> } | null = null

  async estimateCost(fileCount: number): Promise<CostEstimate> {
    this.checkConsent()
    // A batch is about to start: the compositing threads start up while credits are fetched.
    this.pool.warm()
    let available: number | null = null
    try {
      const now = Date.now()
      if (this.recentCredits === null || now - this.recentCredits.at > CREDITS_REUSE_MS) {
        this.recentCredits = { at: now, value: this.options.account.creditsLeft() }
      }
      const pending = this.recentCredits.value
      pending.catch(() => {
        if (this.recentCredits?.value === pending) this.recentCredits = null
      })
      available = await pending
    } catch (error) {
      // No session any more: the batch cannot run as the user expects; say so before it starts.
      if (isKoutuError(error, 'aipic.session-expired') || isKoutuError(error, 'aipic.not-logged-in')) throw error
      this.options.logger.warn('aipic: credits could not be fetched for the cost estimate', { code: codeOf(error) })
    }
    return { needed: fileCount, available }
  }

  async process(request: CutoutRequest, signal: AbortSignal): Promise<CutoutResult> {
    if (this.closed) throw new KoutuError('engine.closed', 'The aipic engine was closed.')
    this.used = true
    try {
      return await this.run(request, signal)
    } catch (error) {
      throw this.classify(error, signal)
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.pool.close()
    if (!this.used) return
    // The account counts credits down locally; one fetch after the batch shows the true figure.
    try {
      await this.options.account.refreshCredits(AbortSignal.timeout(this.options.closeRefreshTimeoutMs ?? 5000))
    } catch (error) {
      this.options.logger.warn('aipic: credits could not be refreshed after the batch', { code: codeOf(error) })
    }
  }

  private async run({ inputPath, options }: CutoutRequest, signal: AbortSignal): Promise<CutoutResult> {
    const { logger } = this.options
    signal.throwIfAborted()
    this.checkConsent()
    await refuseTooLarge(inputPath, options.maxMegapixels)

    const upload: PhotoUpload = await this.uploads.run(
      () =>
        uploadPhoto(inputPath, this.options.uploader, {
          signal,
          prepare: {
            maxMegapixels: this.options.uploadMaxMegapixels,
            maxInputMegapixels: options.maxMegapixels,
            logger,
            ...(this.options.tempDir ? { tempDir: this.options.tempDir } : {}),
          },
        }),
      signal,
    )
    signal.throwIfAborted()

    // [Note: paid work is finished] From here on a credit may be spent (see [Note: aipic
    // retries and spent credits]). A cancel or quit after this point would throw the paid result
    // away and requeue the file, spending a second credit on it later, so `signal` only stops
    // the wait for a cutout slot: the request, the download and the compositing then run to
    // the end (bounded by the client's timeouts) and the batch engine saves the result.
    const { resultUrl, identity } = await this.cutouts.run(() => this.options.account.cutout(upload.url, undefined, this.identity), signal)
    let resultBytes: Uint8Array
    try {
      resultBytes = await this.options.account.downloadResult(resultUrl)
    } catch (error) {
      throw chargedButLost(error)
    }
    const finished = await this.finishing
      .run(() =>
        this.pool.run({
          inputPath,
          resultBytes,
          original: { width: upload.prepared.original.width, height: upload.prepared.original.height },
          options: { ...options, fullResolution: this.options.fullResolutionOutput },
          maxResultMegapixels: Math.max(options.maxMegapixels, this.options.uploadMaxMegapixels),
        }),
      )
      .catch((error: unknown) => {
        throw chargedButLost(error)
      })
    if (finished.opaque) logger.warn('aipic returned a cutout without any transparent pixel', { host: upload.host })

    const notes: Record<string, string> = { host: upload.host, identity }
    if (upload.failed.length > 0) notes.failedHosts = upload.failed.map((attempt) => attempt.host).join(',')
    if (upload.prepared.scale !== 1) notes.uploaded = `${upload.prepared.uploaded.width}x${upload.prepared.uploaded.height}`
    if (finished.opaque) notes.opaqueResult = 'true'
    return { data: finished.data, format: finished.format, width: finished.width, height: finished.height, notes, flags: finished.flags }
  }

  private checkConsent(): void {
    requireConsent(this.options.consent(), this.options.consentHint)
  }

  /** Maps a failure to what the batch engine should do with it. */
  private classify(error: unknown, signal: AbortSignal): unknown {
    if (isKoutuError(error, 'job.aborted')) return error
    // A failure after the credit was spent stays what it is, cancelled or not: see
    // [Note: paid work is finished].
    if (signal.aborted && !wasCharged(error)) return new KoutuError('job.aborted', 'Stopped before the photo was finished.', { cause: error })
    if (isBatchLevelFailure(error)) return markHalting(error)
    return error
  }
}

/** Refuses originals above the megapixel limit BEFORE anything is uploaded or spent. */
async function refuseTooLarge(inputPath: string, maxMegapixels: number): Promise<void> {
  const pixels = await probePixels(inputPath)
  if (pixels !== null && pixels > maxMegapixels * 1_000_000) {
    const megapixels = Math.round(pixels / 100_000) / 10
    throw new KoutuError(
      'image.too-large',
      `${inputPath} has ${megapixels} megapixels, more than the limit of ${maxMegapixels}. Raise the limit in the settings or downscale the image first.`,
      { detail: { path: inputPath, megapixels, limit: maxMegapixels } },
    )
  }
}

/** A result that could not be fetched or read after the cutout was made: say that it was charged. */
function chargedButLost(error: unknown): unknown {
  if (!(error instanceof KoutuError) || error.code === 'job.aborted') return error
  if (error.code === 'engine.crashed' || error.code === 'engine.closed' || error.code === 'internal.unexpected') {
    // Never a crash code here: the batch engine retries those, which would spend a second credit.
    return new KoutuError('remote.finish-failed', `The cutout was made (and charged), but the output could not be composed (${error.message}).`, {
      detail: { charged: true },
      cause: error,
    })
  }
  return new KoutuError(error.code, `${error.message} The cutout was made (and charged), but its result could not be used.`, {
    detail: { ...error.detail, charged: true },
    cause: error,
  })
}

function codeOf(error: unknown): string {
  return error instanceof KoutuError ? error.code : String(error)
}
