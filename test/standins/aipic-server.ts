/**
 * A stand-in for the aipic service (https://aipic.lufff.com), for tests, benchmarks and trying the
 * app by hand (`npm run aipic-standin`). A real HTTP server on loopback that implements the eight
 * documented endpoints with the documented request and reply shapes, keeps users, devices,
 * credits, sent SMS codes and history in memory (readable through `state`), and, like the real
 * service, FETCHES `img_url` over HTTP and serves the cutout from its own URL.
 *
 * The cutout: the image's border colour (the mean of its outermost pixels) is taken as the
 * background, and each pixel's alpha grows with its colour distance from it (0 below a distance of
 * 24, 255 above 96, linear between), then the alpha is feathered with a small blur. So a subject
 * on a plain background is kept and the background becomes transparent: deterministic and
 * dependent on the content, with a real alpha channel, written as RGBA PNG of the input's size.
 *
 * Errors follow [Note: aipic failure classification] in src/main/aipic/errors.ts: status 1 with a
 * Chinese message, as a Chinese service plausibly would. Fault switches (`faults`) make it
 * misbehave the ways a real network and server do.
 *
 * Reply styles (`replyStyle`, REPLY_STYLES) make it serialise the way real backends of its kind
 * do, so that no test shares the client's assumptions about the wire: JSON labelled text/html,
 * text/plain, application/octet-stream or not at all; every number as a string; a byte order
 * mark; pretty-printed bodies; `data` as null, {} or [] on errors; empty strings as null.
 */
import { randomInt, randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import sharp from 'sharp'

export const STANDIN_ENDPOINTS = [
  'send_sms_vcode',
  'login_with_phone_and_vcode',
  'rm_pic_bg',
  'rm_pic_bg_with_uuid',
  'get_rm_bg_list',
  'get_left_credit_by_phone',
  'get_left_credit_by_unikey',
  'get_one_ad',
] as const
export type StandinEndpoint = (typeof STANDIN_ENDPOINTS)[number]
/** Fault rules can also target the result downloads and the ad picture. */
export type StandinTarget = StandinEndpoint | 'result'

/** Which requests a fault applies to: all (no `endpoints`), and how many times (no `times`: always). */
export interface FaultRule {
  endpoints?: readonly StandinTarget[]
  times?: number
}

export interface AipicFaults {
  /** Delay before every request is handled (API calls and result downloads). */
  latencyMs: number
  /** Extra time each cutout takes after the image is fetched. */
  processingMs: number
  /** Cutouts processed at once; the rest wait in line (like a busy service). */
  maxConcurrentCutouts: number
  /** Answer with this HTTP status and an HTML error page (a gateway, a crashed backend). */
  httpError: (FaultRule & { status: number }) | null
  /** Answer 200 with a body that is not JSON. */
  invalidJson: FaultRule | null
  /** Answer with the envelope `{status, msg}` (status != 0). */
  statusError: (FaultRule & { status: number; msg: string }) | null
  /** Every cutout fails as out of credit (credits are also really counted down to 0). */
  outOfCredit: boolean
  /** Every token is rejected as expired. */
  expiredToken: boolean
  /** Send the reply in 8 pieces with this delay between them. */
  slowBody: (FaultRule & { chunkDelayMs: number }) | null
  /** Pad the reply (valid JSON) to at least this many bytes, sent chunked (no Content-Length). */
  oversizeBody: (FaultRule & { bytes: number }) | null
  /** Result URLs answer 404. */
  resultNotFound: boolean
  /** Read the request, then never answer (until the client gives up or the server closes). */
  hang: FaultRule | null
  /** Close the connection without answering; for cutouts, after the work was done and charged. */
  dropConnection: FaultRule | null
}

/** How the stand-in labels and spells its JSON replies (web pages are always text/html). */
export interface ReplyStyle {
  /** What it says it is. */
  description: string
  /** The Content-Type of JSON replies; null sends none. */
  contentType: string | null
  /** Every number in a reply as a string: "status": "0", "id": "100001", "credit": "5". */
  numbersAsStrings: boolean
  /** A UTF-8 byte order mark before the body. */
  bom: boolean
  /** Pretty-printed with tabs, a blank line before and CRLF after (white space around the body). */
  pretty: boolean
  /** What `data` holds in an error reply. */
  errorData: 'null' | 'object' | 'array'
  /** An empty `msg` on success sent as null. */
  nullStrings: boolean
}

/**
 * The styles the matrix suites run across; between them every variation occurs at least once.
 * `json` is the tidy server the client was first written against.
 */
export const REPLY_STYLES = {
  json: {
    description: 'application/json, numbers as numbers, data null on errors',
    contentType: 'application/json',
    numbersAsStrings: false,
    bom: false,
    pretty: false,
    errorData: 'null',
    nullStrings: false,
  },
  'django-html': {
    description: "text/html; charset=utf-8 (Django's HttpResponse default), numbers as strings, msg null, data {} on errors",
    contentType: 'text/html; charset=utf-8',
    numbersAsStrings: true,
    bom: false,
    pretty: false,
    errorData: 'object',
    nullStrings: true,
  },
  'php-plain': {
    description: 'text/plain, a byte order mark, pretty-printed, numbers as strings, data [] on errors',
    contentType: 'text/plain',
    numbersAsStrings: true,
    bom: true,
    pretty: true,
    errorData: 'array',
    nullStrings: false,
  },
  unlabelled: {
    description: 'no Content-Type at all, pretty-printed, numbers as numbers, data {} on errors',
    contentType: null,
    numbersAsStrings: false,
    bom: false,
    pretty: true,
    errorData: 'object',
    nullStrings: true,
  },
  'octet-stream': {
    description: 'application/octet-stream, a byte order mark, numbers as strings, data null on errors',
    contentType: 'application/octet-stream',
    numbersAsStrings: true,
    bom: true,
    pretty: false,
    errorData: 'null',
    nullStrings: false,
  },
} as const satisfies Record<string, ReplyStyle>
export type ReplyStyleName = keyof typeof REPLY_STYLES
export const REPLY_STYLE_NAMES = Object.keys(REPLY_STYLES) as ReplyStyleName[]

/** The body and Content-Type of a JSON reply in `style`. */
export function styleReply(value: unknown, style: ReplyStyle): { body: Buffer; contentType: string | null } {
  const spelled = style.numbersAsStrings ? numbersToStrings(value) : value
  const text = style.pretty ? `\n${JSON.stringify(spelled, null, '\t')}\r\n` : JSON.stringify(spelled)
  return { body: Buffer.from(`${style.bom ? '\uFEFF' : ''}${text}`, 'utf8'), contentType: style.contentType }
}

function numbersToStrings(value: unknown): unknown {
  if (typeof value === 'number') return String(value)
  if (Array.isArray(value)) return value.map(numbersToStrings)
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, numbersToStrings(entry)]))
  }
  return value
}

