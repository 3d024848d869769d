/**
 * The aipic engine on the farm, against the aipic stand-in and the upload-host stand-ins on
 * loopback, with real Redis and real worker processes sharing one device's credits. A worker is
 * SIGKILLed the moment its cutout request reaches the service (the service still does the work
 * and charges): its job comes back to another worker after the lock expires, finds the claim
 * taken, and is marked unknown instead of being paid for twice. Credits spent = photos done +
 * the one unknown, and no photo was sent twice.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { enqueueFarmBatch } from '../../src/main/farm/farm-enqueue'
import { farmKeys, redisOptionsFromUrl } from '../../src/main/farm/farm-queue'
import { readFarmStatus, retryFailedJobs } from '../../src/main/farm/farm-status'
import { DEFAULT_SETTINGS, type Settings } from '../../src/shared/settings'
import { startAipicStandin, type AipicStandin } from '../standins/aipic-server'
import { startLitterboxStandin, type FileHostStandin } from '../standins/hosts/litterbox'
import { startUguuStandin } from '../standins/hosts/uguu'
import { listTree, makeTempDir, sha256, writeImage } from '../main/batch/helpers/fixtures'
import { recordingLogger } from '../main/engine/aipic/harness'
import { startRedis, type RedisServer } from './helpers/redis-server'
import { waitForFarm } from './helpers/farm-wait'
import { startWorkerProcess, stopWorker, type WorkerProcess } from './helpers/workers'

const DEVICE = 'farm-device-0001'
const CUTOUT = 'rm_pic_bg_with_uuid'

let redis: RedisServer
let root: string
let aipic: AipicStandin
let litterbox: FileHostStandin
let uguu: FileHostStandin
const workers: WorkerProcess[] = []
let onCutoutRequest: (() => void) | null = null

beforeEach(async () => {
  redis = await startRedis()
  root = await makeTempDir('koutu-farm-aipic-')
  ;[aipic, litterbox, uguu] = await Promise.all([
    startAipicStandin({
      initialDeviceCredit: 50,
      fixedCode: '1234',
      // Long enough that a worker can die between sending a cutout and hearing the reply.
      faults: { processingMs: 400 },
      onRequest: (entry) => {
        if (entry.endpoint === CUTOUT) onCutoutRequest?.()
      },
    }),
    startLitterboxStandin(),
    startUguuStandin(),
  ])
})

afterEach(async () => {
  onCutoutRequest = null
  await Promise.all(workers.splice(0).map((worker) => stopWorker(worker, 5000)))
  await Promise.all([redis.stop(), aipic.close(), litterbox.close(), uguu.close()])
  await fs.rm(root, { recursive: true, force: true })
})

function credit(): number {
  return aipic.state.devices.get(DEVICE)?.credit ?? aipic.state.initialDeviceCredit
}

describe('farm: the aipic engine', () => {
  it('spends one credit per photo sent, never twice, also when a worker dies right after sending a cutout request', async () => {
    const share = path.join(root, 'Catalogue')
    const originals: string[] = []
    for (let index = 0; index < 8; index += 1) {
      const file = path.join(share, index < 4 ? 'shoes' : 'bags', `item-${index}.jpg`)
      await writeImage(file, { width: 64 + index * 4, height: 48 })
      originals.push(file)
    }
    const hashes = await Promise.all(originals.map((file) => sha256(file)))
    const settings: Settings = { ...DEFAULT_SETTINGS, engine: 'aipic' }
    const enqueued = await enqueueFarmBatch([share], settings, { redis: redisOptionsFromUrl(redis.url), queue: 'farm', logger: recordingLogger() })
    expect(enqueued.added).toBe(originals.length)

    const config = {
      redisUrl: redis.url,
      queue: 'farm',
      concurrency: 1,
      lockMs: 1500,
      engine: { kind: 'aipic' as const, apiUrl: aipic.url, litterboxUrl: litterbox.url, uguuUrl: uguu.url, deviceId: DEVICE, tempDir: root },
    }
    const victim = startWorkerProcess(config)
    workers.push(victim)
    // The first cutout request to reach the service: its sender dies before the reply.
    const killed = new Promise<void>((resolve) => {
      onCutoutRequest = () => {
        onCutoutRequest = null
        victim.child.kill('SIGKILL')
        resolve()
      }
    })
    await killed
    expect((await victim.exited).signal).toBe('SIGKILL')
    expect(victim.outcomes()).toEqual([])
    workers.push(startWorkerProcess(config), startWorkerProcess(config))
    const status = await waitForFarm(redis, 'farm', originals.length, 120_000)

    expect(status).toMatchObject({ done: originals.length - 1, unknown: 1, failed: 0, skipped: 0 })
    const cutoutRequests = aipic.state.requests.filter((entry) => entry.endpoint === CUTOUT)
    const spent = 50 - credit()
    // Every cutout sent was charged once; the lost one counts as unknown, never as a second request.
    expect(spent).toBe(aipic.state.history.length)
    expect(cutoutRequests).toHaveLength(spent)
    expect(spent).toBe(status.done + status.unknown)
    expect(status.failures).toHaveLength(1)
    expect(status.failures[0]).toMatchObject({ status: 'unknown', error: { code: 'aipic.outcome-unknown' } })
    const lostPhoto = status.failures[0]!.inputPath

    // Outputs: one per done photo, none for the lost one; originals unchanged.
    const outputs = (await listTree(share)).filter((file) => file.includes('-cutout'))
    expect(outputs).toHaveLength(originals.length - 1)
    expect(outputs.some((file) => file.startsWith(path.relative(share, lostPhoto).replace(/\.jpg$/, '')))).toBe(false)
    expect(await Promise.all(originals.map((file) => sha256(file)))).toEqual(hashes)
    // The claim of the unknown job stays (it may be charged); the done ones were dropped.
    const claims = await redis.client.keys(`${farmKeys('farm').base}:claim:*`)
    expect(claims).toHaveLength(1)

    // retry-failed leaves unknown jobs alone unless asked: no credit is spent.
    expect(await retryFailedJobs(redis.client, 'farm')).toBe(0)
    expect((await readFarmStatus(redis.client, 'farm')).waiting).toBe(0)
    expect(50 - credit()).toBe(spent)
  }, 180_000)
})
