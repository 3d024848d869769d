// The finishing pool's scheduling (createFinisherPool): a job goes to whichever finisher is free
// first and never queues behind a busy one, each finisher takes one job at a time, and a failed
// job fails alone. The finishers here are controllable in-process ones: what is tested is the
// pool's order, not finishing itself (finish-thread.test.ts and engine.test.ts do that for real).
import { describe, expect, it } from 'vitest'
import { createFinisherPool, type FinishJob, type FinishResult, type Finisher } from '../../../../src/main/engine/local/finish'

interface Held {
  job: FinishJob
  settle: (outcome: FinishResult | Error) => void
}

/** A finisher that holds each job until the test settles it, and records what it was given. */
function heldFinisher(name: string, log: string[]): Finisher & { held: Held[]; closed: boolean; busy: number; maxBusy: number } {
  const finisher = {
    held: [] as Held[],
    closed: false,
    busy: 0,
    maxBusy: 0,
    finish(job: FinishJob): Promise<FinishResult> {
      log.push(`${name}:${job.inputPath}`)
      finisher.busy++
      finisher.maxBusy = Math.max(finisher.maxBusy, finisher.busy)
      return new Promise<FinishResult>((resolve, reject) => {
        finisher.held.push({
          job,
          settle: (outcome) => {
            finisher.busy--
            if (outcome instanceof Error) reject(outcome)
            else resolve(outcome)
          },
        })
      })
    },
    async close() {
      finisher.closed = true
    },
  }
  return finisher
}

function job(name: string): FinishJob {
  return {
    inputPath: name,
    mask: new Uint8Array(4),
    maskSize: 2,
    width: 2,
    height: 2,
    options: { format: 'png', backgroundColor: null, maskOnly: false, cropMargin: null, decontaminateEdges: true, maxMegapixels: 100 },
  }
}

function result(name: string): FinishResult {
  return { data: new TextEncoder().encode(name), format: 'png', width: 2, height: 2, emptyMask: false, finishMs: 1 }
}

/** Let the pool's promise callbacks run. */
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('the finishing pool', () => {
  it('gives each job to the finisher that is free first, one job per finisher at a time', async () => {
    const log: string[] = []
    const a = heldFinisher('a', log)
    const b = heldFinisher('b', log)
    const pool = createFinisherPool([a, b])
    const big = pool.finish(job('big'))
    const small = pool.finish(job('small'))
    const third = pool.finish(job('third'))
    const fourth = pool.finish(job('fourth'))
    await settled()
    // Two jobs started on two finishers; the other two wait in the pool, not behind either.
    expect(log).toHaveLength(2)
    expect(new Set(log.map((entry) => entry.split(':')[0]))).toEqual(new Set(['a', 'b']))
    const onA = a.held[0]!.job.inputPath
    const smallOwner = onA === 'small' ? a : b
    const bigOwner = smallOwner === a ? b : a

    // The finisher holding the small photo is done first: the next job goes to it, even though
    // the other finisher has had its job longer.
    smallOwner.held[0]!.settle(result('small'))
    await expect(small).resolves.toMatchObject({ width: 2 })
    await settled()
    expect(log).toHaveLength(3)
    expect(log[2]).toBe(`${smallOwner === a ? 'a' : 'b'}:third`)

    // A failure fails that job only and frees its finisher for the next.
    smallOwner.held[1]!.settle(new Error('unreadable'))
    await expect(third).rejects.toThrow('unreadable')
    await settled()
    expect(log[3]).toBe(`${smallOwner === a ? 'a' : 'b'}:fourth`)

    bigOwner.held[0]!.settle(result('big'))
    smallOwner.held[2]!.settle(result('fourth'))
    expect(new TextDecoder().decode((await big).data)).toBe('big')
    expect(new TextDecoder().decode((await fourth).data)).toBe('fourth')
    expect(a.maxBusy).toBe(1)
    expect(b.maxBusy).toBe(1)

    await pool.close()
    expect(a.closed && b.closed).toBe(true)
  })

  it('is the finisher itself when there is only one', () => {
    const only = heldFinisher('only', [])
    expect(createFinisherPool([only])).toBe(only)
  })
})
