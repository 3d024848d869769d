/**
 * The app's side of the farm through the same handler table the main process registers, against
 * a real Redis: the connection with its password in the secret vault, folders sent to the farm,
 * and the app itself working as a worker with the engines of its own batches ("Work here too"),
 * stopped cleanly. The engine is the sharp stand-in, through the app's remote-engine hook.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KEEP_COMPLETED } from '../../src/main/farm/farm-queue'
import { createTestApp, type TestApp } from '../helpers/app-services'
import { createTestEngine } from '../main/batch/helpers/sharp-test-engine'
import { listTree, makeTempDir, writeImage } from '../main/batch/helpers/fixtures'
import { startRedis, type RedisServer } from './helpers/redis-server'

let redis: RedisServer
let root: string
let app: TestApp | undefined

beforeEach(async () => {
  redis = await startRedis({ password: 'pw-app' })
  root = await makeTempDir('koutu-farm-app-')
})

afterEach(async () => {
  await app?.cleanup()
  app = undefined
  await redis.stop()
  await fs.rm(root, { recursive: true, force: true })
})

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value) || Date.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('the app and the farm', () => {
  it('sends folders to the farm and works on them itself, with the password only in the vault', async () => {
    const share = path.join(root, 'Shoot')
    for (const name of ['a.jpg', 'b.jpg', 'c.png']) await writeImage(path.join(share, 'set', name))
    const calls: string[] = []
    app = await createTestApp({
      userDataDir: path.join(root, 'user-data'),
      settings: { engine: 'aipic' },
      createRemoteEngine: () => {
        calls.push('engine')
        return createTestEngine({ kind: 'aipic', delayMs: 50 })
      },
    })
    const { table } = app
    expect((await table.getFarmState.run()).configured).toBe(false)
    await expect(table.sendToFarm.run([share])).rejects.toMatchObject({ code: 'farm.invalid-url' })
    await expect(table.setFarmConnection.run('http://example.com', null)).rejects.toMatchObject({ code: 'farm.invalid-url' })

    const state = await table.setFarmConnection.run(redis.url, 'pw-app')
    expect(state).toMatchObject({ configured: true, passwordStored: true, error: null, working: false })
    expect(state.status).toMatchObject({ waiting: 0, done: 0 })
    expect(JSON.stringify(app.settingsOnDisk())).not.toContain('pw-app')
    // A URL carrying a password is refused as a setting: it must go through the vault.
    await expect(Promise.resolve().then(() => table.setSetting.run('farmRedisUrl', `redis://:pw-app@127.0.0.1:${redis.port}`))).rejects.toMatchObject({ code: 'settings.invalid' })

    expect(await table.sendToFarm.run([share])).toMatchObject({ found: 3, added: 3, alreadyQueued: 0, alreadyDone: 0, problems: 0 })
    expect(await table.sendToFarm.run([share])).toMatchObject({ added: 0, alreadyQueued: 3 })

    const working = await table.setFarmWorking.run(true)
    expect(working.working).toBe(true)
    const finished = await until(
      async () => table.getFarmState.run(),
      (current) => current.status?.done === 3 && current.status.workers[0]?.done === 3,
    )
    expect(finished.status).toMatchObject({ done: 3, failed: 0, waiting: 0, active: 0 })
    expect(finished.status!.workers).toEqual([expect.objectContaining({ id: finished.workerId, done: 3 })])
    expect(calls).toEqual(['engine'])
    expect(await listTree(share)).toEqual(['set/a-cutout.png', 'set/a.jpg', 'set/b-cutout.png', 'set/b.jpg', 'set/c-cutout.png', 'set/c.png'])
    // Finished job records are bounded.
    const job = await redis.client.hget(`koutu:farm:${(await redis.client.keys('koutu:farm:p*'))[0]!.split(':')[2]}`, 'opts')
    expect(JSON.parse(job!)).toMatchObject({ removeOnComplete: KEEP_COMPLETED })

    const stopped = await table.setFarmWorking.run(false)
    expect(stopped).toMatchObject({ working: false, workerId: null })
    expect(stopped.status!.workers).toEqual([])

    // Forgetting the password: the farm now refuses the app, and says so.
    const forgotten = await table.setFarmConnection.run(redis.url, '')
    expect(forgotten).toMatchObject({ passwordStored: false, status: null, error: { code: 'farm.unreachable' } })
  })
})