export interface StandinUser {
  id: number
  phone: string
  credit: number
  token: string | null
}

export interface StandinHistoryRecord {
  id: number
  customer_id: number | null
  uuid: string | null
  remark: string | null
  img_url: string
  rmbg_img_url: string
  created_at: string
  updated_at: string
}

export interface StandinRequestLog {
  endpoint: string
  method: string
  headers: http.IncomingHttpHeaders
  body: unknown
}

export interface StandinState {
  /** By phone. */
  users: Map<string, StandinUser>
  /** By uuid/unikey. */
  devices: Map<string, { credit: number }>
  /** The last code "sent" to each phone (single use). */
  sentCodes: Map<string, string>
  /** Every SMS "sent", in order. */
  smsLog: { phone: string; code: string; at: number }[]
  history: StandinHistoryRecord[]
  /** Every request received, in order (tests check what the client sent). */
  requests: StandinRequestLog[]
  /** Images fetched from img_url, in order. */
  fetchedImages: string[]
  ad: { id: number; pic_url: string; link_url: string; created_at: string; updated_at: string } | null
  cutoutsInFlight: number
  peakCutoutsInFlight: number
  /** The credit new phone accounts and new device ids start with. */
  initialUserCredit: number
  initialDeviceCredit: number
  /** The envelope (status 0) or the bare `{phone}` shape for send_sms_vcode, as documented. */
  smsReplyShape: 'envelope' | 'bare'
  /** How JSON replies are labelled and spelled (REPLY_STYLES); may be changed between requests. */
  replyStyle: ReplyStyleName
}

