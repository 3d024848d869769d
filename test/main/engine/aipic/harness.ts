/**
 * The remote route on loopback for the engine tests and the benchmark: the aipic stand-in, two
 * upload-host stand-ins (litterbox, uguu), a real AccountService and the real batch engine
 * driving the real aipic engine built from settings. Nothing is mocked: every photo is uploaded
 * over HTTP, fetched by the aipic stand-in over HTTP, and the result downloaded over HTTP.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AccountService } from '../../../../src/main/aipic/account'
import { createAipicClient, type AipicClientOptions } from '../../../../src/main/aipic/client'
import { MemoryVault } from '../../../../src/main/aipic/secret-vault'
import { BatchService } from '../../../../src/main/batch/batch-service'
import { createRemoteEngineFactory } from '../../../../src/main/engine/aipic/factory'
import type { RemoteAccount } from '../../../../src/main/engine/aipic/index'
import type { S3Credentials } from '../../../../src/main/upload/hosts/s3'
import type { KeyValueStore } from '../../../../src/main/settings/key-value-store'
import type { Logger } from '../../../../src/shared/logger'
import { DEFAULT_SETTINGS, type Settings } from '../../../../src/shared/settings'
import { startAipicStandin, type AipicFaults, type AipicStandin, type ReplyStyleName } from '../../../standins/aipic-server'
import { startLitterboxStandin, type FileHostStandin } from '../../../standins/hosts/litterbox'
import { startUguuStandin } from '../../../standins/hosts/uguu'

export const TEST_USER_AGENT = 'Koutu/0.1.0-test (+https://github.com/koutu/koutu)'

export class MapStore implements KeyValueStore {
  readonly data = new Map<string, unknown>()
  get(key: string): unknown {
    return this.data.get(key)
  }
  set(key: string, value: unknown): void {
    this.data.set(key, structuredClone(value))
  }
  delete(key: string): void {
    this.data.delete(key)
  }
  entries(): Record<string, unknown> {
    return Object.fromEntries(this.data)
  }
}

/** A Logger that keeps every line, to check what the per-file log says. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${fields ? JSON.stringify(fields) : ''}`)
  }
  return { lines, debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
}

export interface World {
  aipic: AipicStandin
  litterbox: FileHostStandin
  uguu: FileHostStandin
  account: AccountService
  logger: Logger & { lines: string[] }
  tempRoot: string
  close(): Promise<void>
}

export interface WorldOptions {
  faults?: Partial<AipicFaults>
  initialDeviceCredit?: number
  initialUserCredit?: number
  client?: Partial<AipicClientOptions>
  /** How the aipic stand-in labels and spells its JSON (default `json`). */
  replyStyle?: ReplyStyleName
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const [aipic, litterbox, uguu, tempRoot] = await Promise.all([
    startAipicStandin({
      initialDeviceCredit: options.initialDeviceCredit ?? 100,
      initialUserCredit: options.initialUserCredit ?? 100,
      fixedCode: '1234',
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.replyStyle ? { replyStyle: options.replyStyle } : {}),
    }),
    startLitterboxStandin(),
    startUguuStandin(),
    mkdtemp(join(tmpdir(), 'koutu-remote-')),
  ])
  const logger = recordingLogger()
  const client = createAipicClient({
    baseUrl: aipic.url,
    userAgent: TEST_USER_AGENT,
    logger,
    retry: { limit: 1, baseDelayMs: 10 },
    timeouts: { connect: 3000, send: 5000, response: 5000, cutoutResponse: 20_000, idle: 20_000, total: 20_000, cutoutTotal: 30_000, download: 20_000 },
    ...options.client,
  })
  const account = new AccountService({ client, store: new MapStore(), vault: new MemoryVault(), tokenStorageReason: 'unavailable', logger })
  await account.init()
  return {
    aipic,
    litterbox,
    uguu,
    account,
    logger,
    tempRoot,
    async close() {
      await Promise.all([aipic.close(), litterbox.close(), uguu.close()])
      await rm(tempRoot, { recursive: true, force: true })
    },
  }
}

/** Remote settings pointing at the world's stand-ins, consent given to both hosts. */
export function remoteSettings(world: World, overrides: Partial<Settings> = {}): Settings {
  return {
    ...DEFAULT_SETTINGS,
    engine: 'aipic',
    uploadHosts: ['litterbox', 'uguu'],
    uploadConsent: ['litterbox', 'uguu'],
    uploadBaseUrls: { litterbox: world.litterbox.url, uguu: world.uguu.url },
    costConfirmThreshold: 100000,
    ...overrides,
  }
}

export interface Batch {
  service: BatchService
  settings: { current: Settings }
}

/** A batch engine running the aipic engine built from `settings` (changeable via `settings.current`). */
export function remoteBatch(
  world: World,
  settings: Settings,
  account: RemoteAccount = world.account,
  s3Credentials?: () => Promise<S3Credentials | null>,
): Batch {
  const holder = { current: settings }
  const service = new BatchService({
    createEngine: createRemoteEngineFactory({
      account,
      settings: () => holder.current,
      userAgent: TEST_USER_AGENT,
      logger: world.logger,
      tempDir: world.tempRoot,
      ...(s3Credentials ? { s3Credentials } : {}),
    }),
    settings: () => holder.current,
    journalDir: join(world.tempRoot, `journal-${Math.random().toString(36).slice(2)}`),
    logger: world.logger,
    origin: 'test',
  })
  return { service, settings: holder }
}

/** The device's credit at the stand-in. */
export function deviceCredit(world: World): number {
  return world.aipic.state.devices.get(world.account.deviceId)?.credit ?? world.aipic.state.initialDeviceCredit
}
