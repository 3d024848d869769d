/**
 * The typed aipic HTTP client: one function per documented endpoint (plus the download of a
 * result image), all built on ONE configured `got` instance. It owns the wire rules:
 * requests are checked against the documented limits before anything is sent, replies are parsed
 * through schemas (src/main/aipic/schemas.ts), and every way a reply can go wrong becomes a
 * KoutuError with its own code.
 *
 * [Note: aipic retries and spent credits] Only idempotent reads (credits, history, ad, result
 * download) are retried, on network errors and 5xx, with backoff. Login, SMS and both cutout
 * endpoints are sent at most once. A cutout spends a credit, so when it fails after the request
 * was fully sent (a timeout waiting for the reply, a dropped connection, an error page, a reply
 * that does not parse) the outcome is unknown: it becomes `aipic.outcome-unknown` and the caller
 * (the remote engine) marks the file so the user decides, rather than sending it again.
 */
import got, { type Agents, type Got, RequestError, HTTPError, TimeoutError } from 'got'
import type { z } from 'zod'
import type { AdInfo, HistoryPage } from '../../shared/account'
import { KoutuError, isKoutuError } from '../../shared/errors'
import type { Logger } from '../../shared/logger'
import { AipicError } from './errors'
import {
  type AipicEndpoint,
  type AipicReply,
  type AipicRequest,
  describeIssues,
  endpointPath,
  envelopeSchema,
  replySchemas,
  requestSchemas,
} from './schemas'

/** The real service; settings may point elsewhere (the stand-in, a mirror). */
export const DEFAULT_AIPIC_BASE_URL = 'https://aipic.lufff.com'

/** Time limits in milliseconds. got has none by default; every phase gets one here. */
export interface AipicTimeouts {
  /** DNS lookup, TCP connect and TLS handshake, each. */
  connect: number
  /** Writing the request body. */
  send: number
  /** From the request sent to the first byte of the reply (reads, login, SMS). */
  response: number
  /** The same for the two cutout endpoints, where the service downloads and processes the image. */
  cutoutResponse: number
  /** Longest silence on the socket while a reply body is arriving. */
  idle: number
  /** The whole exchange (reads, login, SMS). */
  total: number
  /** The whole exchange for the cutout endpoints. */
  cutoutTotal: number
  /** The whole download of a result image. */
  download: number
}

export const DEFAULT_AIPIC_TIMEOUTS: AipicTimeouts = {
  connect: 10_000,
  send: 15_000,
  response: 20_000,
  cutoutResponse: 90_000,
  idle: 20_000,
  total: 45_000,
  cutoutTotal: 120_000,
  download: 120_000,
}

export interface AipicClientOptions {
  /** e.g. https://aipic.lufff.com; a trailing slash or path prefix is kept. */
  baseUrl: string
  /** e.g. `Koutu/0.1.0 (+https://github.com/koutu/koutu)`. */
  userAgent: string
  logger: Logger
  /** HTTP(S) agents from the proxy layer (src/main/net); the default agents otherwise. */
  agent?: Agents
  timeouts?: Partial<AipicTimeouts>
  /** Largest API reply accepted, in bytes (replies are small JSON). Default 1 MiB. */
  maxResponseBytes?: number
  /** Largest result image accepted, in bytes. Default 100 MiB. */
  maxResultBytes?: number
  /** Retries of idempotent reads, and the first backoff delay (doubled each time). */
  retry?: { limit?: number; baseDelayMs?: number }
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal
}

/** The client: one function per endpoint. Arguments use the wire names, so they read like the document. */
export interface AipicClient {
  readonly baseUrl: string
  /** send_sms_vcode. Both documented reply shapes are accepted; `phone` is echoed when the server sends it. */
  sendSmsCode(request: AipicRequest<'send_sms_vcode'>, options?: CallOptions): Promise<{ phone: string | null }>
  /** login_with_phone_and_vcode. `customerId` is the record id as the string later calls send. */
  login(
    request: AipicRequest<'login_with_phone_and_vcode'>,
    options?: CallOptions,
  ): Promise<{ customerId: string; token: string; phone: string | null; credit: number | null }>
  /** rm_pic_bg: spends one credit of the logged-in account. Never retried. */
  removeBackground(request: AipicRequest<'rm_pic_bg'>, options?: CallOptions): Promise<{ resultUrl: string }>
  /** rm_pic_bg_with_uuid: spends one credit of the device id. Never retried. */
  removeBackgroundWithUuid(request: AipicRequest<'rm_pic_bg_with_uuid'>, options?: CallOptions): Promise<{ resultUrl: string }>
  /** get_rm_bg_list. */
  getHistory(request: AipicRequest<'get_rm_bg_list'>, options?: CallOptions): Promise<HistoryPage>
  /** get_left_credit_by_phone. */
  getCreditByPhone(request: AipicRequest<'get_left_credit_by_phone'>, options?: CallOptions): Promise<number>
  /** get_left_credit_by_unikey. */
  getCreditByUnikey(request: AipicRequest<'get_left_credit_by_unikey'>, options?: CallOptions): Promise<number>
  /** get_one_ad; null when the service has none. */
  getAd(options?: CallOptions): Promise<AdInfo | null>
  /** Downloads a result image (`rm_bg_pic_url`). Retried like a read; 404 is `aipic.result-unavailable`. */
  fetchResult(url: string, options?: CallOptions): Promise<Uint8Array>
}

