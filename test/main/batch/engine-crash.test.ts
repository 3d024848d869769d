/**
 * The real local engine's model process killed with SIGKILL in the middle of a batch: the file
 * in hand is retried on a fresh engine, and the batch finishes with every file done.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BatchService } from '../../../src/main/batch/batch-service'
import { createForkSpawner, createLocalEngine, type WorkerHandle } from '../../../src/main/engine/local/index'
import { silentLogger } from '../../../src/shared/logger'
import { DEFAULT_SETTINGS } from '../../../src/shared/settings'
import { makeTempDir, writeImage } from './helpers/fixtures'
import { WORKER_SOURCE } from './helpers/local-engine'

let root: string

beforeAll(async () => {
  root = await makeTempDir('koutu-engine-crash-')
})

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true })
})

describe('an engine crash mid-batch', () => {
  it('retries the file on a fresh engine and goes on', async () => {
    const photos = path.join(root, 'photos')
    for (let index = 0; index < 3; index += 1) await writeImage(path.join(photos, `p${index}.jpg`), { width: 80, height: 60 })
    const workers: WorkerHandle[] = []
    const fork = createForkSpawner({ modulePath: WORKER_SOURCE, execArgv: ['--import', 'tsx'] })
    let engines = 0
    const service = new BatchService({
      createEngine: (snapshot) => {
        engines += 1
        return createLocalEngine({
          model: snapshot.localModel,
          customModel: null,
          // One CPU model process per engine, so workers[0] is the one serving (no device probe).
          device: 'cpu',
          logger: silentLogger,
          spawnWorker: (spec) => {
            const handle = fork(spec)
            workers.push(handle)
            return handle
          },
        })
      },
      settings: () => ({ ...DEFAULT_SETTINGS, localConcurrency: 1 }),
      journalDir: path.join(root, 'journal'),
      logger: silentLogger,
    })
    let killed = false
    service.onItemStatus((change) => {
      // The first file is done and the second just went in: kill the model process under it.
      if (!killed && change.status === 'working' && change.id === 2) {
        killed = true
        setTimeout(() => process.kill(workers[0]!.pid!, 'SIGKILL'), 50)
      }
    })
    await service.addPaths([photos])
    await service.start()
    const progress = await service.whenFinished()
    await service.shutdown()
    expect(killed).toBe(true)
    expect(progress).toMatchObject({ done: 3, failed: 0 })
    expect(engines).toBe(2)
    expect(workers).toHaveLength(2)
    const second = service.item(2)!
    expect(second.notes?.attempts).toBe('2')
    for (const item of service.items()) {
      const meta = await sharp(item.outputPath!).metadata()
      expect([meta.hasAlpha, meta.width, meta.height]).toEqual([true, 80, 60])
    }
  })
})
