/**
 * A farm worker process for the tests and the benchmark: the real startFarmWorker (BullMQ, Redis,
 * the shared per-photo work, claims) with an engine chosen by the test, in its own process so a
 * test can SIGKILL it mid-batch. Run with `node --import tsx worker-child.ts '<json config>'`.
 * Prints one JSON line per event on stdout: ready, outcome (per job), closed.
 */
import { AccountService } from '../../../src/main/aipic/account'
import { createAipicClient } from '../../../src/main/aipic/client'
import { MemoryVault } from '../../../src/main/aipic/secret-vault'
import type { EngineFactory } from '../../../src/main/batch/batch-service'
import { createRemoteEngineFactory } from '../../../src/main/engine/aipic/factory'
import { redisOptionsFromUrl } from '../../../src/main/farm/farm-queue'
import { startFarmWorker } from '../../../src/main/farm/farm-worker'
import { parsePathMapping } from '../../../src/main/farm/path-map'
import { createStderrLogger } from '../../../src/main/logging/stderr-logger'
import { DEFAULT_SETTINGS, type Settings } from '../../../src/shared/settings'
import { createTestEngine } from '../../main/batch/helpers/sharp-test-engine'
import { MapStore, TEST_USER_AGENT } from '../../main/engine/aipic/harness'

export type ChildEngine =
  | { kind: 'sharp'; delayMs?: number }
  /** Waits `delayMs` and returns a fixed tiny PNG (the benchmark: a GPU or a remote service's pace, no CPU). */
  | { kind: 'sleep'; delayMs: number }
  | { kind: 'aipic'; apiUrl: string; litterboxUrl: string; uguuUrl: string; deviceId: string; tempDir: string }

export interface ChildConfig {
  redisUrl: string
  queue: string
  concurrency: number
  lockMs: number
  heartbeatMs?: number
  map?: string[]
  engine: ChildEngine
}

const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
)

function emit(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig
const logger = createStderrLogger(process.env.KOUTU_FARM_CHILD_DEBUG ? 'debug' : 'warn')

async function engineFactory(engine: ChildEngine): Promise<EngineFactory> {
  if (engine.kind === 'sharp') return () => createTestEngine({ delayMs: engine.delayMs ?? 0 })
  if (engine.kind === 'sleep') {
    return () => ({
      kind: 'local',
      defaultConcurrency: 1,
      async process(request, signal) {
        await new Promise((resolve) => setTimeout(resolve, engine.delayMs))
        signal.throwIfAborted()
        return { data: TINY_PNG, format: request.options.format, width: 1, height: 1, notes: {} }
      },
      estimateCost: async () => null,
      close: async () => undefined,
    })
  }
  const client = createAipicClient({
    baseUrl: engine.apiUrl,
    userAgent: TEST_USER_AGENT,
    logger,
    retry: { limit: 1, baseDelayMs: 10 },
  })
  const account = new AccountService({
    client,
    store: new MapStore(),
    vault: new MemoryVault(),
    tokenStorageReason: 'unavailable',
    logger,
    // Every worker spends the same device's credits, as the machines of one studio would one account's.
    newDeviceId: () => engine.deviceId,
  })
  await account.init()
  const settings: Settings = {
    ...DEFAULT_SETTINGS,
    engine: 'aipic',
    uploadHosts: ['litterbox', 'uguu'],
    uploadConsent: ['litterbox', 'uguu'],
    uploadBaseUrls: { litterbox: engine.litterboxUrl, uguu: engine.uguuUrl },
    remoteConcurrency: 1,
  }
  return createRemoteEngineFactory({ account, settings: () => settings, userAgent: TEST_USER_AGENT, logger, tempDir: engine.tempDir })
}

const worker = await startFarmWorker({
  redis: redisOptionsFromUrl(config.redisUrl),
  queue: config.queue,
  concurrency: config.concurrency,
  pathMap: (config.map ?? []).map(parsePathMapping),
  createEngine: await engineFactory(config.engine),
  logger,
  lockDurationMs: config.lockMs,
  heartbeatMs: config.heartbeatMs ?? 1000,
  onOutcome: (jobId, outcome, inputPath) => emit({ event: 'outcome', jobId, status: outcome.status, inputPath, code: outcome.error?.code }),
})
emit({ event: 'ready', id: worker.id, pid: process.pid })
process.once('SIGTERM', () => {
  void worker.close().then(() => {
    emit({ event: 'closed', stats: worker.stats() })
    process.exit(0)
  })
})
