/** The counting gate of the remote pipeline: order, the limit, and leaving the line on abort. */
import { expect, it } from 'vitest'
import { Gate } from '../../../../src/main/engine/aipic/gate'

it('lets `size` holders in, the rest in order, and a waiter that aborts leaves without holding', async () => {
  const gate = new Gate(2)
  const order: string[] = []
  const releases: Array<() => void> = []
  const hold = (name: string, signal?: AbortSignal) =>
    gate.run(
      () =>
        new Promise<void>((resolve) => {
          order.push(name)
          releases.push(resolve)
        }),
      signal,
    )
  const a = hold('a')
  const b = hold('b')
  const controller = new AbortController()
  const c = hold('c', controller.signal)
  const d = hold('d')
  await Promise.resolve()
  expect(order).toEqual(['a', 'b'])
  expect(gate.active).toBe(2)
  controller.abort(new Error('stop c'))
  await expect(c).rejects.toThrow('stop c')
  releases[0]!()
  await a
  await new Promise((resolve) => setImmediate(resolve))
  expect(order).toEqual(['a', 'b', 'd'])
  releases[1]!()
  releases[2]!()
  await Promise.all([b, d])
  expect(gate.active).toBe(0)
  expect(() => new Gate(0)).toThrow(RangeError)
})
