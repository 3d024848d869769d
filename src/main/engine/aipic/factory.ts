/**
 * Building the remote engine from the settings, for the batch engine's EngineFactory: the upload
 * chain (hosts, base URLs, litterbox expiry, the own bucket), the consent check and the
 * full-resolution setting all come from the settings at the moment a batch starts, so the app
 * and the command line wire the engine the same way.
 */
import type { Agents } from 'got'
import type { Logger } from '../../../shared/logger'
import type { Settings } from '../../../shared/settings'
import type { BatchSettingsSnapshot } from '../../../shared/batch'
import type { S3Credentials } from '../../upload/hosts/s3'
import { createUploader } from '../../upload/uploader'
import type { CutoutEngine } from '../types'
import { createAipicEngine, type RemoteAccount } from './index'

export interface RemoteEngineFactoryDeps {
  account: RemoteAccount
  /** The current settings (the command line passes its settings with the flags applied). */
  settings: () => Settings
  userAgent: string
  /** Proxy agents (net/proxy.ts), shared with the aipic client. */
  agent?: Agents
  /** The own bucket's keys, decrypted only when a batch uses the bucket. */
  s3Credentials?: () => Promise<S3Credentials | null>
  logger: Logger
  /** How to agree to uploads here (the app: "in the dialog"; the command line: "--allow-upload"). */
  consentHint?: string
  tempDir?: string
}

/** An EngineFactory for remote batches (`settings.engine === 'aipic'`). */
export function createRemoteEngineFactory(deps: RemoteEngineFactoryDeps): (snapshot: BatchSettingsSnapshot) => Promise<CutoutEngine> {
  return async () => {
    const settings = deps.settings()
    const credentials = settings.uploadHosts.includes('s3') && settings.s3 && deps.s3Credentials ? await deps.s3Credentials() : null
    const uploader = createUploader({
      hosts: settings.uploadHosts,
      userAgent: deps.userAgent,
      baseUrls: settings.uploadBaseUrls,
      litterboxExpiry: settings.litterboxExpiry,
      ...(settings.s3 && credentials ? { s3: { config: settings.s3, credentials } } : {}),
      ...(deps.agent ? { agent: deps.agent } : {}),
      logger: deps.logger,
    })
    return createAipicEngine({
      account: deps.account,
      uploader,
      consent: () => {
        const current = deps.settings()
        // The chain is fixed for this engine; consent is read fresh (a grant during a halt counts).
        return { ...current, uploadHosts: settings.uploadHosts, uploadBaseUrls: settings.uploadBaseUrls, litterboxExpiry: settings.litterboxExpiry }
      },
      uploadMaxMegapixels: settings.uploadMaxMegapixels,
      fullResolutionOutput: settings.fullResolutionOutput,
      concurrency: settings.remoteConcurrency,
      logger: deps.logger,
      ...(deps.consentHint ? { consentHint: deps.consentHint } : {}),
      ...(deps.tempDir ? { tempDir: deps.tempDir } : {}),
    })
  }
}