export interface AipicStandinOptions {
  port?: number
  host?: string
  initialUserCredit?: number
  initialDeviceCredit?: number
  smsReplyShape?: 'envelope' | 'bare'
  /** How JSON replies are labelled and spelled (default `json`). */
  replyStyle?: ReplyStyleName
  /** Every SMS code is this one (default: random 4 digits). */
  fixedCode?: string
  faults?: Partial<AipicFaults>
  /** Called for each request (for the command-line stand-in's log). */
  onRequest?: (entry: StandinRequestLog) => void
}

export interface AipicStandin {
  /** e.g. http://127.0.0.1:43123 (the API base URL). */
  url: string
  state: StandinState
  faults: AipicFaults
  /** The code last sent to `phone`, or throws (a test bug). */
  lastCode(phone: string): string
  /** Turn every fault off and restore the default latency and limits. */
  resetFaults(): void
  close(): Promise<void>
}

export function defaultFaults(): AipicFaults {
  return {
    latencyMs: 0,
    processingMs: 0,
    maxConcurrentCutouts: Number.POSITIVE_INFINITY,
    httpError: null,
    invalidJson: null,
    statusError: null,
    outOfCredit: false,
    expiredToken: false,
    slowBody: null,
    oversizeBody: null,
    resultNotFound: false,
    hang: null,
    dropConnection: null,
  }
}

const MSG = {
  badParam: (field: string) => `参数错误: ${field}`,
  badPhone: '手机号格式错误',
  badCode: '验证码错误或已过期',
  expiredToken: 'token已失效，请重新登录',
  noUser: '用户不存在',
  noCredit: '剩余额度不足，请充值',
  fetchFailed: '图片下载失败',
  notImage: '图片格式不支持',
} as const

const MAX_IMAGE_BYTES = 50 * 1024 * 1024

class StandinFailure extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
  }
}

