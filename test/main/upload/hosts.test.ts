/**
 * Each upload host adapter against its loopback stand-in, speaking the documented protocol:
 * field names, response shapes, litterbox's plain-text answer and User-Agent check, uguu's
 * JSON, tmpfiles' page URL versus its /dl/ URL, and the S3 presigned PUT checked by an
 * independent SigV4 implementation.
 */
import type { IncomingMessage } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isKoutuError, type KoutuError } from '../../../src/shared/errors'
import { createHostHttp } from '../../../src/main/upload/host-http'
import { createLitterboxHost } from '../../../src/main/upload/hosts/litterbox'
import { createS3Host, presignPut, type S3BucketConfig } from '../../../src/main/upload/hosts/s3'
import { createTmpfilesHost, directDownloadUrl } from '../../../src/main/upload/hosts/tmpfiles'
import { createUguuHost } from '../../../src/main/upload/hosts/uguu'
import type { PreparedUpload } from '../../../src/main/upload/types'
import { startLitterboxStandin, type FileHostStandin } from '../../standins/hosts/litterbox'
import { startS3Standin, verifyPresigned, type S3Standin } from '../../standins/hosts/s3'
import { startTmpfilesStandin } from '../../standins/hosts/tmpfiles'
import { startUguuStandin } from '../../standins/hosts/uguu'
import { fileUpload, makeTempDir, noisyJpeg, TEST_USER_AGENT, type TempDir } from './fixtures'

const ACCESS_KEY = 'AKIDKOUTUTEST01'
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'

let dir: TempDir
let jpeg: Buffer
let photo: PreparedUpload
let litterbox: FileHostStandin
let uguu: FileHostStandin
let tmpfiles: FileHostStandin
let s3: S3Standin
const http = createHostHttp({ userAgent: TEST_USER_AGENT })

async function rejection(promise: Promise<unknown>): Promise<KoutuError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  if (!isKoutuError(error)) throw new Error(`expected a KoutuError, got ${String(error)}`)
  return error
}

async function download(url: string): Promise<{ status: number; type: string | null; body: Buffer }> {
  const response = await fetch(url)
  return { status: response.status, type: response.headers.get('content-type'), body: Buffer.from(await response.arrayBuffer()) }
}

beforeAll(async () => {
  dir = await makeTempDir()
  jpeg = await noisyJpeg(160, 120)
  photo = await fileUpload(dir.path, jpeg)
  ;[litterbox, uguu, tmpfiles, s3] = await Promise.all([
    startLitterboxStandin(),
    startUguuStandin(),
    startTmpfilesStandin(),
    startS3Standin({ keys: { [ACCESS_KEY]: SECRET }, region: 'eu-central-1', bucket: 'koutu-tmp' }),
  ])
})

afterAll(async () => {
  await Promise.all([litterbox?.close(), uguu?.close(), tmpfiles?.close(), s3?.close()])
  await dir?.remove()
})

