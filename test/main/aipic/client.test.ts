/**
 * Contract tests of the aipic client against the stand-in over real HTTP: every endpoint, the
 * headers and bodies sent, the request limits, and every fault switch mapped to its error, each
 * run once per reply style (REPLY_STYLES: how real backends label and spell their JSON).
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import sharp from 'sharp'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AipicError } from '../../../src/main/aipic/errors'
import type { KoutuError } from '../../../src/shared/errors'
import { type AipicStandin, REPLY_STYLE_NAMES, REPLY_STYLES, startAipicStandin } from '../../standins/aipic-server'
import { type StaticHost, startStaticHost } from '../../standins/aipic/static-host'
import { makeTestPhoto, testClient } from './helpers'

const PHONE = '13800138000'

describe.each(REPLY_STYLE_NAMES)('replies styled %s', (replyStyle) => {
  let standin: AipicStandin
  let host: StaticHost
  let photoUrl: string

  beforeAll(async () => {
    standin = await startAipicStandin({ replyStyle })
    host = await startStaticHost()
    photoUrl = host.put('/photo.jpg', await makeTestPhoto(), 'image/jpeg')
  })
  afterAll(async () => {
    await standin.close()
    await host.close()
  })
  afterEach(() => standin.resetFaults())

  async function failure(promise: Promise<unknown>): Promise<KoutuError> {
    try {
      await promise
    } catch (error) {
      return error as KoutuError
    }
    throw new Error('expected the call to fail')
  }

  async function loggedIn(phone = PHONE) {
    const client = testClient(standin.url)
    await client.sendSmsCode({ phone })
    return { client, session: await client.login({ phone, vcode: standin.lastCode(phone) }) }
  }

  describe('each endpoint against the stand-in', () => {
    it('replies come labelled and spelled as the style says (the suite really varies)', async () => {
      const style = REPLY_STYLES[replyStyle]
      const response = await fetch(`${standin.url}/make_pic/api/get_left_credit_by_unikey/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ unikey: 'style-probe' }),
      })
      expect(response.headers.get('content-type')).toBe(style.contentType)
      const bytes = Buffer.from(await response.arrayBuffer())
      expect(bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(style.bom)
      const reply = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, '')) as { status: unknown; data: { credit: unknown } }
      expect(typeof reply.status).toBe(style.numbersAsStrings ? 'string' : 'number')
      expect(typeof reply.data.credit).toBe(style.numbersAsStrings ? 'string' : 'number')
    })

    it('send_sms_vcode sends exactly the documented headers and body, in both reply shapes', async () => {
      const client = testClient(standin.url)
      for (const shape of ['envelope', 'bare'] as const) {
        standin.state.smsReplyShape = shape
        const reply = await client.sendSmsCode({ phone: PHONE })
        expect(reply.phone).toBe(shape === 'bare' ? PHONE : null)
      }
      standin.state.smsReplyShape = 'envelope'
      const sent = standin.state.requests.at(-1)!
      expect(sent.endpoint).toBe('send_sms_vcode')
      expect(sent.headers['content-type']).toBe('application/json')
      expect(sent.headers.accept).toBe('text/plain')
      expect(sent.headers['user-agent']).toBe('Koutu/0.0.0-test')
      expect(sent.body).toEqual({ phone: PHONE })
      expect(standin.state.smsLog.filter((sms) => sms.phone === PHONE)).toHaveLength(2)
    })

    it('login returns the id as customer_id, the token and the credit', async () => {
      const { session } = await loggedIn('13900139000')
      const user = standin.state.users.get('13900139000')!
      expect(session).toEqual({ customerId: String(user.id), token: user.token, phone: '13900139000', credit: standin.state.initialUserCredit })
    })

    it('a wrong code is the server refusal with its message', async () => {
      const client = testClient(standin.url)
      await client.sendSmsCode({ phone: PHONE })
      const wrong = standin.lastCode(PHONE) === '0000' ? '1111' : '0000'
      const error = await failure(client.login({ phone: PHONE, vcode: wrong }))
      expect(error).toBeInstanceOf(AipicError)
      expect(error.code).toBe('aipic.rejected')
      expect((error as AipicError).serverMessage).toBe('验证码错误或已过期')
    })

    it('rm_pic_bg fetches img_url, charges one credit and serves a PNG with real alpha', async () => {
      const { client, session } = await loggedIn()
      const before = standin.state.users.get(PHONE)!.credit
      const { resultUrl } = await client.removeBackground({ customer_id: session.customerId, token: session.token, img_url: photoUrl })
      // Sent exactly as the document types it, whatever the server sent back: customer_id a string.
      expect(standin.state.requests.at(-1)!.body).toEqual({ customer_id: String(standin.state.users.get(PHONE)!.id), token: session.token, img_url: photoUrl })
      expect(standin.state.fetchedImages.at(-1)).toBe(photoUrl)
      expect(standin.state.users.get(PHONE)!.credit).toBe(before - 1)
      expect(await client.getCreditByPhone({ phone: PHONE })).toBe(before - 1)
      const png = await client.fetchResult(resultUrl)
      const image = sharp(png)
      const meta = await image.metadata()
      expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 64, 48, 4])
      const { data } = await image.extractChannel(3).raw().toBuffer({ resolveWithObject: true })
      expect(data[0]).toBe(0) // corner: white background, transparent
      expect(data[24 * 64 + 32]).toBe(255) // centre of the red disc, opaque
    })

    it('rm_pic_bg_with_uuid charges the device, and get_left_credit_by_unikey reports it', async () => {
      const client = testClient(standin.url)
      const uuid = 'device-0f6c7b9e-1111-4c1e-9a55-3d1d5b0c2f10'
      const before = await client.getCreditByUnikey({ unikey: uuid })
      expect(before).toBe(standin.state.initialDeviceCredit)
      const { resultUrl } = await client.removeBackgroundWithUuid({ uuid, img_url: photoUrl })
      expect(resultUrl.startsWith(standin.url)).toBe(true)
      expect(await client.getCreditByUnikey({ unikey: uuid })).toBe(before - 1)
    })

    it('get_rm_bg_list pages the history newest first', async () => {
      const { client, session } = await loggedIn('13700137000')
      const auth = { customer_id: session.customerId, token: session.token }
      for (let i = 0; i < 3; i += 1) {
        host.put(`/h${i}.jpg`, await makeTestPhoto(), 'image/jpeg')
        await client.removeBackground({ ...auth, img_url: `${host.url}/h${i}.jpg` })
      }
      const first = await client.getHistory({ ...auth, page: 1, size: 2 })
      const second = await client.getHistory({ ...auth, page: 2, size: 2 })
      // page and size go out as integers, customer_id as a string.
      expect(standin.state.requests.at(-1)!.body).toEqual({ ...auth, page: 2, size: 2 })
      expect(typeof (standin.state.requests.at(-1)!.body as { customer_id: unknown }).customer_id).toBe('string')
      expect(first.totalCount).toBe(3)
      // Ids are strings, and compare as the records' ids do.
      expect(first.items.map((item) => item.id)).toEqual(
        standin.state.history.filter((record) => String(record.customer_id) === auth.customer_id).reverse().slice(0, 2).map((record) => String(record.id)),
      )
      expect(first.items.map((item) => item.imageUrl)).toEqual([`${host.url}/h2.jpg`, `${host.url}/h1.jpg`])
      expect(second.items.map((item) => item.imageUrl)).toEqual([`${host.url}/h0.jpg`])
      expect(second.items[0]!.resultUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/results\/.+\.png$/)
    })

    it('get_one_ad returns the ad with http(s) URLs', async () => {
      const ad = await testClient(standin.url).getAd()
      expect(ad).toEqual({ id: '6', pictureUrl: `${standin.url}/ad.png`, linkUrl: `${standin.url}/ad` })
      const saved = standin.state.ad
      standin.state.ad = null
      expect(await testClient(standin.url).getAd()).toBeNull()
      standin.state.ad = saved
    })
  })

  describe('requests are checked against the documented limits before sending', () => {
    const cases: [string, (c: ReturnType<typeof testClient>) => Promise<unknown>, string][] = [
      ['phone over 32', (c) => c.sendSmsCode({ phone: '1'.repeat(33) }), 'phone'],
      ['vcode not 4', (c) => c.login({ phone: PHONE, vcode: '123' }), 'vcode'],
      ['customer_id over 11', (c) => c.removeBackground({ customer_id: '1'.repeat(12), token: 't', img_url: 'http://x/y.png' }), 'customer_id'],
      ['token over 64', (c) => c.getHistory({ customer_id: '1', token: 't'.repeat(65), page: 1, size: 1 }), 'token'],
      ['img_url over 128', (c) => c.removeBackgroundWithUuid({ uuid: 'u', img_url: `http://x/${'a'.repeat(120)}.png` }), 'img_url'],
      ['img_url not http', (c) => c.removeBackgroundWithUuid({ uuid: 'u', img_url: 'file:///etc/passwd' }), 'img_url'],
      ['uuid over 128', (c) => c.removeBackgroundWithUuid({ uuid: 'u'.repeat(129), img_url: 'http://x/y.png' }), 'uuid'],
      ['unikey over 128', (c) => c.getCreditByUnikey({ unikey: 'u'.repeat(129) }), 'unikey'],
      ['page 0', (c) => c.getHistory({ customer_id: '1', token: 't', page: 0, size: 1 }), 'page'],
      ['size 0', (c) => c.getHistory({ customer_id: '1', token: 't', page: 1, size: 0 }), 'size'],
    ]
    it.each(cases)('%s', async (_name, send, field) => {
      const before = standin.state.requests.length
      const error = await failure(send(testClient(standin.url)))
      expect(error.code).toBe('aipic.invalid-request')
      expect(error.detail.field).toBe(field)
      expect(error.message).toContain(field)
      expect(standin.state.requests.length).toBe(before)
    })
  })

  describe('fault switches', () => {
    it('a 502 page on a read is retried and then succeeds', async () => {
      standin.faults.httpError = { status: 502, endpoints: ['get_one_ad'], times: 1 }
      const before = standin.state.requests.length
      expect(await testClient(standin.url).getAd()).not.toBeNull()
      expect(standin.state.requests.length - before).toBe(2)
    })

    it('a 500 page that persists is aipic.http-error after the retries', async () => {
      standin.faults.httpError = { status: 500, endpoints: ['get_left_credit_by_unikey'] }
      const before = standin.state.requests.length
      const error = await failure(testClient(standin.url).getCreditByUnikey({ unikey: 'dev-a' }))
      expect(error.code).toBe('aipic.http-error')
      expect(error.detail.httpStatus).toBe(500)
      expect(standin.state.requests.length - before).toBe(3)
    })

    it('a 502 page on a cutout is never retried and its outcome is unknown', async () => {
      standin.faults.httpError = { status: 502, endpoints: ['rm_pic_bg_with_uuid'] }
      const before = standin.state.requests.length
      const error = await failure(testClient(standin.url).removeBackgroundWithUuid({ uuid: 'dev-b', img_url: photoUrl }))
      expect(error.code).toBe('aipic.outcome-unknown')
      expect(error.detail.reason).toBe('aipic.http-error')
      expect(standin.state.requests.length - before).toBe(1)
    })

    it('invalid JSON is aipic.invalid-json and not retried', async () => {
      standin.faults.invalidJson = { endpoints: ['get_left_credit_by_unikey'] }
      const before = standin.state.requests.length
      const error = await failure(testClient(standin.url).getCreditByUnikey({ unikey: 'dev-c' }))
      expect(error.code).toBe('aipic.invalid-json')
      expect(standin.state.requests.length - before).toBe(1)
    })

    it('status != 0 is an AipicError carrying the status and message', async () => {
      standin.faults.statusError = { status: 7, msg: '服务维护中' }
      const error = await failure(testClient(standin.url).getAd())
      expect(error).toBeInstanceOf(AipicError)
      expect(error.code).toBe('aipic.rejected')
      expect(error.detail).toMatchObject({ status: 7, serverMessage: '服务维护中', endpoint: 'get_one_ad' })
    })

    it('out of credit: the cutout is refused as aipic.out-of-credit and nothing is fetched', async () => {
      standin.faults.outOfCredit = true
      const fetched = standin.state.fetchedImages.length
      const error = await failure(testClient(standin.url).removeBackgroundWithUuid({ uuid: 'dev-d', img_url: photoUrl }))
      expect(error.code).toBe('aipic.out-of-credit')
      expect(standin.state.fetchedImages.length).toBe(fetched)
    })

    it('credits really run out', async () => {
      const client = testClient(standin.url)
      const uuid = 'dev-runs-out'
      const credit = await client.getCreditByUnikey({ unikey: uuid })
      for (let i = 0; i < credit; i += 1) await client.removeBackgroundWithUuid({ uuid, img_url: photoUrl })
      expect((await failure(client.removeBackgroundWithUuid({ uuid, img_url: photoUrl }))).code).toBe('aipic.out-of-credit')
      expect(await client.getCreditByUnikey({ unikey: uuid })).toBe(0)
    })

    it('an expired token is aipic.session-expired', async () => {
      const { client, session } = await loggedIn()
      standin.faults.expiredToken = true
      const error = await failure(client.getHistory({ customer_id: session.customerId, token: session.token, page: 1, size: 5 }))
      expect(error.code).toBe('aipic.session-expired')
    })

    it('a slow body within the limits arrives; beyond them it is aipic.timeout', async () => {
      standin.faults.slowBody = { chunkDelayMs: 20, endpoints: ['get_one_ad'] }
      expect(await testClient(standin.url).getAd()).not.toBeNull()
      standin.faults.slowBody = { chunkDelayMs: 150, endpoints: ['get_one_ad'] }
      const quick = testClient(standin.url, { retry: { limit: 0 }, timeouts: { total: 400 } })
      const error = await failure(quick.getAd())
      expect(error.code).toBe('aipic.timeout')
    })

    it('an oversize body is aipic.response-too-large', async () => {
      standin.faults.oversizeBody = { bytes: 3 * 1024 * 1024, endpoints: ['get_one_ad'] }
      const error = await failure(testClient(standin.url, { maxResponseBytes: 1024 * 1024 }).getAd())
      expect(error.code).toBe('aipic.response-too-large')
    })

    it('a result URL that 404s is aipic.result-unavailable', async () => {
      const client = testClient(standin.url)
      const { resultUrl } = await client.removeBackgroundWithUuid({ uuid: 'dev-e', img_url: photoUrl })
      standin.faults.resultNotFound = true
      const error = await failure(client.fetchResult(resultUrl))
      expect(error.code).toBe('aipic.result-unavailable')
    })

    it('a cutout whose answer never comes is outcome-unknown, sent once', async () => {
      standin.faults.hang = { endpoints: ['rm_pic_bg_with_uuid'] }
      const before = standin.state.requests.length
      const client = testClient(standin.url, { timeouts: { cutoutResponse: 300 } })
      const error = await failure(client.removeBackgroundWithUuid({ uuid: 'dev-f', img_url: photoUrl }))
      expect(error.code).toBe('aipic.outcome-unknown')
      expect(error.detail.reason).toBe('aipic.timeout')
      expect(standin.state.requests.length - before).toBe(1)
    })

    it('a connection dropped after the work was charged is outcome-unknown', async () => {
      const uuid = 'dev-g'
      const client = testClient(standin.url)
      const before = await client.getCreditByUnikey({ unikey: uuid })
      standin.faults.dropConnection = { endpoints: ['rm_pic_bg_with_uuid'] }
      const error = await failure(client.removeBackgroundWithUuid({ uuid, img_url: photoUrl }))
      expect(error.code).toBe('aipic.outcome-unknown')
      standin.resetFaults()
      expect(await client.getCreditByUnikey({ unikey: uuid })).toBe(before - 1)
    })

    it('a server that refuses connections is aipic.network, known not to have been sent', async () => {
      const closed = http.createServer()
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()))
      const port = (closed.address() as AddressInfo).port
      await new Promise<void>((resolve) => closed.close(() => resolve()))
      const error = await failure(testClient(`http://127.0.0.1:${port}`).removeBackgroundWithUuid({ uuid: 'u', img_url: photoUrl }))
      expect(error.code).toBe('aipic.network')
      expect(error.detail.sent).toBe(false)
    })

    it('aborting a cutout in flight is job.aborted, flagged as possibly charged', async () => {
      standin.faults.hang = { endpoints: ['rm_pic_bg_with_uuid'] }
      const controller = new AbortController()
      const before = standin.state.requests.length
      const pending = testClient(standin.url).removeBackgroundWithUuid({ uuid: 'dev-h', img_url: photoUrl }, { signal: controller.signal })
      // Abort once the stand-in has the whole request, as a user would while it works.
      while (standin.state.requests.length === before) await new Promise((resolve) => setTimeout(resolve, 5))
      controller.abort()
      const error = await failure(pending)
      expect(error.code).toBe('job.aborted')
      expect(error.detail.outcomeUnknown).toBe(true)
    })

    it('latency and a concurrency cap: at most N cutouts are processed at once', async () => {
      standin.faults.latencyMs = 50
      standin.faults.processingMs = 100
      standin.faults.maxConcurrentCutouts = 2
      standin.state.peakCutoutsInFlight = 0
      const client = testClient(standin.url)
      const started = Date.now()
      const uuid = 'dev-concurrent'
      standin.state.devices.set(uuid, { credit: 10 })
      await Promise.all(Array.from({ length: 5 }, () => client.removeBackgroundWithUuid({ uuid, img_url: photoUrl })))
      expect(standin.state.peakCutoutsInFlight).toBe(2)
      // 5 cutouts, 2 at a time, 100 ms each: at least 3 rounds after the latency.
      expect(Date.now() - started).toBeGreaterThanOrEqual(50 + 3 * 100 - 20)
    })
  })
})