export async function startAipicStandin(options: AipicStandinOptions = {}): Promise<AipicStandin> {
  const faults: AipicFaults = { ...defaultFaults(), ...options.faults }
  const state: StandinState = {
    users: new Map(),
    devices: new Map(),
    sentCodes: new Map(),
    smsLog: [],
    history: [],
    requests: [],
    fetchedImages: [],
    ad: null,
    cutoutsInFlight: 0,
    peakCutoutsInFlight: 0,
    initialUserCredit: options.initialUserCredit ?? 5,
    initialDeviceCredit: options.initialDeviceCredit ?? 3,
    smsReplyShape: options.smsReplyShape ?? 'envelope',
    replyStyle: options.replyStyle ?? 'json',
  }
  const results = new Map<string, Buffer>()
  const waiting: (() => void)[] = []
  const timers = new Set<NodeJS.Timeout>()
  let nextUserId = 100001
  let nextHistoryId = 1
  let baseUrl = ''

  const sleep = (ms: number) =>
    ms <= 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer)
            resolve()
          }, ms)
          timers.add(timer)
        })

  /** True (and counts the use down) when `rule` applies to `target`. */
  function fires(rule: FaultRule | null, target: StandinTarget): boolean {
    if (!rule) return false
    if (rule.endpoints && !rule.endpoints.includes(target)) return false
    if (rule.times !== undefined) {
      if (rule.times <= 0) return false
      rule.times -= 1
    }
    return true
  }

  async function acquireCutoutSlot(): Promise<void> {
    while (state.cutoutsInFlight >= faults.maxConcurrentCutouts) {
      await new Promise<void>((resolve) => waiting.push(resolve))
    }
    state.cutoutsInFlight += 1
    state.peakCutoutsInFlight = Math.max(state.peakCutoutsInFlight, state.cutoutsInFlight)
  }
  function releaseCutoutSlot(): void {
    state.cutoutsInFlight -= 1
    waiting.shift()?.()
  }

  async function writeBody(res: http.ServerResponse, target: StandinTarget, status: number, contentType: string | null, body: Buffer) {
    let payload = body
    const oversize = fires(faults.oversizeBody, target) ? faults.oversizeBody : null
    if (oversize && payload.length < oversize.bytes) {
      // Still valid JSON when it was JSON: the padding is whitespace.
      payload = Buffer.concat([payload, Buffer.alloc(oversize.bytes - payload.length, 0x20)])
    }
    res.statusCode = status
    if (contentType !== null) res.setHeader('content-type', contentType)
    if (!oversize) res.setHeader('content-length', payload.length)
    const slow = fires(faults.slowBody, target) ? faults.slowBody : null
    const pieces = slow || oversize ? 8 : 1
    const step = Math.ceil(payload.length / pieces)
    for (let offset = 0; offset < payload.length; offset += step) {
      if (res.destroyed) return
      res.write(payload.subarray(offset, offset + step))
      if (slow) await sleep(slow.chunkDelayMs)
    }
    res.end()
  }

  function envelope(data: unknown) {
    return { status: 0, msg: REPLY_STYLES[state.replyStyle].nullStrings ? null : '', data }
  }
  /** An error reply, with `data` as the reply style spells it. */
  function failureReply(status: number, msg: string) {
    const data = { null: null, object: {}, array: [] }[REPLY_STYLES[state.replyStyle].errorData]
    return { status, msg, data }
  }

  function requireString(body: Record<string, unknown>, field: string, max: number, exact = false): string {
    const value = body[field]
    if (typeof value !== 'string' || value.length === 0 || value.length > max || (exact && value.length !== max)) {
      throw new StandinFailure(1, MSG.badParam(field))
    }
    return value
  }
  function requireInt(body: Record<string, unknown>, field: string): number {
    const value = body[field]
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new StandinFailure(1, MSG.badParam(field))
    return value
  }
  function userByToken(body: Record<string, unknown>): StandinUser {
    const customerId = requireString(body, 'customer_id', 11)
    const token = requireString(body, 'token', 64)
    const user = [...state.users.values()].find((candidate) => String(candidate.id) === customerId)
    if (faults.expiredToken || !user || user.token !== token) throw new StandinFailure(1, MSG.expiredToken)
    return user
  }
  function device(uuid: string): { credit: number } {
    let entry = state.devices.get(uuid)
    if (!entry) {
      entry = { credit: state.initialDeviceCredit }
      state.devices.set(uuid, entry)
    }
    return entry
  }

  async function cutout(imgUrl: string, account: { credit: number }, owner: { customer_id: number | null; uuid: string | null }) {
    if (faults.outOfCredit || account.credit <= 0) throw new StandinFailure(1, MSG.noCredit)
    await acquireCutoutSlot()
    try {
      const image = await fetchImage(imgUrl)
      state.fetchedImages.push(imgUrl)
      await sleep(faults.processingMs)
      const png = await computeCutout(image)
      if (faults.outOfCredit || account.credit <= 0) throw new StandinFailure(1, MSG.noCredit)
      account.credit -= 1
      const resultId = randomUUID()
      results.set(resultId, png)
      const now = chinaTime()
      const resultUrl = `${baseUrl}/results/MKCV${resultId}.png`
      state.history.push({
        id: nextHistoryId++,
        ...owner,
        remark: null,
        img_url: imgUrl,
        rmbg_img_url: resultUrl,
        created_at: now,
        updated_at: now,
      })
      return { rm_bg_pic_url: resultUrl }
    } finally {
      releaseCutoutSlot()
    }
  }

  async function fetchImage(url: string): Promise<Buffer> {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(30_000) })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      const bytes = Buffer.from(await response.arrayBuffer())
      if (bytes.length > MAX_IMAGE_BYTES) throw new Error('too large')
      return bytes
    } catch {
      throw new StandinFailure(1, MSG.fetchFailed)
    }
  }

  const handlers: Record<StandinEndpoint, (body: Record<string, unknown>) => Promise<unknown>> = {
    async send_sms_vcode(body) {
      const phone = requireString(body, 'phone', 32)
      if (!/^1[3-9]\d{9}$/.test(phone)) throw new StandinFailure(1, MSG.badPhone)
      const code = options.fixedCode ?? String(randomInt(0, 10_000)).padStart(4, '0')
      state.sentCodes.set(phone, code)
      state.smsLog.push({ phone, code, at: Date.now() })
      return state.smsReplyShape === 'bare' ? { phone } : envelope({ result: 'ok', desc: 'success' })
    },
    async login_with_phone_and_vcode(body) {
      const phone = requireString(body, 'phone', 32)
      const vcode = requireString(body, 'vcode', 4, true)
      if (state.sentCodes.get(phone) !== vcode) throw new StandinFailure(1, MSG.badCode)
      state.sentCodes.delete(phone)
      let user = state.users.get(phone)
      if (!user) {
        user = { id: nextUserId++, phone, credit: state.initialUserCredit, token: null }
        state.users.set(phone, user)
      }
      user.token = randomUUID()
      const now = chinaTime()
      return envelope({
        id: user.id,
        unikey: null,
        nickname: null,
        phone,
        password: null,
        credit: user.credit,
        invite_code: null,
        created_at: now,
        updated_at: now,
        token: user.token,
      })
    },
    async rm_pic_bg(body) {
      const user = userByToken(body)
      const imgUrl = requireString(body, 'img_url', 128)
      return envelope(await cutout(imgUrl, user, { customer_id: user.id, uuid: null }))
    },
    async rm_pic_bg_with_uuid(body) {
      const uuid = requireString(body, 'uuid', 128)
      const imgUrl = requireString(body, 'img_url', 128)
      return envelope(await cutout(imgUrl, device(uuid), { customer_id: null, uuid }))
    },
    async get_rm_bg_list(body) {
      const user = userByToken(body)
      const page = requireInt(body, 'page')
      const size = requireInt(body, 'size')
      const mine = state.history.filter((record) => record.customer_id === user.id).reverse()
      return envelope({ list: mine.slice((page - 1) * size, page * size), page, size, total_count: mine.length })
    },
    async get_left_credit_by_phone(body) {
      const phone = requireString(body, 'phone', 32)
      const user = state.users.get(phone)
      if (!user) throw new StandinFailure(1, MSG.noUser)
      return envelope({ credit: user.credit })
    },
    async get_left_credit_by_unikey(body) {
      return envelope({ credit: device(requireString(body, 'unikey', 128)).credit })
    },
    async get_one_ad() {
      return envelope({ ad: state.ad })
    },
  }

  async function handleApi(endpoint: StandinEndpoint, req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer) {
    let body: unknown
    try {
      body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'))
    } catch {
      body = undefined
    }
    const entry: StandinRequestLog = { endpoint, method: req.method ?? '', headers: req.headers, body }
    state.requests.push(entry)
    options.onRequest?.(entry)
    const json = (value: unknown) => {
      const styled = styleReply(value, REPLY_STYLES[state.replyStyle])
      return writeBody(res, endpoint, 200, styled.contentType, styled.body)
    }

    if (req.method !== 'POST') return writeBody(res, endpoint, 405, 'text/html', htmlPage(405, 'Method Not Allowed'))
    if (fires(faults.hang, endpoint)) return
    if (faults.httpError && fires(faults.httpError, endpoint)) {
      return writeBody(res, endpoint, faults.httpError.status, 'text/html; charset=utf-8', htmlPage(faults.httpError.status, 'Bad Gateway'))
    }
    if (fires(faults.invalidJson, endpoint)) {
      return writeBody(res, endpoint, 200, REPLY_STYLES[state.replyStyle].contentType, Buffer.from('{"status": 0, "msg": "", "data": {"cred'))
    }
    if (faults.statusError && fires(faults.statusError, endpoint)) {
      return json(failureReply(faults.statusError.status, faults.statusError.msg))
    }
    const drop = fires(faults.dropConnection, endpoint)
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return json(failureReply(1, MSG.badParam('body')))
    let reply: unknown
    try {
      reply = await handlers[endpoint](body as Record<string, unknown>)
    } catch (error) {
      if (!(error instanceof StandinFailure)) {
        return writeBody(res, endpoint, 500, 'text/html', htmlPage(500, 'Internal Server Error'))
      }
      reply = failureReply(error.status, error.message)
    }
    if (drop) {
      req.socket.destroy()
      return
    }
    return json(reply)
  }

  async function handleGet(req: http.IncomingMessage, res: http.ServerResponse, path: string) {
    state.requests.push({ endpoint: 'result', method: req.method ?? '', headers: req.headers, body: null })
    const resultMatch = /^\/results\/MKCV([0-9a-f-]+)\.png$/.exec(path)
    if (resultMatch && !faults.resultNotFound) {
      const png = results.get(resultMatch[1] ?? '')
      if (png) {
        if (faults.httpError && fires(faults.httpError, 'result')) {
          return writeBody(res, 'result', faults.httpError.status, 'text/html', htmlPage(faults.httpError.status, 'Bad Gateway'))
        }
        return writeBody(res, 'result', 200, 'image/png', png)
      }
    }
    if (path === '/ad.png') return writeBody(res, 'result', 200, 'image/png', await adPicture())
    if (path === '/ad') {
      return writeBody(res, 'result', 200, 'text/html; charset=utf-8', Buffer.from('<!DOCTYPE html><title>ad</title><p>The aipic stand-in\'s ad link.</p>\n'))
    }
    return writeBody(res, 'result', 404, 'text/html', htmlPage(404, 'Not Found'))
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > 64 * 1024) {
        req.socket.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      void (async () => {
        await sleep(faults.latencyMs)
        const path = new URL(req.url ?? '/', 'http://standin').pathname
        const match = /^\/make_pic\/api\/([a-z_]+)\/?$/.exec(path)
        const endpoint = match?.[1] as StandinEndpoint | undefined
        if (endpoint && (STANDIN_ENDPOINTS as readonly string[]).includes(endpoint)) {
          await handleApi(endpoint, req, res, Buffer.concat(chunks))
        } else if (req.method === 'GET') {
          await handleGet(req, res, path)
        } else {
          await writeBody(res, 'result', 404, 'text/html', htmlPage(404, 'Not Found'))
        }
      })().catch(() => {
        if (!res.headersSent) res.statusCode = 500
        res.destroy()
      })
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const address = server.address() as AddressInfo
  baseUrl = `http://${address.address}:${address.port}`
  const now = chinaTime()
  state.ad = { id: 6, pic_url: `${baseUrl}/ad.png`, link_url: `${baseUrl}/ad`, created_at: now, updated_at: now }

  return {
    url: baseUrl,
    state,
    faults,
    lastCode(phone) {
      const code = state.sentCodes.get(phone)
      if (code === undefined) throw new Error(`no SMS code was sent to ${phone}`)
      return code
    },
    resetFaults() {
      Object.assign(faults, defaultFaults())
    },
    async close() {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      for (const resolve of waiting.splice(0)) resolve()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** The cutout described in the header: border colour as background, feathered colour-distance key. */
export async function computeCutout(image: Buffer): Promise<Buffer> {
  const decoded = await sharp(image)
    .rotate()
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch(() => {
      throw new StandinFailure(1, MSG.notImage)
    })
  const { data, info } = decoded
  const { width, height } = info
  let sum = [0, 0, 0]
  let count = 0
  for (let y = 0; y < height; y += 1) {
    const edgeRow = y === 0 || y === height - 1
    for (let x = 0; x < width; x += edgeRow ? 1 : Math.max(1, width - 1)) {
      const i = (y * width + x) * 3
      sum = [sum[0]! + data[i]!, sum[1]! + data[i + 1]!, sum[2]! + data[i + 2]!]
      count += 1
    }
  }
  const [br, bg, bb] = sum.map((value) => value / count) as [number, number, number]
  const alpha = Buffer.alloc(width * height)
  for (let p = 0; p < width * height; p += 1) {
    const i = p * 3
    const distance = Math.hypot(data[i]! - br, data[i + 1]! - bg, data[i + 2]! - bb)
    alpha[p] = Math.round(Math.min(1, Math.max(0, (distance - 24) / 72)) * 255)
  }
  const feathered = await sharp(alpha, { raw: { width, height, channels: 1 } }).blur(0.8).extractChannel(0).raw().toBuffer()
  return sharp(data, { raw: { width, height, channels: 3 } })
    .joinChannel(feathered, { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer()
}

let adPictureCache: Promise<Buffer> | null = null
function adPicture(): Promise<Buffer> {
  adPictureCache ??= sharp({ create: { width: 120, height: 40, channels: 3, background: '#3b82f6' } }).png().toBuffer()
  return adPictureCache
}

function htmlPage(status: number, title: string): Buffer {
  return Buffer.from(
    `<!DOCTYPE html>\n<html><head><title>${status} ${title}</title></head><body><center><h1>${status} ${title}</h1></center><hr><center>nginx</center></body></html>\n`,
  )
}

/** '2020-08-25 17:41:12' in China time, as the service writes dates. */
function chinaTime(date = new Date()): string {
  return new Date(date.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ')
}
