/**
 * The ordered fallback, progress and cancel, against the loopback stand-ins: a host down, a 5xx,
 * an HTML answer, all hosts down, a refusal that must not fall through, a cancel midway through
 * a stalled upload, timeouts and an oversized answer.
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isKoutuError, type KoutuError } from '../../../src/shared/errors'
import type { Logger } from '../../../src/shared/logger'
import { createUploader } from '../../../src/main/upload/uploader'
import type { PreparedUpload, UploadProgress } from '../../../src/main/upload/types'
import { startLitterboxStandin, type FileHostStandin } from '../../standins/hosts/litterbox'
import { startS3Standin, type S3Standin } from '../../standins/hosts/s3'
import { startTmpfilesStandin } from '../../standins/hosts/tmpfiles'
import { startUguuStandin } from '../../standins/hosts/uguu'
import { fileUpload, makeTempDir, noisyJpeg, TEST_USER_AGENT, type TempDir } from './fixtures'

let dir: TempDir
let photo: PreparedUpload
let bigPhoto: PreparedUpload
let litterbox: FileHostStandin
let uguu: FileHostStandin
let tmpfiles: FileHostStandin
let s3: S3Standin
/** A loopback port with nothing listening: connections are refused. */
let deadUrl: string

async function rejection(promise: Promise<unknown>): Promise<KoutuError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  if (!isKoutuError(error)) throw new Error(`expected a KoutuError, got ${String(error)}`)
  return error
}

function capturingLogger(): Logger & { lines: { level: string; message: string; fields?: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = []
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, ...(fields ? { fields } : {}) })
  }
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

beforeAll(async () => {
  dir = await makeTempDir()
  photo = await fileUpload(dir.path, await noisyJpeg(120, 90))
  // 24 MB on disk, far more than loopback socket buffers hold, so a server that stops reading
  // stalls the upload midway. Random bytes: the hosts do not look inside.
  bigPhoto = await fileUpload(dir.path, randomBytes(24 * 1024 * 1024), 'big.jpg')
  ;[litterbox, uguu, tmpfiles, s3] = await Promise.all([startLitterboxStandin(), startUguuStandin(), startTmpfilesStandin(), startS3Standin()])
  deadUrl = `http://127.0.0.1:${await freePort()}`
})

afterAll(async () => {
  await Promise.all([litterbox?.close(), uguu?.close(), tmpfiles?.close(), s3?.close()])
  await dir?.remove()
})

const baseUrls = () => ({ litterbox: litterbox.url, uguu: uguu.url, tmpfiles: tmpfiles.url })

