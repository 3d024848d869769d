/**
 * The probe that proves a device before the engine trusts it (runs inside the model process).
 *
 * [Note: device probe] A GPU provider can accept a session and still fail: on the first run (a
 * WebGPU adapter without `shader-f16` and an fp16 model), with NaN or garbage (driver bugs), by
 * hanging or by taking the process down. So on first use of a (device, model) pair the model
 * process creates the session, runs the probe photo a few times and compares the mask with the
 * CPU's reference mask for that photo: bundled for the built-in models (resources/probe, made by
 * our CPU path), computed on the CPU here for a user's own model. A device passes only with
 * finite output and a mask within tolerance of the reference; in Automatic mode it must also be
 * faster than the CPU (timed here, judged by the parent, so one verdict serves both modes). Hangs and crashes are the parent's to catch (a watchdog and the exit
 * event, see device-chooser.ts), since a hung native call cannot time itself out.
 * For ISNet medium the fp32 twin is tried when the bundled fp16 weights fail (no f16 on the
 * GPU) and, on the CPU, whichever of the two is faster is kept.
 */
import type { DeviceReason } from '../../../shared/device-status'
import type { ModelVariant } from './devices'
import { toMask, type MaskSession } from './session'

/** How closely a device's mask must match the CPU's reference for the probe photo. */
export const PROBE_TOLERANCE = {
  /** Mean absolute difference in 0..1 units (SwiftShader vs CPU on ISNet small: 0.002). */
  meanDifference: 0.01,
  /** Intersection over union of the masks thresholded at one half (SwiftShader: 0.998). */
  minIoU: 0.98,
}

export interface ProbeOptions {
  /** Timed runs after the warm-up run. */
  runs: number
  /** Also time the CPU, so the caller can reject a device that is not faster (Automatic mode). */
  measureCpu: boolean
  /** Keep the fastest passing variant instead of the first (the CPU, where both always work). */
  pickFastest: boolean
}

/** One way of loading the model, in the order to try. */
export interface ProbeVariant {
  variant: ModelVariant
  load(): Promise<Uint8Array>
}

export interface ProbeDeps {
  variants: ProbeVariant[]
  /** Create a session on the device under test. */
  createSession(model: Uint8Array): Promise<MaskSession>
  /** The probe photo at the model's input size, 8-bit RGB. */
  probeInput: Uint8Array
  /** The CPU's mask for the probe photo (bundled, or computed on the CPU). */
  reference(): Promise<Uint8Array>
  /** Milliseconds per run on the CPU, for `measureCpu`. */
  cpuMsPerRun(): Promise<number>
}

export interface VariantAttempt {
  variant: ModelVariant
  /** Null when it passed. */
  failure: DeviceReason | null
  msPerRun: number | null
  meanDifference: number | null
  iou: number | null
}

export interface ProbeResult {
  passed: boolean
  /** The variant that passed (and whose session is kept), or null. */
  variant: ModelVariant | null
  /** Why the device was rejected (every variant's failure, each with its variant). */
  reason: DeviceReason[] | null
  msPerRun: number | null
  cpuMsPerRun: number | null
  attempts: VariantAttempt[]
}

/** Mean absolute difference (0..1) and IoU at one half of two masks of equal size. */
export function compareMasks(mask: Uint8Array, reference: Uint8Array): { meanDifference: number; iou: number } {
  if (mask.length !== reference.length) return { meanDifference: 1, iou: 0 }
  let difference = 0
  let intersection = 0
  let union = 0
  for (let i = 0; i < mask.length; i++) {
    const a = mask[i]!
    const b = reference[i]!
    difference += a > b ? a - b : b - a
    const inA = a >= 128
    const inB = b >= 128
    if (inA && inB) intersection++
    if (inA || inB) union++
  }
  return { meanDifference: difference / mask.length / 255, iou: union === 0 ? 1 : intersection / union }
}

function hasNonFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return true
  return false
}

