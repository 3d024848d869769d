/**
 * The user's own S3-compatible bucket (AWS S3, Aliyun OSS, Cloudflare R2, MinIO…). The PUT is
 * presigned locally with `aws4` (SigV4 in the query, payload unsigned), so no SDK and no call
 * besides the upload itself. A presigned GET would be ~320 characters, too long for the API, so
 * the API gets a short public-read URL built from the user's template instead; the bucket's own
 * lifecycle rule expires the prefix.
 *
 * Keys arrive as a credentials object: the caller keeps them encrypted at rest (like the token)
 * and they are never logged.
 */
import aws4 from 'aws4'
import { isIP } from 'node:net'
import { Readable } from 'node:stream'
import { KoutuError } from '../../../shared/errors'
import type { UploadHost } from '../types'
import { assertSuccessStatus, bodyExcerpt, type HostHttp } from '../host-http'
import { uploadBlob } from '../multipart'
import { assertUsableUrl, randomObjectName } from '../naming'
import { parseHttpUrl } from './parse-answer'

/** The non-secret part of the bucket settings (`settings.s3`). */
export interface S3BucketConfig {
  /** e.g. `https://oss-cn-hangzhou.aliyuncs.com`, `https://<account>.r2.cloudflarestorage.com`. */
  endpoint: string
  region: string
  bucket: string
  /** Folder for uploads, e.g. `koutu-tmp/`; the lifecycle rule should expire it. */
  prefix: string
  /** The URL the API fetches; `{key}` becomes the object key, e.g. `https://cdn.example.com/{key}`. */
  publicUrlTemplate: string
  /**
   * Address the bucket as `endpoint/bucket/key` instead of `bucket.endpoint/key`. Defaults to
   * path style for IP addresses and `localhost` (MinIO, tests), virtual-hosted otherwise (OSS
   * accepts nothing else, and AWS is retiring path style).
   */
  pathStyle?: boolean
}

export interface S3Credentials {
  accessKeyId: string
  secretAccessKey: string
  /** For temporary (STS) keys. */
  sessionToken?: string
}

export interface S3HostOptions {
  http: HostHttp
  config: S3BucketConfig
  credentials: S3Credentials
  /** How long the presigned PUT stays valid; only needs to cover the upload. */
  presignSeconds?: number
  /** The bucket's lifecycle retention, if known, for `expiresAt`; null otherwise. */
  retentionHours?: number | null
  maxUrlLength?: number
  now?: () => Date
}

export function createS3Host(options: S3HostOptions): UploadHost {
  const { config, credentials } = options
  assertConfigured(config, credentials)
  const now = options.now ?? (() => new Date())
  return {
    id: 's3',
    async upload(file, { signal, onProgress } = {}) {
      const key = objectKey(config.prefix, randomObjectName(file.extension))
      const publicUrl = parseHttpUrl(config.publicUrlTemplate.replaceAll('{key}', encodeKey(key)))
      if (!publicUrl) {
        throw new KoutuError('upload.not-configured', 'The public URL template of the bucket does not give an http(s) URL.', {
          detail: { host: 's3' },
        })
      }
      // Checked before the upload: a template that is too long fails the same way every time.
      assertUsableUrl('s3', publicUrl, options.maxUrlLength)
      const started = now()
      const putUrl = presignPut(config, credentials, key, file.mimeType, options.presignSeconds ?? 900, started)
      const blob = await uploadBlob(file)
      const response = await options.http.send({
        host: 's3',
        method: 'PUT',
        url: putUrl,
        body: Readable.fromWeb(blob.stream() as never),
        headers: { 'content-type': file.mimeType, 'content-length': String(file.size) },
        signal,
        onProgress,
      })
      if (response.statusCode === 403) {
        throw new KoutuError('upload.rejected', `The bucket refused the upload (${s3ErrorCode(response.body) ?? 'HTTP 403'}); check the keys, region and bucket policy.`, {
          detail: { host: 's3', status: 403, reason: s3ErrorCode(response.body) ?? '', body: bodyExcerpt(response.body) },
        })
      }
      assertSuccessStatus('s3', response)
      const retention = options.retentionHours ?? null
      return {
        url: publicUrl,
        expiresAt: retention === null ? null : new Date(started.getTime() + retention * 3_600_000),
        host: 's3',
      }
    },
  }
}

/**
 * The presigned PUT URL for `key`. Exported for tests and for a future "test my bucket" button.
 * `Content-Type` is among the signed headers, so the bucket stores the right type and serves
 * the image as an image.
 */
export function presignPut(
  config: S3BucketConfig,
  credentials: S3Credentials,
  key: string,
  contentType: string,
  expiresSeconds: number,
  date: Date,
): string {
  const endpoint = new URL(config.endpoint)
  const pathStyle = config.pathStyle ?? (isIP(endpoint.hostname.replace(/^\[|\]$/g, '')) !== 0 || endpoint.hostname === 'localhost')
  const host = pathStyle ? endpoint.host : `${config.bucket}.${endpoint.host}`
  const basePath = endpoint.pathname.replace(/\/+$/, '')
  const objectPath = `${basePath}${pathStyle ? `/${encodeKey(config.bucket)}` : ''}/${encodeKey(key)}`
  const signed = aws4.sign(
    {
      host,
      method: 'PUT',
      path: `${objectPath}?X-Amz-Expires=${Math.round(expiresSeconds)}&X-Amz-Date=${amzDate(date)}`,
      service: 's3',
      region: config.region,
      signQuery: true,
      headers: { Host: host, 'Content-Type': contentType },
    },
    {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    },
  )
  return `${endpoint.protocol}//${host}${signed.path ?? objectPath}`
}

/** `prefix` normalized to `a/b/` (or empty) joined with the random name. */
export function objectKey(prefix: string, name: string): string {
  const clean = prefix.replace(/^\/+|\/+$/g, '')
  return clean ? `${clean}/${name}` : name
}

function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/')
}

function amzDate(date: Date): string {
  return date.toISOString().replace(/[:-]|\.\d{3}/g, '')
}

function s3ErrorCode(body: string): string | undefined {
  return /<Code>([^<]{1,64})<\/Code>/.exec(body)?.[1]
}

function assertConfigured(config: S3BucketConfig, credentials: S3Credentials): void {
  const missing = [
    !parseHttpUrl(config.endpoint) && 'endpoint',
    !config.bucket && 'bucket',
    !config.region && 'region',
    !config.publicUrlTemplate.includes('{key}') && 'public URL template',
    !credentials.accessKeyId && 'access key id',
    !credentials.secretAccessKey && 'secret access key',
  ].filter(Boolean)
  if (missing.length > 0) {
    throw new KoutuError('upload.not-configured', `The own bucket is not fully set up: ${missing.join(', ')} missing or invalid.`, {
      detail: { host: 's3', missing: missing.join(', ') },
    })
  }
}
