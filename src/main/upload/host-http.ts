/**
 * The one HTTP client every upload host goes through: got configured with the app's User-Agent,
 * a timeout on every phase, no automatic retry (the uploader falls back to the next host
 * instead, so a slow host never costs several full re-uploads), a cap on the response size and
 * upload progress. It also owns the mapping from got's failures to `upload.*` error codes, so
 * every adapter reports the same way.
 */
import got, { type Agents, type Headers, RequestError, TimeoutError } from 'got'
import type { Readable } from 'node:stream'
import { KoutuError } from '../../shared/errors'
import type { ErrorCode } from '../../shared/error-codes'
import type { Logger } from '../../shared/logger'
import { silentLogger } from '../../shared/logger'
import type { UploadHostId } from '../../shared/settings'
import type { UploadProgress } from './types'

/** Milliseconds per request phase (see got's `timeout` option). */
export interface UploadTimeouts {
  lookup: number
  connect: number
  secureConnect: number
  /** Idle socket: no byte either way for this long. */
  socket: number
  /** Writing the whole body; generous because photos are large and uplinks slow. */
  send: number
  /** From the end of the body to the first byte of the answer (the host stores the file). */
  response: number
}

export const DEFAULT_UPLOAD_TIMEOUTS: UploadTimeouts = {
  lookup: 10_000,
  connect: 15_000,
  secureConnect: 15_000,
  socket: 60_000,
  send: 10 * 60_000,
  response: 120_000,
}

/** Hosts answer with a URL or a small JSON or XML document; anything bigger is not an answer. */
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024

/**
 * The User-Agent for every host, e.g. `Koutu/0.1.0 (+https://github.com/koutu/koutu)`: litterbox
 * drops library defaults, and a named client is what the hosts' rules ask for.
 */
export function appUserAgent(version: string, homepage = 'https://github.com/koutu/koutu'): string {
  return `Koutu/${version} (+${homepage})`
}

export interface HostHttpOptions {
  /** e.g. `Koutu/0.1.0 (+https://github.com/koutu/koutu)`; litterbox drops clients without one. */
  userAgent: string
  /** Per-request agents, e.g. from net/proxy.ts; undefined uses Node's global agents. */
  agent?: Agents
  timeouts?: Partial<UploadTimeouts>
  maxResponseBytes?: number
  logger?: Logger
}

export interface HostRequest {
  host: UploadHostId
  method: 'POST' | 'PUT'
  url: string
  /** Spec FormData (streamed by got's form-data-encoder), a stream, or bytes. */
  body: FormData | Readable | Buffer
  headers?: Headers
  signal?: AbortSignal
  onProgress?: (progress: UploadProgress) => void
}

export interface HostResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

export interface HostHttp {
  send(request: HostRequest): Promise<HostResponse>
  readonly userAgent: string
}

/** Statuses after which another host may well succeed; other 4xx mean this request is wrong. */
const FALLBACK_STATUSES = new Set([408, 413, 425, 429])

/**
 * Error codes after which the uploader tries the next host. `upload.rejected` (a 4xx such as a
 * bad S3 signature) and `job.aborted` stop the chain: retrying elsewhere would hide a
 * configuration error or ignore the user's cancel.
 */
export const FALLBACK_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'upload.network',
  'upload.timeout',
  'upload.host-error',
  'upload.bad-response',
  'upload.response-too-large',
  'upload.url-too-long',
])

export function createHostHttp(options: HostHttpOptions): HostHttp {
  const timeouts = { ...DEFAULT_UPLOAD_TIMEOUTS, ...options.timeouts }
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
  const logger = options.logger ?? silentLogger
  const client = got.extend({
    headers: { 'user-agent': options.userAgent },
    timeout: timeouts,
    retry: { limit: 0 },
    throwHttpErrors: false,
    followRedirect: false,
    responseType: 'text',
    ...(options.agent ? { agent: options.agent } : {}),
  })

  async function send(request: HostRequest): Promise<HostResponse> {
    const { host, signal } = request
    throwIfAborted(signal, host)
    const call = client(request.url, {
      method: request.method,
      body: request.body,
      headers: request.headers ?? {},
      ...(signal ? { signal } : {}),
    })
    let tooLarge = false
    call.on('uploadProgress', (progress) => {
      // A write callback can still fire after a cancel; the caller has moved on by then.
      if (signal?.aborted) return
      request.onProgress?.({ host, transferred: progress.transferred, total: progress.total })
    })
    call.on('downloadProgress', (progress) => {
      const declared = progress.total ?? 0
      if (!tooLarge && (progress.transferred > maxResponseBytes || declared > maxResponseBytes)) {
        tooLarge = true
        call.cancel()
      }
    })
    try {
      const response = await call
      logger.debug('upload host answered', { host, status: response.statusCode })
      return { statusCode: response.statusCode, headers: response.headers, body: response.body }
    } catch (error) {
      if (signal?.aborted) throw abortedError(host, error)
      if (tooLarge) {
        throw new KoutuError('upload.response-too-large', `${host} sent an answer over ${maxResponseBytes} bytes.`, {
          detail: { host, limit: maxResponseBytes },
        })
      }
      throw mapRequestError(host, error)
    }
  }

  return { send, userAgent: options.userAgent }
}

/**
 * Turns a non-2xx status into the right error; returns normally on 2xx. Adapters call it first
 * and then parse the body themselves.
 */
export function assertSuccessStatus(host: UploadHostId, response: HostResponse): void {
  const status = response.statusCode
  if (status >= 200 && status < 300) return
  const excerpt = bodyExcerpt(response.body)
  const detail = { host, status, body: excerpt }
  if (status >= 500 || FALLBACK_STATUSES.has(status)) {
    throw new KoutuError('upload.host-error', `${host} answered HTTP ${status}; it may be down or busy.`, { detail })
  }
  throw new KoutuError('upload.rejected', `${host} refused the upload with HTTP ${status}: ${excerpt}`, { detail })
}

/** An unexpected answer, with a short excerpt of it for the log (never the whole body). */
export function badResponse(host: UploadHostId, what: string, body: string): KoutuError {
  return new KoutuError('upload.bad-response', `${host} answered with ${what}.`, {
    detail: { host, body: bodyExcerpt(body) },
  })
}

export function bodyExcerpt(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim()
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat
}

export function throwIfAborted(signal: AbortSignal | undefined, host: UploadHostId): void {
  if (signal?.aborted) throw abortedError(host, signal.reason)
}

function abortedError(host: UploadHostId, cause: unknown): KoutuError {
  return new KoutuError('job.aborted', `The upload to ${host} was cancelled.`, { detail: { host }, cause })
}

function mapRequestError(host: UploadHostId, error: unknown): KoutuError {
  if (error instanceof TimeoutError) {
    return new KoutuError('upload.timeout', `${host} did not answer in time (${error.event} phase).`, {
      detail: { host, phase: error.event },
      cause: error,
    })
  }
  const code = error instanceof RequestError ? error.code : undefined
  const message = error instanceof Error ? error.message : String(error)
  return new KoutuError('upload.network', `Could not reach ${host}: ${message}`, {
    detail: { host, reason: code ?? message },
    cause: error,
  })
}