describe('createUploader', () => {
  it('uses the first host when it works and says so', async () => {
    const logger = capturingLogger()
    const uploader = createUploader({ hosts: ['litterbox', 'uguu'], userAgent: TEST_USER_AGENT, baseUrls: baseUrls(), logger })
    const uguuBefore = uguu.uploads.length
    const result = await uploader.upload(photo)
    expect(result.host).toBe('litterbox')
    expect(result.failed).toEqual([])
    expect(uguu.uploads.length).toBe(uguuBefore)
    expect(logger.lines.find((line) => line.message === 'uploaded')?.fields).toMatchObject({ host: 'litterbox' })
  })

  it('falls back past a host that is down, then one answering 5xx, and reports both', async () => {
    uguu.fault = { kind: 'status', status: 503 }
    try {
      const uploader = createUploader({
        hosts: ['litterbox', 'uguu', 'tmpfiles'],
        userAgent: TEST_USER_AGENT,
        baseUrls: { ...baseUrls(), litterbox: deadUrl },
      })
      const result = await uploader.upload(photo)
      expect(result.host).toBe('tmpfiles')
      expect(result.url).toContain('/dl/')
      expect(result.failed.map((attempt) => [attempt.host, attempt.error.code])).toEqual([
        ['litterbox', 'upload.network'],
        ['uguu', 'upload.host-error'],
      ])
      expect(result.failed[0]!.error.detail.reason).toBe('ECONNREFUSED')
      expect(result.failed[1]!.error.detail.status).toBe(503)
    } finally {
      uguu.fault = { kind: 'none' }
    }
  })

  it('falls back past an HTML page and a dropped connection', async () => {
    litterbox.fault = { kind: 'html' }
    uguu.fault = { kind: 'reset' }
    try {
      const result = await createUploader({ hosts: ['litterbox', 'uguu', 'tmpfiles'], userAgent: TEST_USER_AGENT, baseUrls: baseUrls() }).upload(photo)
      expect(result.host).toBe('tmpfiles')
      expect(result.failed.map((attempt) => attempt.error.code)).toEqual(['upload.bad-response', 'upload.network'])
    } finally {
      litterbox.fault = { kind: 'none' }
      uguu.fault = { kind: 'none' }
    }
  })

  it('gives one clear error naming every host when all are down', async () => {
    tmpfiles.fault = { kind: 'status', status: 500 }
    try {
      const uploader = createUploader({
        hosts: ['litterbox', 'uguu', 'tmpfiles'],
        userAgent: TEST_USER_AGENT,
        baseUrls: { litterbox: deadUrl, uguu: deadUrl, tmpfiles: tmpfiles.url },
      })
      const error = await rejection(uploader.upload(photo))
      expect(error.code).toBe('upload.all-hosts-failed')
      expect(error.detail.hosts).toBe('litterbox,uguu,tmpfiles')
      expect(error.detail.codes).toBe('upload.network,upload.network,upload.host-error')
      expect(error.message).toMatch(/litterbox: .*uguu: .*tmpfiles: .*HTTP 500/)
    } finally {
      tmpfiles.fault = { kind: 'none' }
    }
  })

  it('stops on a refusal (bad bucket keys) instead of sending the photo to the next host', async () => {
    const litterboxBefore = litterbox.uploads.length
    const uploader = createUploader({
      hosts: ['s3', 'litterbox'],
      userAgent: TEST_USER_AGENT,
      baseUrls: baseUrls(),
      s3: {
        config: { endpoint: s3.url, region: s3.region, bucket: s3.bucket, prefix: 'in', publicUrlTemplate: `${s3.url}/${s3.bucket}/{key}` },
        credentials: { accessKeyId: 'AKIDSTANDIN0001', secretAccessKey: 'not-the-secret' },
      },
    })
    const error = await rejection(uploader.upload(photo))
    expect(error.code).toBe('upload.rejected')
    expect(error.detail.reason).toBe('SignatureDoesNotMatch')
    expect(litterbox.uploads.length).toBe(litterboxBefore)
  })

  it('skips an own bucket that is selected but not set up', async () => {
    const result = await createUploader({ hosts: ['s3', 'uguu'], userAgent: TEST_USER_AGENT, baseUrls: baseUrls() }).upload(photo)
    expect(result.host).toBe('uguu')
    expect(result.failed.map((attempt) => attempt.error.code)).toEqual(['upload.not-configured'])
  })

  it('falls back when a host gives a URL too long for the API', async () => {
    // The stand-ins' URLs are ~40 characters; a 45-character limit passes uguu's 8-char names only.
    const litterboxUrlLength = `${litterbox.url}/abcdef.jpg`.length
    const result = await createUploader({
      hosts: ['tmpfiles', 'litterbox'],
      userAgent: TEST_USER_AGENT,
      baseUrls: baseUrls(),
      maxUrlLength: litterboxUrlLength,
    }).upload(photo)
    expect(result.host).toBe('litterbox')
    expect(result.failed.map((attempt) => attempt.error.code)).toEqual(['upload.url-too-long'])
    expect(result.url.length).toBeLessThanOrEqual(litterboxUrlLength)
  })

  it('reports upload progress up to the whole body', async () => {
    const events: UploadProgress[] = []
    const result = await createUploader({ hosts: ['uguu'], userAgent: TEST_USER_AGENT, baseUrls: baseUrls() }).upload(bigPhoto, {
      onProgress: (progress) => events.push(progress),
    })
    expect(result.host).toBe('uguu')
    expect(events.length).toBeGreaterThan(2)
    for (let i = 1; i < events.length; i++) expect(events[i]!.transferred).toBeGreaterThanOrEqual(events[i - 1]!.transferred)
    const last = events.at(-1)!
    expect(last.host).toBe('uguu')
    expect(last.total).toBeGreaterThan(bigPhoto.size)
    expect(last.transferred).toBe(last.total)
    expect(events.some((event) => event.transferred > 0 && event.transferred < bigPhoto.size)).toBe(true)
  })

  it('cancels midway through an upload, hangs up, and tries no other host', async () => {
    litterbox.fault = { kind: 'throttle', bytesPerSecond: 8 * 1024 * 1024 }
    const uguuRequests = uguu.requests.length
    const abortedBefore = litterbox.abortedBodies
    try {
      const controller = new AbortController()
      let lastProgress = 0
      const uploader = createUploader({ hosts: ['litterbox', 'uguu'], userAgent: TEST_USER_AGENT, baseUrls: baseUrls() })
      const pending = uploader.upload(bigPhoto, {
        signal: controller.signal,
        onProgress: (progress) => {
          lastProgress = progress.transferred
        },
      })
      await waitFor(() => lastProgress > 0)
      const started = Date.now()
      controller.abort()
      const error = await rejection(pending)
      expect(Date.now() - started).toBeLessThan(2000)
      expect(error.code).toBe('job.aborted')
      expect(lastProgress).toBeLessThan(bigPhoto.size)
      const progressAtAbort = lastProgress
      // The host sees the connection drop before the body is complete.
      await waitFor(() => litterbox.abortedBodies > abortedBefore)
      expect(lastProgress).toBe(progressAtAbort)
      expect(uguu.requests.length).toBe(uguuRequests)
    } finally {
      litterbox.fault = { kind: 'none' }
    }
  })

  it('refuses at once when already cancelled', async () => {
    const requests = litterbox.requests.length
    const error = await rejection(
      createUploader({ hosts: ['litterbox'], userAgent: TEST_USER_AGENT, baseUrls: baseUrls() }).upload(photo, { signal: AbortSignal.abort() }),
    )
    expect(error.code).toBe('job.aborted')
    expect(litterbox.requests.length).toBe(requests)
  })

  it('times out a host that stops reading, then falls back', async () => {
    litterbox.fault = { kind: 'stall' }
    try {
      const result = await createUploader({
        hosts: ['litterbox', 'uguu'],
        userAgent: TEST_USER_AGENT,
        baseUrls: baseUrls(),
        timeouts: { send: 400, socket: 5000, response: 5000 },
      }).upload(bigPhoto)
      expect(result.host).toBe('uguu')
      expect(result.failed[0]!.error.code).toBe('upload.timeout')
      expect(result.failed[0]!.error.detail.phase).toBe('send')
    } finally {
      litterbox.fault = { kind: 'none' }
    }
  })

  it('caps the size of an answer', async () => {
    litterbox.fault = { kind: 'huge', bytes: 300_000 }
    try {
      const result = await createUploader({
        hosts: ['litterbox', 'tmpfiles'],
        userAgent: TEST_USER_AGENT,
        baseUrls: baseUrls(),
        maxResponseBytes: 64 * 1024,
      }).upload(photo)
      expect(result.host).toBe('tmpfiles')
      expect(result.failed[0]!.error.code).toBe('upload.response-too-large')
    } finally {
      litterbox.fault = { kind: 'none' }
    }
  })
})
