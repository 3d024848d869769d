/**
 * What the device probe compares against (see [Note: device probe] in probe.ts): the probe photo
 * at the model's input size, the CPU's reference mask for it, and the CPU's time per run.
 * For the bundled models the reference ships in resources/probe (scripts/make-probe-references.ts
 * made it with our CPU path); for a user's own model, and for the CPU timing, a CPU session of
 * the bundled weights is created here, once, and released when the probe is over.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { KoutuError } from '../../../shared/errors'
import { decodeForModel } from '../../imaging/decode'
import type { ResolvedModel } from './model'
import type { MaskSession } from './session'

export interface ProbeMaterial {
  input: Uint8Array
  reference(): Promise<Uint8Array>
  cpuMsPerRun(): Promise<number>
  release(): Promise<void>
}

/** CPU runs timed for the comparison (after one warm-up); the fastest counts. */
const CPU_TIMED_RUNS = 2

export async function loadProbeMaterial(
  model: ResolvedModel,
  probeDir: string,
  createCpuSession: () => Promise<MaskSession>,
): Promise<ProbeMaterial> {
  const size = model.spec.inputSize
  let input: Uint8Array
  try {
    input = (await decodeForModel(join(probeDir, 'probe.jpg'), size, { maxMegapixels: 100 })).rgb
  } catch (cause) {
    throw new KoutuError('engine.model-missing', `The device test photo is missing from ${probeDir}. Reinstall the app.`, { cause })
  }
  let cpu: Promise<MaskSession> | null = null
  const cpuSession = (): Promise<MaskSession> => (cpu ??= createCpuSession())
  let cpuMask: Promise<Uint8Array> | null = null
  const referenceFile = join(probeDir, `${model.spec.id}.png`)
  return {
    input,
    reference() {
      if (model.spec.id !== 'custom' && existsSync(referenceFile)) {
        return sharp(referenceFile)
          .extractChannel(0)
          .raw()
          .toBuffer()
          .then((data) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
      }
      return (cpuMask ??= cpuSession().then((session) => session.run(input)))
    },
    async cpuMsPerRun() {
      const session = await cpuSession()
      const tensor = session.normalise(input)
      let fastest = Infinity
      for (let run = 0; run <= CPU_TIMED_RUNS; run++) {
        const started = performance.now()
        await session.runTensor(tensor)
        if (run > 0) fastest = Math.min(fastest, performance.now() - started)
      }
      return fastest
    },
    async release() {
      if (cpu) await (await cpu).release().catch(() => undefined)
    },
  }
}

/**
 * The probe folder: `probe` beside the app's resources when packaged (electron-builder's
 * extraResources), else resources/probe of the source tree (tests, command line from source).
 */
export function defaultProbeDir(): string {
  const resourcesPath = (process as { resourcesPath?: string }).resourcesPath
  if (resourcesPath && existsSync(join(resourcesPath, 'probe', 'probe.jpg'))) return join(resourcesPath, 'probe')
  for (const relative of ['../../../../resources/probe', '../../resources/probe', '../resources/probe']) {
    const candidate = fileURLToPath(new URL(relative, import.meta.url))
    if (existsSync(join(candidate, 'probe.jpg'))) return candidate
  }
  return fileURLToPath(new URL('../../../../resources/probe', import.meta.url))
}
