/**
 * The worker-side pipeline: path in, encoded cutout out, with the stages of consecutive images
 * overlapping. Runs inside the model process (worker-main.ts) but knows nothing about messages,
 * so tests and the benchmark also drive it directly.
 *
 * [Note: overlapping stages] Three stages per image:
 * 1. prepare: decode straight to the model's 1024² input (JPEG shrink-on-load: cheap, small);
 * 2. infer: session.run, one image at a time; it blocks this thread's JavaScript while it runs;
 * 3. finish: full decode, mask upscaling, edge decontamination, encoding (finish.ts).
 * Finishing runs on a second thread (createThreadFinisher), so its JavaScript (the foreground
 * estimation's edge pass, alpha loops) never waits for session.run and session.run never waits
 * for it; sharp's decodes and encodes run on libuv's pool in any case. While image n infers,
 * image n+1 is prepared and image n-1 finished. Finishing takes one image at a time, so at most
 * one full-size original is in memory beside the model: that is what bounds peak RSS.
 */
import { KoutuError } from '../../../shared/errors'
import type { OutputFormat } from '../../../shared/settings'
import type { QualityFlag } from '../../../shared/batch'
import { decodeForModel } from '../../imaging/decode'
import { qualityFlags } from '../../imaging/quality-flags'
import type { OutputOptions } from '../types'
import { createInlineFinisher, type Finisher } from './finish'
import { toMask, type MaskSession } from './session'

export interface PipelineResult {
  data: Uint8Array
  format: OutputFormat
  width: number
  height: number
  notes: Record<string, string>
  flags: QualityFlag[]
}

export class CutoutPipeline {
  private inferenceTail: Promise<void> = Promise.resolve()
  /** The model's float input, reused: inferences run one at a time (see infer). */
  private tensorBuffer: Float32Array | undefined
  private readonly cancelled = new Set<number>()
  private readonly finisher: Finisher

  constructor(
    private readonly session: MaskSession,
    options: { finisher?: Finisher } = {},
  ) {
    this.finisher = options.finisher ?? createInlineFinisher()
  }

  /** Forget job `id` as soon as possible: it rejects with `job.aborted` at its next stage. */
  cancel(id: number): void {
    this.cancelled.add(id)
  }

  /** Cut out one image. Jobs may be submitted concurrently; inferences run one at a time. */
  async process(id: number, inputPath: string, options: OutputOptions): Promise<PipelineResult> {
    try {
      const started = performance.now()
      const size = this.session.spec.inputSize
      const input = await decodeForModel(inputPath, size, { maxMegapixels: options.maxMegapixels })
      const prepareMs = performance.now() - started
      const { mask, inferMs } = await this.infer(id, input.rgb)
      this.checkCancelled(id)
      // Measured before finishing, which takes the mask's buffer over.
      const flags = qualityFlags(mask, size, size)
      const finished = await this.finisher.finish({
        inputPath,
        mask,
        maskSize: size,
        modelInput: input.rgb,
        width: input.width,
        height: input.height,
        options,
      })
      return {
        data: finished.data,
        format: finished.format,
        width: finished.width,
        height: finished.height,
        notes: {
          model: this.session.spec.id,
          ...(finished.emptyMask ? { crop: 'no subject found; full frame kept' } : {}),
          prepareMs: String(Math.round(prepareMs)),
          inferMs: String(Math.round(inferMs)),
          finishMs: String(Math.round(finished.finishMs)),
        },
        flags,
      }
    } finally {
      this.cancelled.delete(id)
    }
  }

  async close(): Promise<void> {
    await this.finisher.close()
  }

  /** Run the model for one job after every earlier job's inference (one session, one at a time). */
  private infer(id: number, modelInput: Buffer): Promise<{ mask: Uint8Array; inferMs: number }> {
    const run = this.inferenceTail.then(async () => {
      this.checkCancelled(id)
      const input = this.session.normalise(modelInput, this.tensorBuffer)
      this.tensorBuffer = input
      const start = performance.now()
      const output = await this.session.runTensor(input)
      const inferMs = performance.now() - start
      return { mask: toMask(output, this.session.spec.applySigmoid), inferMs }
    })
    this.inferenceTail = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }

  private checkCancelled(id: number): void {
    if (this.cancelled.has(id)) throw new KoutuError('job.aborted', 'Cancelled.')
  }
}