type CallKind = 'read' | 'once' | 'spend'

const READ_RETRY_STATUS = [500, 502, 503, 504, 520, 521, 522, 524]
const READ_RETRY_ERRORS = ['ETIMEDOUT', 'ECONNRESET', 'EADDRINUSE', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'ENETUNREACH', 'EAI_AGAIN']

/** Thrown inside a call when the size cap aborts it; never escapes. */
const SIZE_CAP = Symbol('size cap')

export function createAipicClient(options: AipicClientOptions): AipicClient {
  const { logger } = options
  const baseUrl = options.baseUrl.replace(/\/+$/, '')
  const timeouts: AipicTimeouts = { ...DEFAULT_AIPIC_TIMEOUTS, ...options.timeouts }
  const maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024
  const maxResultBytes = options.maxResultBytes ?? 100 * 1024 * 1024
  const retryLimit = options.retry?.limit ?? 2
  const baseDelayMs = options.retry?.baseDelayMs ?? 500

  const http: Got = got.extend({
    headers: { 'user-agent': options.userAgent },
    ...(options.agent ? { agent: options.agent } : {}),
    throwHttpErrors: true,
    followRedirect: true,
    maxRedirects: 5,
    // Retries are off unless a call is a read (see readRetry).
    retry: { limit: 0 },
    timeout: phaseTimeouts(timeouts, timeouts.response, timeouts.total),
    hooks: {
      beforeRetry: [
        (error, retryCount) => {
          logger.warn('aipic: retrying a read', {
            url: redactUrl(error.options.url),
            attempt: retryCount,
            reason: error.response ? `HTTP ${error.response.statusCode}` : error.code,
          })
        },
      ],
    },
  })

  const readRetry = {
    limit: retryLimit,
    methods: ['POST', 'GET'] as ('POST' | 'GET')[],
    statusCodes: READ_RETRY_STATUS,
    errorCodes: READ_RETRY_ERRORS,
    calculateDelay: ({ attemptCount, computedValue }: { attemptCount: number; computedValue: number }) =>
      computedValue === 0 ? 0 : Math.min(baseDelayMs * 2 ** (attemptCount - 1), 10_000),
  }

  /** Sends `body` to `endpoint` and returns its parsed `data`. */
  async function call<E extends AipicEndpoint>(
    endpoint: E,
    rawBody: AipicRequest<E>,
    kind: CallKind,
    callOptions: CallOptions | undefined,
  ): Promise<AipicReply<E>> {
    const checked = requestSchemas[endpoint].safeParse(rawBody)
    if (!checked.success) {
      const first = checked.error.issues[0]
      const field = first ? first.path.map(String).join('.') : ''
      throw new KoutuError('aipic.invalid-request', `Not sent to aipic (${endpoint}): ${describeIssues(checked.error, '')}`, {
        detail: { endpoint, field },
      })
    }
    const started = Date.now()
    const isCutout = kind === 'spend'
    const reply = await exchange({
      endpoint,
      url: `${baseUrl}${endpointPath(endpoint)}`,
      method: 'POST',
      body: JSON.stringify(checked.data),
      kind,
      responseType: 'text',
      maxBytes: maxResponseBytes,
      timeout: isCutout
        ? phaseTimeouts(timeouts, timeouts.cutoutResponse, timeouts.cutoutTotal)
        : phaseTimeouts(timeouts, timeouts.response, timeouts.total),
      signal: callOptions?.signal,
    }).catch((error: unknown) => {
      throw failed(spendGuard(error, endpoint, kind), endpoint, started)
    })
    try {
      const data = parseReply(endpoint, reply.body)
      logger.debug('aipic: reply', { endpoint, ms: Date.now() - started })
      return data
    } catch (error) {
      // A 2xx whose body we cannot read: the service may still have done (and charged) the work.
      throw failed(spendGuard(error, endpoint, kind), endpoint, started)
    }
  }

  /** Logs a failed call by its code (never its body or arguments, which may hold the token). */
  function failed(error: unknown, endpoint: string, started: number): unknown {
    const code = isKoutuError(error) ? error.code : 'internal.unexpected'
    if (code !== 'job.aborted') logger.warn('aipic: request failed', { endpoint, code, ms: Date.now() - started })
    return error
  }

  interface ExchangeRequest {
    endpoint: string
    url: string
    method: 'POST' | 'GET'
    body?: string
    kind: CallKind
    responseType: 'text' | 'buffer'
    maxBytes: number
    timeout: ReturnType<typeof phaseTimeouts>
    signal: AbortSignal | undefined
  }

  async function exchange(request: ExchangeRequest): Promise<{ body: string; bytes: Uint8Array; contentType: string }> {
    const userSignal = request.signal
    if (userSignal?.aborted) throw abortedError(request.endpoint, false)
    const cap = new AbortController()
    const signal = userSignal ? AbortSignal.any([userSignal, cap.signal]) : cap.signal
    const headers: Record<string, string> =
      request.method === 'POST'
        ? { 'content-type': 'application/json', accept: 'text/plain' }
        : { accept: 'image/png, image/*;q=0.9, */*;q=0.1' }
    const promise = http(request.url, {
      method: request.method,
      headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      responseType: 'buffer',
      timeout: request.timeout,
      retry: request.kind === 'read' ? readRetry : { limit: 0 },
      signal,
    })
    promise.on('downloadProgress', (progress) => {
      if (progress.transferred > request.maxBytes || (progress.total ?? 0) > request.maxBytes) {
        cap.abort(SIZE_CAP)
      }
    })
    try {
      const response = await promise
      const bytes = new Uint8Array(response.body)
      return {
        body: request.responseType === 'text' ? Buffer.from(bytes).toString('utf8') : '',
        bytes,
        contentType: String(response.headers['content-type'] ?? ''),
      }
    } catch (error) {
      throw translateTransportError(error, request, cap.signal.aborted, userSignal?.aborted ?? false)
    }
  }

  function translateTransportError(error: unknown, request: ExchangeRequest, capped: boolean, userAborted: boolean): unknown {
    const sent = requestWasSent(error)
    if (userAborted) return abortedError(request.endpoint, sent && request.kind === 'spend')
    if (capped) {
      return new KoutuError(
        'aipic.response-too-large',
        `The aipic reply to ${request.endpoint} was larger than ${request.maxBytes} bytes and was cut off; the server (or the API base URL setting) is not the aipic service.`,
        { detail: { endpoint: request.endpoint, limit: request.maxBytes, sent }, cause: error },
      )
    }
    if (error instanceof HTTPError) {
      const body = Buffer.from(error.response.rawBody ?? Buffer.alloc(0)).toString('utf8')
      const status = error.response.statusCode
      // Some servers send the envelope with a 4xx/5xx; its msg is what the user should see.
      const envelope = tryEnvelope(body)
      if (envelope && envelope.status !== undefined && envelope.status !== 0) {
        return new AipicError(request.endpoint, envelope.status, envelope.msg ?? '')
      }
      if (status === 404 && request.method === 'GET') {
        return new KoutuError('aipic.result-unavailable', `The result image is no longer available (HTTP 404): ${redactUrl(request.url)}`, {
          detail: { endpoint: request.endpoint, httpStatus: status },
        })
      }
      const html = looksLikeMarkup(normalizeBody(body))
      return new KoutuError(
        'aipic.http-error',
        `The aipic server answered ${request.endpoint} with HTTP ${status}${html ? ' and an error page' : ''}; it may be down or a proxy in between is failing. Try again later.`,
        { detail: { endpoint: request.endpoint, httpStatus: status, sent }, cause: error },
      )
    }
    if (error instanceof TimeoutError) {
      return new KoutuError(
        'aipic.timeout',
        `The aipic server did not answer ${request.endpoint} in time (${error.event} timeout). Check the network or proxy settings, then try again.`,
        { detail: { endpoint: request.endpoint, phase: error.event, sent }, cause: error },
      )
    }
    if (error instanceof RequestError) {
      return new KoutuError(
        'aipic.network',
        `Could not reach the aipic server for ${request.endpoint} (${error.code}). Check the network, the proxy and the API base URL.`,
        { detail: { endpoint: request.endpoint, errorCode: error.code, sent }, cause: error },
      )
    }
    return error
  }

  /** For a spending call, anything but a clear refusal after the request was sent is "outcome unknown". */
  function spendGuard(error: unknown, endpoint: string, kind: CallKind): unknown {
    if (kind !== 'spend') return error
    if (error instanceof AipicError) return error
    if (!isKoutuError(error)) return error
    if (error.code === 'job.aborted' || error.code === 'aipic.invalid-request') return error
    if (error.detail.sent === false) return error
    return new KoutuError(
      'aipic.outcome-unknown',
      `The cutout request reached aipic but its answer was lost (${error.message}). A credit may have been spent; check the history before trying this file again.`,
      { detail: { endpoint, reason: error.code }, cause: error },
    )
  }

  function parseReply<E extends AipicEndpoint>(endpoint: E, body: string): AipicReply<E> {
    // [Note: aipic replies are judged by their body] The Content-Type says nothing reliable: the
    // document asks for `Accept: text/plain`, and backends of its kind label JSON text/html,
    // text/plain, application/octet-stream or not at all. So the body decides: JSON is data,
    // whatever its label; only a body that is not JSON and starts like markup is a web page (a
    // captive portal, a proxy's error page, a base URL that points at a website).
    const text = normalizeBody(body)
    let json: unknown
    try {
      json = parseLenientJson(text)
    } catch (cause) {
      if (looksLikeMarkup(text)) {
        throw new KoutuError(
          'aipic.html-response',
          `The aipic server answered ${endpoint} with a web page instead of data. Check the API base URL in the settings, or a captive portal or proxy on this network.`,
          { detail: { endpoint, sent: true } },
        )
      }
      throw new KoutuError(
        'aipic.invalid-json',
        // The body is not quoted: a broken login reply could hold the token.
        `The aipic reply to ${endpoint} is not valid JSON (${body.length} bytes). The service may be having trouble; try again later.`,
        { detail: { endpoint, sent: true }, cause },
      )
    }
    const envelope = envelopeSchema.safeParse(json)
    if (!envelope.success) throw unexpected(endpoint, describeIssues(envelope.error, ''))
    const { status, msg, data } = envelope.data
    if (status !== undefined && status !== 0) throw new AipicError(endpoint, status, msg ?? '')
    if (status === undefined && endpoint !== 'send_sms_vcode') throw unexpected(endpoint, 'status: missing')
    // The SMS endpoint's first documented shape is the bare `{phone}` object.
    const payload = endpoint === 'send_sms_vcode' && status === undefined ? json : data
    const parsed = (replySchemas[endpoint] as z.ZodType<AipicReply<E>>).safeParse(payload)
    if (!parsed.success) throw unexpected(endpoint, describeIssues(parsed.error, 'data'))
    return parsed.data
  }

  return {
    baseUrl,
    async sendSmsCode(request, callOptions) {
      const reply = await call('send_sms_vcode', request, 'once', callOptions)
      const echoed = typeof reply === 'object' && reply !== null && 'phone' in reply ? (reply as { phone: unknown }).phone : null
      // A phone sent back as a number (13800138000) is still the phone.
      return { phone: typeof echoed === 'string' || typeof echoed === 'number' ? String(echoed) : null }
    },
    async login(request, callOptions) {
      const reply = await call('login_with_phone_and_vcode', request, 'once', callOptions)
      return { customerId: reply.id, token: reply.token, phone: reply.phone, credit: reply.credit }
    },
    async removeBackground(request, callOptions) {
      const reply = await call('rm_pic_bg', request, 'spend', callOptions)
      return { resultUrl: reply.rm_bg_pic_url }
    },
    async removeBackgroundWithUuid(request, callOptions) {
      const reply = await call('rm_pic_bg_with_uuid', request, 'spend', callOptions)
      return { resultUrl: reply.rm_bg_pic_url }
    },
    async getHistory(request, callOptions) {
      const reply = await call('get_rm_bg_list', request, 'read', callOptions)
      return {
        items: reply.list.map((item) => ({
          id: item.id,
          imageUrl: item.img_url,
          resultUrl: item.rmbg_img_url,
          remark: item.remark,
          createdAt: item.created_at,
        })),
        page: reply.page,
        size: reply.size,
        totalCount: reply.total_count,
      }
    },
    async getCreditByPhone(request, callOptions) {
      return (await call('get_left_credit_by_phone', request, 'read', callOptions)).credit
    },
    async getCreditByUnikey(request, callOptions) {
      return (await call('get_left_credit_by_unikey', request, 'read', callOptions)).credit
    },
    async getAd(callOptions) {
      const reply = await call('get_one_ad', {}, 'read', callOptions)
      if (!reply.ad) return null
      return { id: reply.ad.id, pictureUrl: httpOrNull(reply.ad.pic_url), linkUrl: httpOrNull(reply.ad.link_url) }
    },
    async fetchResult(url, callOptions) {
      if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) {
        throw new KoutuError('aipic.invalid-request', `Not an http(s) result URL: ${redactUrl(url)}`, { detail: { field: 'url' } })
      }
      const response = await exchange({
        endpoint: 'result download',
        url,
        method: 'GET',
        kind: 'read',
        responseType: 'buffer',
        maxBytes: maxResultBytes,
        timeout: phaseTimeouts(timeouts, timeouts.response, timeouts.download),
        signal: callOptions?.signal,
      })
      if (!isImage(response.bytes)) {
        throw new KoutuError(
          'aipic.result-unavailable',
          `The result URL did not return an image (${response.bytes.length} bytes, ${response.contentType || 'no content type'}).`,
          { detail: { endpoint: 'result download' } },
        )
      }
      return response.bytes
    },
  }
}

