/**
 * A loopback S3-compatible bucket, path style: `PUT /{bucket}/{key}` with a presigned SigV4
 * query (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
 * `X-Amz-SignedHeaders`, `X-Amz-Signature`, payload `UNSIGNED-PAYLOAD`). The signature is
 * recomputed here with node:crypto alone, following AWS's published algorithm, independently of
 * the `aws4` package the client signs with, so a mistake in how the client drives `aws4` shows
 * up as `SignatureDoesNotMatch` rather than passing by construction. Stored objects are served
 * by anonymous GET (a public-read bucket), which is what the short public URL relies on.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { FileStore, readBody, startLoopbackServer, type LoopbackServer } from './loopback-server'

export interface S3PutRecord {
  bucket: string
  key: string
  contentType: string | undefined
  size: number
  userAgent: string | undefined
  accessKeyId: string
  signedHeaders: string[]
}

export interface S3Standin extends LoopbackServer {
  readonly bucket: string
  readonly region: string
  readonly puts: S3PutRecord[]
  /** Every refusal, with its S3 error code. */
  readonly refusals: { code: string; message: string }[]
  readonly store: FileStore
}

export interface S3StandinOptions {
  bucket?: string
  region?: string
  /** accessKeyId → secretAccessKey the bucket accepts. */
  keys?: Record<string, string>
  now?: () => Date
}

export async function startS3Standin(options: S3StandinOptions = {}): Promise<S3Standin> {
  const bucket = options.bucket ?? 'koutu-test'
  const region = options.region ?? 'us-east-1'
  const keys = options.keys ?? { AKIDSTANDIN0001: 'standin-secret-key/0001+abc' }
  const now = options.now ?? (() => new Date())
  const store = new FileStore()
  const puts: S3PutRecord[] = []
  const refusals: S3Standin['refusals'] = []

  const server = await startLoopbackServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (store.serve(req, res, url.pathname)) return
    const refuse = (status: number, code: string, message: string): void => {
      refusals.push({ code, message })
      req.resume()
      res
        .writeHead(status, { 'content-type': 'application/xml' })
        .end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`)
    }
    if (req.method !== 'PUT') return refuse(req.method === 'GET' ? 404 : 405, req.method === 'GET' ? 'NoSuchKey' : 'MethodNotAllowed', 'Not here')
    const match = /^\/([^/]+)\/(.+)$/.exec(url.pathname)
    if (!match || decodeURIComponent(match[1]!) !== bucket) return refuse(404, 'NoSuchBucket', 'The specified bucket does not exist')
    const verdict = verifyPresigned(req, url, region, keys, now())
    if (!verdict.ok) return refuse(403, verdict.code, verdict.message)
    const body = await readBody(req)
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared !== body.length) return refuse(400, 'IncompleteBody', 'Body shorter than Content-Length')
    const key = decodeURIComponent(match[2]!)
    store.put(url.pathname, body, req.headers['content-type'] ?? 'application/octet-stream')
    puts.push({
      bucket,
      key,
      contentType: req.headers['content-type'],
      size: body.length,
      userAgent: req.headers['user-agent'],
      accessKeyId: verdict.accessKeyId,
      signedHeaders: verdict.signedHeaders,
    })
    res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` }).end()
  })
  return { ...server, bucket, region, puts, refusals, store }
}

type Verdict = { ok: true; accessKeyId: string; signedHeaders: string[] } | { ok: false; code: string; message: string }

/** Checks a presigned SigV4 request the way S3 does (query-string authentication). */
export function verifyPresigned(req: IncomingMessage, url: URL, region: string, keys: Record<string, string>, now: Date): Verdict {
  const q = url.searchParams
  const algorithm = q.get('X-Amz-Algorithm')
  const credential = q.get('X-Amz-Credential')
  const amzDate = q.get('X-Amz-Date')
  const expires = Number(q.get('X-Amz-Expires'))
  const signedHeadersParam = q.get('X-Amz-SignedHeaders')
  const signature = q.get('X-Amz-Signature')
  if (algorithm !== 'AWS4-HMAC-SHA256' || !credential || !amzDate || !signedHeadersParam || !signature) {
    return { ok: false, code: 'AccessDenied', message: 'Missing presigned query parameters' }
  }
  const [accessKeyId, date, scopeRegion, service, terminator] = credential.split('/')
  const secret = accessKeyId ? keys[accessKeyId] : undefined
  if (!secret) return { ok: false, code: 'InvalidAccessKeyId', message: 'Unknown access key' }
  if (scopeRegion !== region || service !== 's3' || terminator !== 'aws4_request' || !amzDate.startsWith(date ?? '-')) {
    return { ok: false, code: 'AuthorizationQueryParametersError', message: 'Bad credential scope' }
  }
  const signedAt = Date.parse(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`)
  if (!Number.isFinite(signedAt) || !Number.isInteger(expires) || expires < 1 || expires > 604_800) {
    return { ok: false, code: 'AuthorizationQueryParametersError', message: 'Bad date or expiry' }
  }
  if (now.getTime() > signedAt + expires * 1000) return { ok: false, code: 'AccessDenied', message: 'Request has expired' }
  if (now.getTime() < signedAt - 15 * 60_000) return { ok: false, code: 'RequestTimeTooSkewed', message: 'Signed in the future' }

  const signedHeaders = signedHeadersParam.split(';')
  if (!signedHeaders.includes('host')) return { ok: false, code: 'AccessDenied', message: 'host must be signed' }
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const value = req.headers[name]
      const text = Array.isArray(value) ? value.join(',') : (value ?? '')
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`
    })
    .join('')
  const canonicalQuery = [...q.entries()]
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [rfc3986(name), rfc3986(value)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join('&')
  // S3 canonical URIs are the path with each segment URI-encoded once (no normalization).
  const canonicalUri = url.pathname
    .split('/')
    .map((segment) => rfc3986(decodeURIComponent(segment)))
    .join('/')
  const canonicalRequest = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeadersParam, 'UNSIGNED-PAYLOAD'].join('\n')
  const scope = `${date}/${region}/s3/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n')
  const kDate = hmac(`AWS4${secret}`, date!)
  const kRegion = hmac(kDate, region)
  const kService = hmac(kRegion, 's3')
  const kSigning = hmac(kService, 'aws4_request')
  const expected = createHmac('sha256', kSigning).update(stringToSign).digest('hex')
  const given = Buffer.from(signature)
  if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
    return { ok: false, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided.' }
  }
  return { ok: true, accessKeyId: accessKeyId!, signedHeaders }
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest()
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** AWS's URI encoding: everything but A-Z a-z 0-9 - _ . ~ is %XX (uppercase). */
function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}
