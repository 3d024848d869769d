/**
 * The app as the farm's console (and, when asked, one of its workers): Settings → Farm keeps the
 * Redis URL in the settings and its password in the secret vault (encrypted, like the other
 * secrets; it never goes back to the renderer), "send to farm" enqueues dropped folders with the
 * app's settings, the Farm view reads the queue's status, and "work here" runs a farm worker in
 * the app with the app's own engines. Plain Node: the glue hands in the vault and the engines.
 */
import type { Redis } from 'ioredis'
import { KoutuError, serializeError } from '../../shared/errors'
import type { FarmSendResult, FarmViewState } from '../../shared/farm'
import type { Logger } from '../../shared/logger'
import type { EngineFactory } from '../batch/batch-service'
import type { SettingsService } from '../settings/settings-service'
import { enqueueFarmBatch } from './farm-enqueue'
import { connectRedis, redactRedisUrl, redisOptionsFromUrl } from './farm-queue'
import { readFarmStatus, retryFailedJobs } from './farm-status'
import { startFarmWorker, type FarmWorker } from './farm-worker'

/** The farm's Redis password in the secret vault. */
export interface FarmSecretStore {
  load(): Promise<string | null>
  save(password: string): Promise<void>
  clear(): Promise<void>
}

export interface FarmServiceDeps {
  settings: SettingsService
  password: FarmSecretStore
  /** The engines of the app's own batches (a worker here runs the same ones). */
  createEngine: EngineFactory
  logger: Logger
  /** Jobs this app works on at once when it is a worker (default 2). */
  workerConcurrency?: number
  /** Test knobs for the worker (lock expiry, heartbeat). */
  workerOptions?: { lockDurationMs?: number; heartbeatMs?: number }
}

export class FarmService {
  private redis: { key: string; client: Promise<Redis> } | null = null
  private worker: FarmWorker | null = null

  constructor(private readonly deps: FarmServiceDeps) {}

  /**
   * Saves the connection: the URL (a password inside it is moved to the vault), and the
   * password given apart (null: keep the stored one; '': forget it).
   */
  async setConnection(url: string, password: string | null): Promise<FarmViewState> {
    const trimmed = url.trim()
    let bare = ''
    let fromUrl: string | null = null
    if (trimmed !== '') {
      redisOptionsFromUrl(trimmed)
      const parsed = new URL(trimmed)
      if (parsed.password !== '') fromUrl = decodeURIComponent(parsed.password)
      parsed.password = ''
      bare = parsed.toString()
    }
    const secret = fromUrl ?? password
    if (secret === '' || trimmed === '') await this.deps.password.clear()
    else if (secret !== null) await this.deps.password.save(secret)
    this.deps.settings.set('farmRedisUrl', bare)
    await this.dropConnection()
    return this.state()
  }

  /** What the Farm view shows; never throws for an unreachable farm (the error is in the state). */
  async state(): Promise<FarmViewState> {
    const settings = this.deps.settings.get()
    const base: FarmViewState = {
      configured: settings.farmRedisUrl !== '',
      url: settings.farmRedisUrl === '' ? '' : redactRedisUrl(settings.farmRedisUrl),
      queue: settings.farmQueue,
      passwordStored: (await this.deps.password.load()) !== null,
      status: null,
      error: null,
      working: this.worker !== null,
      workerId: this.worker?.id ?? null,
    }
    if (!base.configured) return base
    try {
      return { ...base, status: await readFarmStatus(await this.client(), settings.farmQueue, { failureLimit: 20 }) }
    } catch (error) {
      await this.dropConnection()
      return { ...base, error: serializeError(error) }
    }
  }

  /** Enqueues dropped files and folders with the app's current settings. */
  async send(paths: readonly string[]): Promise<FarmSendResult> {
    const settings = this.deps.settings.get()
    const result = await enqueueFarmBatch(paths, settings, {
      redis: await this.connectionOptions(),
      queue: settings.farmQueue,
      logger: this.deps.logger,
    })
    return {
      batchId: result.batchId,
      found: result.found,
      added: result.added,
      alreadyQueued: result.alreadyQueued,
      alreadyDone: result.alreadyDone,
      problems: result.problems.length,
    }
  }

  async retryFailed(): Promise<number> {
    return retryFailedJobs(await this.client(), this.deps.settings.get().farmQueue)
  }

  /** Makes this app one of the farm's workers, or stops it (its photos in flight finish first). */
  async setWorking(on: boolean): Promise<FarmViewState> {
    if (on && this.worker === null) {
      this.worker = await startFarmWorker({
        redis: await this.connectionOptions(),
        queue: this.deps.settings.get().farmQueue,
        concurrency: this.deps.workerConcurrency ?? 2,
        createEngine: this.deps.createEngine,
        localDevice: () => this.deps.settings.get().localDevice,
        logger: this.deps.logger,
        ...this.deps.workerOptions,
      })
    } else if (!on && this.worker !== null) {
      const worker = this.worker
      this.worker = null
      await worker.close()
    }
    return this.state()
  }

  async dispose(): Promise<void> {
    const worker = this.worker
    this.worker = null
    await worker?.close().catch(() => undefined)
    await this.dropConnection()
  }

  private async connectionOptions() {
    const url = this.deps.settings.get().farmRedisUrl
    if (url === '') throw new KoutuError('farm.invalid-url', 'Set the farm’s Redis address in Settings → Farm first.')
    return redisOptionsFromUrl(url, await this.deps.password.load())
  }

  private async client(): Promise<Redis> {
    // The console's commands fail fast when Redis goes away (the view shows why) instead of
    // waiting for a reconnect as a worker's do.
    const options = { ...(await this.connectionOptions()), maxRetriesPerRequest: 1 }
    const key = JSON.stringify(options)
    if (this.redis?.key !== key) {
      await this.dropConnection()
      const client = connectRedis(options, 'The farm’s Redis')
      client.catch(() => undefined)
      this.redis = { key, client }
    }
    return this.redis!.client
  }

  private async dropConnection(): Promise<void> {
    const current = this.redis
    this.redis = null
    if (current) await current.client.then((client) => client.disconnect(), () => undefined)
  }
}