function phaseTimeouts(t: AipicTimeouts, response: number, total: number) {
  return {
    lookup: t.connect,
    connect: t.connect,
    secureConnect: t.connect,
    send: t.send,
    response,
    // The socket is silent while the server works, so its idle limit cannot be below `response`.
    socket: Math.max(t.idle, response),
    request: total,
  }
}

/** True once the whole request was written: from then on, the server may have acted on it. */
function requestWasSent(error: unknown): boolean {
  if (error instanceof HTTPError) return true
  if (error instanceof RequestError) return error.timings?.upload !== undefined
  return false
}

function abortedError(endpoint: string, outcomeUnknown: boolean): KoutuError {
  return new KoutuError(
    'job.aborted',
    outcomeUnknown ? `Stopped while aipic was working on ${endpoint}; a credit may have been spent.` : `Stopped before ${endpoint} finished.`,
    { detail: { endpoint, outcomeUnknown } },
  )
}

function unexpected(endpoint: string, what: string): KoutuError {
  return new KoutuError(
    'aipic.unexpected-response',
    `The aipic reply to ${endpoint} is not in the documented form (${what}). The service may have changed; update Koutu or report it.`,
    { detail: { endpoint, sent: true } },
  )
}

/**
 * JSON.parse, and when that fails, once more without trailing commas: the API document's own
 * send_sms_vcode example is `{"phone": "12345678901", }`.
 */
