/**
 * The parent side's decisions about devices, kept apart from the process plumbing in index.ts:
 * what to do with a candidate given its cached verdict, how to read a probe's result, and which
 * model variants a device may try. Pure functions, tested with injected platforms and verdicts.
 */
import type { DeviceReason, DeviceReasons } from '../../../shared/device-status'
import { describeReasons, inEnglish } from '../../../shared/device-texts'
import type { KoutuError } from '../../../shared/errors'
import type { LocalModelId } from '../../../shared/settings'
import { DEVICE_NAMES, type DeviceCandidate, type DevicePreference, type ModelVariant } from './devices'
import type { ProbeResult } from './probe'
import type { DeviceVerdict } from './verdicts'

/** What to do with one candidate (a skip's reason is English, for the log). */
export type CandidatePlan =
  | { action: 'use'; variant: ModelVariant }
  | { action: 'probe'; variants: ModelVariant[]; pickFastest: boolean; measureCpu: boolean }
  | { action: 'skip'; reason: string }

export interface PlanContext {
  preference: DevicePreference
  model: LocalModelId
  /** The fp32 twin needs a cache folder; without one only the bundled weights run. */
  twinAvailable: boolean
}

/** The variants a device may try, in order (the twin only exists for ISNet medium). */
export function variantsFor(candidate: DeviceCandidate, context: PlanContext): ModelVariant[] {
  // ISNet small is quint8: nothing to widen. A user's own model may be fp16 (its twin is built
  // in memory; an fp32 model fails that variant at once).
  if (context.model === 'isnet-small' || !context.twinAvailable) return ['bundled']
  // On a GPU the bundled fp16 weights first (half the memory traffic where f16 exists); on the
  // CPU both are timed and the faster is kept.
  return candidate.kind === 'cpu' || candidate.gpu ? ['bundled', 'fp32-twin'] : ['bundled']
}

/** The cached verdict is slower than the CPU: judged at use, so one verdict serves both modes. */
function slowerThanCpu(verdict: Pick<DeviceVerdict, 'msPerRun' | 'cpuMsPerRun'>): boolean {
  return verdict.msPerRun !== null && verdict.cpuMsPerRun !== null && verdict.msPerRun >= verdict.cpuMsPerRun
}

function ms(value: number | null): string {
  return value === null ? '?' : `${Math.round(value)} ms`
}

/** A verdict's reasons in English, for the log and for errors' messages. */
export function reasonsInEnglish(reasons: DeviceReasons | null, otherwise: string): string {
  return reasons === null || reasons.length === 0 ? otherwise : describeReasons(inEnglish, reasons)
}

/**
 * Why a model process failed, at one stage of a device's use: `engine.crashed` (the process
 * died; its exit code when it had one) or the model failing to load or run (onnxruntime's words).
 */
export function reasonOfFailure(stage: 'probe' | 'start' | 'batch', error: KoutuError): DeviceReason {
  if (error.code === 'engine.crashed') {
    const exitCode = error.detail.exitCode
    return { code: `${stage}.crashed`, ...(typeof exitCode === 'number' && exitCode >= 0 ? { params: { exitCode } } : {}) }
  }
  return { code: `${stage}.failed`, params: { message: error.message } }
}

/** Decide what to do with `candidate` given its verdict (null: never tested here). */
export function planCandidate(candidate: DeviceCandidate, verdict: DeviceVerdict | null, context: PlanContext): CandidatePlan {
  const name = DEVICE_NAMES[candidate.kind]
  const variants = variantsFor(candidate, context)
  if (!candidate.gpu) {
    // The CPU is the reference: it needs a probe only to choose between bundled and twin.
    if (variants.length === 1) return { action: 'use', variant: 'bundled' }
    if (verdict?.status === 'passed' && verdict.variant) return { action: 'use', variant: verdict.variant }
    return { action: 'probe', variants, pickFastest: true, measureCpu: false }
  }
  if (!verdict) return { action: 'probe', variants, pickFastest: false, measureCpu: true }
  switch (verdict.status) {
    case 'crashed':
    case 'probing':
      return { action: 'skip', reason: `${name} stopped the model process when tested (${reasonsInEnglish(verdict.reason, 'crash')}); not tried again until Settings → Test again` }
    case 'rejected':
      return { action: 'skip', reason: `${name} failed its test: ${reasonsInEnglish(verdict.reason, 'unknown reason')}` }
    case 'passed':
      if (context.preference === 'auto' && slowerThanCpu(verdict)) {
        return { action: 'skip', reason: `${name} is slower than the CPU (${ms(verdict.msPerRun)} vs ${ms(verdict.cpuMsPerRun)} per run)` }
      }
      return { action: 'use', variant: verdict.variant ?? 'bundled' }
  }
}

/** The verdict to store for a finished probe (a pass keeps why earlier variants failed). */
export function verdictOfProbe(result: ProbeResult, gpuName: string | null, now: Date): DeviceVerdict {
  const failures = result.attempts.flatMap((attempt): DeviceReason[] => (attempt.failure ? [{ ...attempt.failure, variant: attempt.variant }] : []))
  return {
    status: result.passed ? 'passed' : 'rejected',
    variant: result.variant,
    reason: result.reason ?? (failures.length > 0 ? failures : null),
    msPerRun: result.msPerRun,
    cpuMsPerRun: result.cpuMsPerRun,
    gpuName,
    testedAt: now.toISOString(),
  }
}
