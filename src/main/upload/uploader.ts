/**
 * The ordered fallback over upload hosts. Hosts are tried in the user's order; a host that is
 * unreachable, answers 5xx (or 408/413/429), answers something that is not a URL, or gives a URL
 * too long for the API is skipped for the next one. A cancel stops at once, and a plain refusal
 * (a 4xx such as a bad bucket signature) stops too, because it is a setup error to fix, not an
 * outage to route around. The result says which host took the file and which failed and why,
 * for the per-file log.
 */
import type { Agents } from 'got'
import { KoutuError, serializeError, type SerializedError } from '../../shared/errors'
import type { Logger } from '../../shared/logger'
import { silentLogger } from '../../shared/logger'
import type { UploadHostId } from '../../shared/settings'
import { createHostHttp, FALLBACK_CODES, type HostHttp, type UploadTimeouts } from './host-http'
import { createLitterboxHost, type LitterboxExpiry } from './hosts/litterbox'
import { createS3Host, type S3BucketConfig, type S3Credentials } from './hosts/s3'
import { createTmpfilesHost } from './hosts/tmpfiles'
import { createUguuHost } from './hosts/uguu'
import type { PreparedUpload, UploadCallOptions, UploadHost, UploadResult } from './types'

export interface UploaderOptions {
  /** Hosts in fallback order, e.g. `settings.uploadHosts`. */
  hosts: readonly UploadHostId[]
  /** e.g. `Koutu/0.1.0 (+https://github.com/koutu/koutu)`. */
  userAgent: string
  /** Overrides of each host's base URL (self-hosting, tests); `settings.uploadBaseUrls`. */
  baseUrls?: Partial<Record<UploadHostId, string>>
  litterboxExpiry?: LitterboxExpiry
  /** Required when `hosts` includes 's3'. */
  s3?: { config: S3BucketConfig; credentials: S3Credentials; retentionHours?: number | null }
  /** Per-request agents (proxies), from net/proxy.ts. */
  agent?: Agents
  timeouts?: Partial<UploadTimeouts>
  maxResponseBytes?: number
  maxUrlLength?: number
  logger?: Logger
  /** Replaces the built-in adapters (tests, future hosts). */
  createHost?: (id: UploadHostId, http: HostHttp) => UploadHost
}

/** One host that was tried and failed, in order. */
export interface FailedAttempt {
  host: UploadHostId
  error: SerializedError
}

export interface UploaderResult extends UploadResult {
  /** Hosts tried before `host`, with why each failed; empty when the first host worked. */
  failed: FailedAttempt[]
}

export interface Uploader {
  readonly hosts: readonly UploadHostId[]
  upload(file: PreparedUpload, options?: UploadCallOptions): Promise<UploaderResult>
}

export function createUploader(options: UploaderOptions): Uploader {
  if (options.hosts.length === 0) {
    throw new KoutuError('upload.not-configured', 'No upload host is selected.', { detail: {} })
  }
  const logger = options.logger ?? silentLogger
  const http = createHostHttp({
    userAgent: options.userAgent,
    logger,
    ...(options.agent ? { agent: options.agent } : {}),
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    ...(options.maxResponseBytes ? { maxResponseBytes: options.maxResponseBytes } : {}),
  })
  const create = options.createHost ?? ((id: UploadHostId, client: HostHttp) => createBuiltInHost(id, client, options))
  // Built lazily so a misconfigured later host (an unfinished bucket) only fails when reached.
  const built = new Map<UploadHostId, UploadHost>()
  const hostFor = (id: UploadHostId): UploadHost => {
    let host = built.get(id)
    if (!host) {
      host = create(id, http)
      built.set(id, host)
    }
    return host
  }

  async function upload(file: PreparedUpload, call: UploadCallOptions = {}): Promise<UploaderResult> {
    const failed: FailedAttempt[] = []
    for (const id of options.hosts) {
      try {
        const result = await hostFor(id).upload(file, call)
        logger.info('uploaded', { host: id, failedHosts: failed.map((attempt) => attempt.host) })
        return { ...result, failed }
      } catch (error) {
        const koutu = error instanceof KoutuError ? error : new KoutuError('upload.network', String(error), { detail: { host: id }, cause: error })
        failed.push({ host: id, error: serializeError(koutu) })
        if (!FALLBACK_CODES.has(koutu.code) && koutu.code !== 'upload.not-configured') {
          logger.warn('upload stopped', { host: id, code: koutu.code })
          throw koutu
        }
        logger.warn('upload host failed, trying the next', { host: id, code: koutu.code, reason: koutu.message })
      }
    }
    throw allFailed(failed)
  }

  return { hosts: [...options.hosts], upload }
}

function allFailed(failed: FailedAttempt[]): KoutuError {
  const summary = failed.map((attempt) => `${attempt.host}: ${attempt.error.message}`).join('; ')
  return new KoutuError('upload.all-hosts-failed', `No upload host took the file (${summary}).`, {
    detail: {
      hosts: failed.map((attempt) => attempt.host).join(','),
      codes: failed.map((attempt) => attempt.error.code).join(','),
      summary,
    },
  })
}

function createBuiltInHost(id: UploadHostId, http: HostHttp, options: UploaderOptions): UploadHost {
  const baseUrl = options.baseUrls?.[id]
  const common = { http, ...(baseUrl ? { baseUrl } : {}), ...(options.maxUrlLength ? { maxUrlLength: options.maxUrlLength } : {}) }
  switch (id) {
    case 'litterbox':
      return createLitterboxHost({ ...common, ...(options.litterboxExpiry ? { expiry: options.litterboxExpiry } : {}) })
    case 'uguu':
      return createUguuHost(common)
    case 'tmpfiles':
      return createTmpfilesHost(common)
    case 's3': {
      if (!options.s3) {
        throw new KoutuError('upload.not-configured', 'The own bucket is selected but not set up.', { detail: { host: 's3' } })
      }
      // The bucket's base URL override replaces its endpoint (self-hosted MinIO, tests).
      const config = baseUrl ? { ...options.s3.config, endpoint: baseUrl } : options.s3.config
      return createS3Host({
        http,
        config,
        credentials: options.s3.credentials,
        retentionHours: options.s3.retentionHours ?? null,
        ...(options.maxUrlLength ? { maxUrlLength: options.maxUrlLength } : {}),
      })
    }
  }
}