function parseLenientJson(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch (error) {
    const withoutTrailingCommas = body.replace(/,(\s*[}\]])/g, '$1')
    if (withoutTrailingCommas === body) throw error
    return JSON.parse(withoutTrailingCommas)
  }
}

function tryEnvelope(body: string): { status?: number; msg?: string | null } | null {
  try {
    const parsed = envelopeSchema.safeParse(parseLenientJson(normalizeBody(body)))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/** The body without a UTF-8 byte order mark (some PHP backends send one) and surrounding white space. */
function normalizeBody(body: string): string {
  return body.replace(/^\uFEFF/, '').trim()
}

/** `<!DOCTYPE html>`, `<html>`, `<?xml …>`: the start of a page, not of data. */
function looksLikeMarkup(normalizedBody: string): boolean {
  return normalizedBody.startsWith('<')
}

function httpOrNull(value: string | null): string | null {
  return value !== null && /^https?:\/\//i.test(value) && URL.canParse(value) ? value : null
}

function isImage(bytes: Uint8Array): boolean {
  const png = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47
  const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8
  const webp = Buffer.from(bytes.subarray(8, 12)).toString('latin1') === 'WEBP'
  return png || jpeg || webp
}

/** A URL without its query string (result URLs may carry signatures), for logs and messages. */
function redactUrl(url: string | URL | undefined): string {
  if (url === undefined) return ''
  try {
    const parsed = new URL(String(url))
    return `${parsed.origin}${parsed.pathname}`
  } catch {
    return '(invalid URL)'
  }
}