/** A probe's own verdict on a run that worked (as opposed to onnxruntime refusing to run). */
class ProbeFailure extends Error {
  constructor(readonly reason: DeviceReason) {
    super(reason.code)
  }
}

/**
 * Why a variant failed. onnxruntime words its own failures; the one every GPU without 16-bit
 * floats meets (WebGPU's "Program Transpose requires f16 but the device does not support it")
 * gets a code of its own, its words kept for the log.
 */
function reasonOf(error: unknown): DeviceReason {
  if (error instanceof ProbeFailure) return error.reason
  const message = error instanceof Error ? error.message : String(error)
  return /requires f16/i.test(message) ? { code: 'probe.f16Missing', params: { message } } : { code: 'probe.failed', params: { message } }
}

/**
 * Probe a device. Resolves with the verdict and, when it passed, the session of the passing
 * variant (kept, so the engine does not create it twice); every other session is released.
 *
 * Only one session exists at a time: when the fastest is wanted, the best so far is released
 * before the next variant is created, and created again at the end only if a later one did not
 * beat it. Side by side, ISNet medium's fp16 weights and fp32 twin took the model process to
 * 2.3 GB, where one session runs in 1.3 GB; the cost is one more session creation, once per
 * machine (the verdict is cached), and only when the bundled weights win.
 */
export async function probeDevice(deps: ProbeDeps, options: ProbeOptions): Promise<{ result: ProbeResult; session: MaskSession | null }> {
  const attempts: VariantAttempt[] = []
  let best: { session: MaskSession | null; attempt: VariantAttempt; candidate: ProbeVariant } | null = null
  const reference = await deps.reference()
  for (const candidate of deps.variants) {
    const attempt: VariantAttempt = { variant: candidate.variant, failure: null, msPerRun: null, meanDifference: null, iou: null }
    attempts.push(attempt)
    if (best?.session) {
      await best.session.release().catch(() => undefined)
      best.session = null
    }
    let session: MaskSession | null = null
    try {
      session = await deps.createSession(await candidate.load())
      const input = session.normalise(deps.probeInput)
      const times: number[] = []
      let output: Float32Array | null = null
      for (let run = 0; run <= options.runs; run++) {
        const started = performance.now()
        output = await session.runTensor(input)
        if (run > 0) times.push(performance.now() - started)
        if (hasNonFinite(output)) throw new ProbeFailure({ code: 'probe.nonFinite' })
      }
      const { meanDifference, iou } = compareMasks(toMask(output!, session.spec.applySigmoid), reference)
      attempt.meanDifference = meanDifference
      attempt.iou = iou
      attempt.msPerRun = times.length > 0 ? Math.min(...times) : null
      if (meanDifference > PROBE_TOLERANCE.meanDifference || iou < PROBE_TOLERANCE.minIoU) {
        throw new ProbeFailure({ code: 'probe.maskDiffers', params: { meanDifference: Number(meanDifference.toFixed(4)), iou: Number(iou.toFixed(3)) } })
      }
    } catch (error) {
      attempt.failure = reasonOf(error)
      await session?.release().catch(() => undefined)
      continue
    }
    if (!best || (attempt.msPerRun ?? Infinity) < (best.attempt.msPerRun ?? Infinity)) {
      best = { session, attempt, candidate }
    } else {
      await session.release().catch(() => undefined)
    }
    if (!options.pickFastest) break
  }
  if (!best) {
    const reason = attempts.map((attempt): DeviceReason => ({ ...attempt.failure!, variant: attempt.variant }))
    return { result: { passed: false, variant: null, reason, msPerRun: null, cpuMsPerRun: null, attempts }, session: null }
  }
  // The winner was released to make room for a slower variant after it: created again once.
  const session = best.session ?? (await deps.createSession(await best.candidate.load()))
  const cpuMsPerRun = options.measureCpu ? await deps.cpuMsPerRun() : null
  return {
    result: { passed: true, variant: best.attempt.variant, reason: null, msPerRun: best.attempt.msPerRun, cpuMsPerRun, attempts },
    session,
  }
}
