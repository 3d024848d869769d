/** Waiting for a farm to finish, read through the same status as `koutu farm status`. */
import { readFarmStatus, type FarmStatus } from '../../../src/main/farm/farm-status'
import type { RedisServer } from './redis-server'

/** Waits until nothing is waiting, active or delayed and every job has an outcome. */
export async function waitForFarm(redisServer: RedisServer, queue: string, total: number, timeoutMs = 90_000): Promise<FarmStatus> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const status = await readFarmStatus(redisServer.client, queue)
    const finished = status.done + status.skipped + status.failed + status.unknown
    if (status.waiting + status.active + status.delayed === 0 && finished >= total) return status
    if (Date.now() > deadline) throw new Error(`farm not finished: ${JSON.stringify({ ...status, workers: status.workers.length })}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

