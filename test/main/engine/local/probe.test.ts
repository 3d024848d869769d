/**
 * The device probe's own loop (src/main/engine/local/probe.ts), on real onnxruntime sessions of
 * the tests' tiny models: when it times two variants to keep the faster, only one session
 * exists at any moment (ISNet medium's two side by side cost 2.3 GB), the winner's session is
 * the one handed back, created again only when a slower variant came after it, and every other
 * session is released.
 */
import { describe, expect, it } from 'vitest'
import type { ModelSpec } from '../../../../src/main/engine/local/model'
import { probeDevice, type ProbeVariant } from '../../../../src/main/engine/local/probe'
import { createMaskSession, type MaskSession } from '../../../../src/main/engine/local/session'
import type { ModelVariant } from '../../../../src/main/engine/local/devices'
import { tinyFp16Model, tinyFp32Model } from '../../../helpers/tiny-models'

const SIZE = 32
const spec: ModelSpec = { id: 'custom', inputSize: SIZE, mean: [0.5, 0.5, 0.5], std: [1, 1, 1], applySigmoid: false }
const probeInput = Uint8Array.from({ length: SIZE * SIZE * 3 }, (_, i) => (i * 37) % 256)

/** Sessions made through it are counted while alive; a variant named in `slow` runs 40 ms longer. */
function sessionFactory(slow: ModelVariant) {
  const live = new Set<MaskSession>()
  const created: ModelVariant[] = []
  let mostAlive = 0
  const create = async (variant: ModelVariant, bytes: Uint8Array): Promise<MaskSession> => {
    const session = await createMaskSession(bytes, spec, { threads: 1 })
    created.push(variant)
    const counted: MaskSession = {
      ...session,
      async runTensor(input) {
        if (variant === slow) await new Promise((resolve) => setTimeout(resolve, 40))
        return session.runTensor(input)
      },
      async release() {
        live.delete(counted)
        await session.release()
      },
    }
    live.add(counted)
    mostAlive = Math.max(mostAlive, live.size)
    return counted
  }
  return { live, created, create, mostAlive: () => mostAlive }
}

async function probe(slow: ModelVariant, pickFastest: boolean) {
  const sessions = sessionFactory(slow)
  // Which variant is being created: the probe loads a variant's bytes right before creating it.
  let loading: ModelVariant = 'bundled'
  const variant = (name: ModelVariant, bytes: Uint8Array): ProbeVariant => ({
    variant: name,
    load: async () => {
      loading = name
      return bytes
    },
  })
  const reference = await (async () => {
    const session = await createMaskSession(tinyFp32Model(SIZE), spec, { threads: 1 })
    const mask = await session.run(probeInput)
    await session.release()
    return mask
  })()
  const outcome = await probeDevice(
    {
      variants: [variant('bundled', tinyFp16Model(SIZE)), variant('fp32-twin', tinyFp32Model(SIZE))],
      createSession: (bytes) => sessions.create(loading, bytes),
      probeInput,
      reference: async () => reference,
      cpuMsPerRun: async () => 1,
    },
    { runs: 2, measureCpu: false, pickFastest },
  )
  return { ...outcome, sessions }
}

describe('the device probe', () => {
  it('times both variants one session at a time and keeps the later one when it is faster', async () => {
    const { result, session, sessions } = await probe('bundled', true)
    expect(result.passed).toBe(true)
    expect(result.variant).toBe('fp32-twin')
    expect(result.attempts.map((attempt) => attempt.failure)).toEqual([null, null])
    expect(sessions.mostAlive()).toBe(1)
    expect(sessions.created).toEqual(['bundled', 'fp32-twin'])
    expect([...sessions.live]).toEqual([session])
    await session!.release()
  })

  it('creates the earlier variant again when it won, and hands back a working session', async () => {
    const { result, session, sessions } = await probe('fp32-twin', true)
    expect(result.variant).toBe('bundled')
    expect(result.attempts[0]!.msPerRun!).toBeLessThan(result.attempts[1]!.msPerRun!)
    expect(sessions.mostAlive()).toBe(1)
    expect(sessions.created).toEqual(['bundled', 'fp32-twin', 'bundled'])
    expect([...sessions.live]).toEqual([session])
    const mask = await session!.run(probeInput)
    expect(mask.length).toBe(SIZE * SIZE)
    expect(new Set(mask).size).toBeGreaterThan(1)
    await session!.release()
  })

  it('keeps the first variant that passes when the fastest is not asked for', async () => {
    const { result, session, sessions } = await probe('bundled', false)
    expect(result.variant).toBe('bundled')
    expect(result.attempts).toHaveLength(1)
    expect(sessions.created).toEqual(['bundled'])
    expect([...sessions.live]).toEqual([session])
    await session!.release()
  })
})