describe('litterbox', () => {
  it('posts reqtype, time and fileToUpload under a random name and returns the plain-text URL', async () => {
    const before = Date.now()
    const host = createLitterboxHost({ http, baseUrl: litterbox.url, expiry: '12h' })
    const result = await host.upload(photo)
    const record = litterbox.uploads.at(-1)!
    expect(record.multipart.fields).toEqual({ reqtype: 'fileupload', time: '12h' })
    expect(record.multipart.files.map((file) => file.field)).toEqual(['fileToUpload'])
    const sent = record.multipart.files[0]!
    expect(sent.name).toMatch(/^[a-z0-9]{10}\.jpg$/)
    expect(sent.name).not.toContain('Grandma')
    expect(sent.type).toBe('image/jpeg')
    expect(sent.data.equals(jpeg)).toBe(true)
    expect(record.userAgent).toBe(TEST_USER_AGENT)
    expect(result.host).toBe('litterbox')
    expect(result.url).toBe(record.url)
    const expiresIn = result.expiresAt!.getTime() - before
    expect(expiresIn).toBeGreaterThanOrEqual(12 * 3_600_000 - 1000)
    expect(expiresIn).toBeLessThanOrEqual(12 * 3_600_000 + 60_000)
    const fetched = await download(result.url)
    expect(fetched.status).toBe(200)
    expect(fetched.body.equals(jpeg)).toBe(true)
  })

  it('uploads from memory too', async () => {
    const result = await createLitterboxHost({ http, baseUrl: litterbox.url }).upload({
      kind: 'buffer',
      data: jpeg,
      size: jpeg.length,
      mimeType: 'image/jpeg',
      extension: 'jpg',
    })
    expect(litterbox.uploads.at(-1)!.multipart.fields.time).toBe('1h')
    expect((await download(result.url)).body.equals(jpeg)).toBe(true)
  })

  it('is refused without a proper User-Agent, as the real host does', async () => {
    const form = new FormData()
    form.append('reqtype', 'fileupload')
    form.append('time', '1h')
    form.append('fileToUpload', new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' }), 'a.jpg')
    // undici's fetch sends `User-Agent: node`, a library default.
    const bare = await fetch(`${litterbox.url}/resources/internals/api.php`, { method: 'POST', body: form })
    expect(bare.status).toBe(403)
    const generic = createLitterboxHost({ http: createHostHttp({ userAgent: 'got (https://github.com/sindresorhus/got)' }), baseUrl: litterbox.url })
    const error = await rejection(generic.upload(photo))
    expect(error.code).toBe('upload.rejected')
    expect(error.detail.status).toBe(403)
  })

  it('treats an HTML page instead of a URL as an unexpected answer', async () => {
    litterbox.fault = { kind: 'html' }
    try {
      const error = await rejection(createLitterboxHost({ http, baseUrl: litterbox.url }).upload(photo))
      expect(error.code).toBe('upload.bad-response')
      expect(String(error.detail.body)).toContain('Just a moment')
    } finally {
      litterbox.fault = { kind: 'none' }
    }
  })

  it('refuses a URL longer than the API takes, with a clear error', async () => {
    const error = await rejection(createLitterboxHost({ http, baseUrl: litterbox.url, maxUrlLength: 30 }).upload(photo))
    expect(error.code).toBe('upload.url-too-long')
    expect(error.detail.limit).toBe(30)
    expect(error.detail.length).toBe(litterbox.uploads.at(-1)!.url.length)
    expect(error.message).toContain('at most 30')
  })
})

describe('uguu', () => {
  it('posts files[] to /upload?output=json and returns files[0].url', async () => {
    const before = Date.now()
    const result = await createUguuHost({ http, baseUrl: uguu.url }).upload(photo)
    const record = uguu.uploads.at(-1)!
    expect(uguu.requests.at(-1)).toMatchObject({ method: 'POST', path: '/upload' })
    expect(record.multipart.files.map((file) => file.field)).toEqual(['files[]'])
    expect(record.multipart.files[0]!.name).toMatch(/^[a-z0-9]{10}\.jpg$/)
    expect(record.userAgent).toBe(TEST_USER_AGENT)
    expect(result).toMatchObject({ host: 'uguu', url: record.url })
    expect(Math.abs(result.expiresAt!.getTime() - before - 3 * 3_600_000)).toBeLessThan(60_000)
    expect((await download(result.url)).body.equals(jpeg)).toBe(true)
  })

  it('treats a 5xx as a host error and {"success":false} as an unexpected answer', async () => {
    uguu.fault = { kind: 'status', status: 502 }
    try {
      const error = await rejection(createUguuHost({ http, baseUrl: uguu.url }).upload(photo))
      expect(error.code).toBe('upload.host-error')
      expect(error.detail.status).toBe(502)
    } finally {
      uguu.fault = { kind: 'none' }
    }
  })
})

describe('tmpfiles', () => {
  it('posts file to /api/v1/upload and turns the page URL into the direct /dl/ URL', async () => {
    const result = await createTmpfilesHost({ http, baseUrl: tmpfiles.url }).upload(photo)
    const record = tmpfiles.uploads.at(-1)!
    expect(record.multipart.files.map((file) => file.field)).toEqual(['file'])
    const name = record.multipart.files[0]!.name
    expect(name).toMatch(/^[a-z0-9]{10}\.jpg$/)
    const page = new URL(record.url)
    expect(result.url).toBe(`${tmpfiles.url}/dl${page.pathname}`)
    expect(result.url.endsWith(`/${name}`)).toBe(true)
    // The page the host answered with is HTML; only the /dl/ URL is the image.
    const pageFetch = await download(record.url)
    expect(pageFetch.type).toContain('text/html')
    const direct = await download(result.url)
    expect(direct.type).toBe('image/jpeg')
    expect(direct.body.equals(jpeg)).toBe(true)
  })

  it('maps page URLs to /dl/ URLs, keeping the base scheme on the base host', () => {
    expect(directDownloadUrl('http://tmpfiles.org/123/a.jpg', 'https://tmpfiles.org')).toBe('https://tmpfiles.org/dl/123/a.jpg')
    expect(directDownloadUrl('https://tmpfiles.org/dl/123/a.jpg', 'https://tmpfiles.org')).toBe('https://tmpfiles.org/dl/123/a.jpg')
    expect(directDownloadUrl('https://tmpfiles.org/a.jpg', 'https://tmpfiles.org')).toBeUndefined()
  })
})

describe('own S3-compatible bucket', () => {
  const config = (): S3BucketConfig => ({
    endpoint: s3.url,
    region: 'eu-central-1',
    bucket: 'koutu-tmp',
    prefix: 'koutu/in/',
    publicUrlTemplate: `${s3.url}/koutu-tmp/{key}`,
  })

  it('PUTs with a presigned URL the bucket verifies, and returns the short public URL', async () => {
    const host = createS3Host({ http, config: config(), credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET }, retentionHours: 24 })
    const result = await host.upload(photo)
    const put = s3.puts.at(-1)!
    expect(put.key).toMatch(/^koutu\/in\/[a-z0-9]{10}\.jpg$/)
    expect(put.accessKeyId).toBe(ACCESS_KEY)
    expect(put.signedHeaders).toEqual(['content-type', 'host'])
    expect(put.contentType).toBe('image/jpeg')
    expect(put.size).toBe(jpeg.length)
    expect(put.userAgent).toBe(TEST_USER_AGENT)
    expect(result.url).toBe(`${s3.url}/koutu-tmp/${put.key}`)
    expect(result.url.length).toBeLessThanOrEqual(128)
    expect(result.expiresAt).not.toBeNull()
    const fetched = await download(result.url)
    expect(fetched.type).toBe('image/jpeg')
    expect(fetched.body.equals(jpeg)).toBe(true)
  })

  it('is rejected by the bucket when signed with a wrong secret, and does not fall through silently', async () => {
    const refusalsBefore = s3.refusals.length
    const host = createS3Host({ http, config: config(), credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: `${SECRET}x` } })
    const error = await rejection(host.upload(photo))
    expect(error.code).toBe('upload.rejected')
    expect(error.detail.reason).toBe('SignatureDoesNotMatch')
    expect(s3.refusals.slice(refusalsBefore).map((refusal) => refusal.code)).toEqual(['SignatureDoesNotMatch'])
  })

  it('is rejected for an unknown key and for an expired signature', async () => {
    const unknown = createS3Host({ http, config: config(), credentials: { accessKeyId: 'AKIDNOBODY', secretAccessKey: SECRET } })
    expect((await rejection(unknown.upload(photo))).detail.reason).toBe('InvalidAccessKeyId')
    const anHourAgo = () => new Date(Date.now() - 3_600_000)
    const stale = createS3Host({ http, config: config(), credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET }, presignSeconds: 60, now: anHourAgo })
    expect((await rejection(stale.upload(photo))).detail.reason).toBe('AccessDenied')
  })

  it('signs exactly the URL it sends: a tampered key breaks the signature', async () => {
    const url = presignPut(config(), { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET }, 'koutu/in/abc.jpg', 'image/jpeg', 300, new Date())
    expect(url).toContain('X-Amz-Signature=')
    expect(url).toContain('X-Amz-SignedHeaders=content-type%3Bhost&')
    const put = (target: string) => fetch(target, { method: 'PUT', body: new Uint8Array(jpeg), headers: { 'content-type': 'image/jpeg' } })
    expect((await put(url.replace('abc.jpg', 'abd.jpg'))).status).toBe(403)
    expect((await put(url)).status).toBe(200)
  })

  it('signs virtual-hosted URLs (bucket in the host name) for endpoints with a DNS name', () => {
    const oss: S3BucketConfig = {
      endpoint: 'https://oss-cn-hangzhou.aliyuncs.com',
      region: 'cn-hangzhou',
      bucket: 'my-bucket',
      prefix: 'tmp',
      publicUrlTemplate: 'https://my-bucket.oss-cn-hangzhou.aliyuncs.com/{key}',
    }
    const date = new Date()
    const url = new URL(presignPut(oss, { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET }, 'tmp/k3x9.jpg', 'image/jpeg', 600, date))
    expect(url.host).toBe('my-bucket.oss-cn-hangzhou.aliyuncs.com')
    expect(url.pathname).toBe('/tmp/k3x9.jpg')
    // Checked with the stand-in's own SigV4 implementation, as the bucket would see the request.
    const request = (host: string) => ({ method: 'PUT', headers: { host, 'content-type': 'image/jpeg' } }) as unknown as IncomingMessage
    expect(verifyPresigned(request(url.host), url, 'cn-hangzhou', { [ACCESS_KEY]: SECRET }, date)).toMatchObject({ ok: true })
    expect(verifyPresigned(request('other-bucket.oss-cn-hangzhou.aliyuncs.com'), url, 'cn-hangzhou', { [ACCESS_KEY]: SECRET }, date)).toMatchObject({
      ok: false,
      code: 'SignatureDoesNotMatch',
    })
    expect(presignPut({ ...oss, pathStyle: true }, { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET }, 'k.jpg', 'image/jpeg', 600, date)).toMatch(
      /^https:\/\/oss-cn-hangzhou\.aliyuncs\.com\/my-bucket\/k\.jpg\?/,
    )
  })

  it('checks the public URL length before uploading anything', async () => {
    const putsBefore = s3.puts.length
    const long = { ...config(), publicUrlTemplate: `${s3.url}/${'x'.repeat(120)}/{key}` }
    const host = createS3Host({ http, config: long, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET } })
    expect((await rejection(host.upload(photo))).code).toBe('upload.url-too-long')
    expect(s3.puts.length).toBe(putsBefore)
  })

  it('refuses an incomplete setup up front', () => {
    expect(() => createS3Host({ http, config: { ...config(), bucket: '' }, credentials: { accessKeyId: '', secretAccessKey: SECRET } })).toThrow(
      /bucket, access key id/,
    )
  })
})
