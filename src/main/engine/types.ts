/**
 * The engine interface: what the batch engine needs from anything that turns one photo into a
 * cutout. The local ISNet engine (engine/local) and the remote aipic engine (engine/aipic)
 * both implement it; the batch engine never knows which one it drives.
 *
 * An engine reads the original itself (it never modifies it) and returns the encoded output
 * bytes; writing them next to the original, atomically, is the batch engine's job.
 */
import type { QualityFlag } from '../../shared/batch'
import type { EngineKind, OutputFormat } from '../../shared/settings'

/** How the cutout is rendered and encoded. Shared by both engines (see imaging/compose). */
export interface OutputOptions {
  format: OutputFormat
  /** null: transparent background; otherwise '#rrggbb' painted behind the subject. */
  backgroundColor: string | null
  /** Emit the alpha mask as a grayscale image instead of the cutout. */
  maskOnly: boolean
  /** null: keep the full frame; otherwise crop to the subject with this margin (pixels). */
  cropMargin: number | null
  /** Estimate the foreground colour in soft edges so no halo of the old background remains. */
  decontaminateEdges: boolean
  /** Refuse images with more than this many megapixels. */
  maxMegapixels: number
}

export interface CutoutRequest {
  /** Absolute path of the original. Read-only for the engine. */
  inputPath: string
  options: OutputOptions
}

export interface CutoutResult {
  /** The encoded output file (PNG or WebP). */
  data: Uint8Array
  format: OutputFormat
  width: number
  height: number
  /** Short facts for the per-file log, e.g. `{ host: 'litterbox' }` or `{ model: 'isnet-medium' }`. */
  notes: Record<string, string>
  /** Quality flags from the mask (see imaging/quality-flags.ts); absent from engines that do not measure. */
  flags?: QualityFlag[]
}

/** What a batch will cost before it starts; null from engines that are free. */
export interface CostEstimate {
  /** Credits the batch needs (one per file that will be processed). */
  needed: number
  /** Credits left for the current identity; null when they could not be fetched. */
  available: number | null
}

export interface CutoutEngine {
  readonly kind: EngineKind
  /** How many `process` calls the batch engine should keep in flight by default. */
  readonly defaultConcurrency: number
  /**
   * Files the batch engine may keep in flight beyond its concurrency setting, for an engine that
   * bounds its costly stage itself: the aipic engine keeps at most `remoteConcurrency` cutouts at
   * the service and uses the extra files to upload ahead and composite behind, so the service
   * never waits on local work. Absent means 0.
   */
  readonly extraInFlight?: number
  /**
   * Cut out one image. Rejects with a KoutuError whose code says why (unreadable image,
   * too large, engine crashed, out of credit, …). Rejects promptly with `job.aborted` when
   * `signal` aborts.
   */
  process(request: CutoutRequest, signal: AbortSignal): Promise<CutoutResult>
  /** Cost of processing `fileCount` files, or null when the engine is free. */
  estimateCost(fileCount: number): Promise<CostEstimate | null>
  /** Release the engine (stop its process, close sockets). Idempotent. */
  close(): Promise<void>
}
