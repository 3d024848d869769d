/**
 * The client's reply parsing against canned bodies served over HTTP: the API document's own
 * examples (fixtures, verbatim), and replies that are broken in each way a person should hear about.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AipicError } from '../../../src/main/aipic/errors'
import type { KoutuError } from '../../../src/shared/errors'
import { startReplayServer } from '../../standins/aipic/static-host'
import { DOC_EXAMPLES } from './fixtures/api-examples'
import { testClient } from './helpers'

let replay: Awaited<ReturnType<typeof startReplayServer>>
beforeAll(async () => {
  replay = await startReplayServer()
})
afterAll(() => replay.close())

const api = (endpoint: string) => `/make_pic/api/${endpoint}/`

async function failure(promise: Promise<unknown>): Promise<KoutuError> {
  try {
    await promise
  } catch (error) {
    return error as KoutuError
  }
  throw new Error('expected the call to fail')
}

describe('the API document examples parse', () => {
  it('send_sms_vcode: the bare {phone} shape (with its trailing comma) and the status-0 envelope', async () => {
    const client = testClient(replay.url)
    replay.reply(api('send_sms_vcode'), 200, DOC_EXAMPLES.send_sms_vcode_bare, 'text/plain')
    expect(await client.sendSmsCode({ phone: '12345678901' })).toEqual({ phone: '12345678901' })
    replay.reply(api('send_sms_vcode'), 200, DOC_EXAMPLES.send_sms_vcode_envelope, 'text/plain')
    expect(await client.sendSmsCode({ phone: '12345678901' })).toEqual({ phone: null })
  })

  it('login_with_phone_and_vcode', async () => {
    replay.reply(api('login_with_phone_and_vcode'), 200, DOC_EXAMPLES.login_with_phone_and_vcode)
    expect(await testClient(replay.url).login({ phone: '13006321436', vcode: '1234' })).toEqual({
      customerId: '100001',
      token: 'ed892151-a286-493b-b517-ba72668e5fac',
      phone: '13006321436',
      credit: 5,
    })
  })

  it('rm_pic_bg and rm_pic_bg_with_uuid', async () => {
    const client = testClient(replay.url)
    replay.reply(api('rm_pic_bg'), 200, DOC_EXAMPLES.rm_pic_bg)
    replay.reply(api('rm_pic_bg_with_uuid'), 200, DOC_EXAMPLES.rm_pic_bg)
    const expected = { resultUrl: 'http://make-cv.oss-cn-hangzhou.aliyuncs.com/MKCV1598349370338.png' }
    expect(await client.removeBackground({ customer_id: '100001', token: 'tok', img_url: 'https://a.example/b.jpg' })).toEqual(expected)
    expect(await client.removeBackgroundWithUuid({ uuid: 'u', img_url: 'https://a.example/b.jpg' })).toEqual(expected)
  })

  it('get_rm_bg_list', async () => {
    replay.reply(api('get_rm_bg_list'), 200, DOC_EXAMPLES.get_rm_bg_list)
    const page = await testClient(replay.url).getHistory({ customer_id: '100001', token: 'tok', page: 1, size: 1 })
    expect(page).toEqual({
      page: 1,
      size: 1,
      totalCount: 1,
      items: [
        {
          id: '1',
          imageUrl:
            'https://xiaomaibox.oss-cn-shanghai.aliyuncs.com/1597976210945_32039_tmp_3235fa8891892248c7db909c4b3bea23e1bb22b6d2281015.jpg',
          resultUrl: 'http://make-cv.oss-cn-hangzhou.aliyuncs.com/MKCV1598349370338.png',
          remark: null,
          createdAt: '2020-08-25 17:56:10',
        },
      ],
    })
  })

  it('get_left_credit_by_phone and get_left_credit_by_unikey', async () => {
    const client = testClient(replay.url)
    replay.reply(api('get_left_credit_by_phone'), 200, DOC_EXAMPLES.get_left_credit)
    replay.reply(api('get_left_credit_by_unikey'), 200, DOC_EXAMPLES.get_left_credit.replace('4', '"17"'))
    expect(await client.getCreditByPhone({ phone: '13006321436' })).toBe(4)
    expect(await client.getCreditByUnikey({ unikey: 'abc' })).toBe(17)
  })

  it('get_one_ad: the example URLs ("42", "rwerwerwe") are not followed', async () => {
    replay.reply(api('get_one_ad'), 200, DOC_EXAMPLES.get_one_ad)
    expect(await testClient(replay.url).getAd()).toEqual({ id: '6', pictureUrl: null, linkUrl: null })
  })
})

describe('a reply is judged by its body, not its label', () => {
  const client = () => testClient(replay.url, { retry: { limit: 0 } })
  const credit = '{"status": 0, "msg": "", "data": {"credit": 4}}'
  const labels = [
    'application/json',
    'application/json; charset=utf-8',
    'text/html',
    'text/html; charset=utf-8',
    'text/plain',
    'text/plain; charset=UTF-8',
    'application/octet-stream',
    null,
  ]
  it.each(labels)('JSON labelled %s is data', async (label) => {
    replay.reply(api('get_left_credit_by_unikey'), 200, credit, label)
    expect(await client().getCreditByUnikey({ unikey: 'k' })).toBe(4)
  })

  it('a byte order mark and white space around the body are tolerated', async () => {
    replay.reply(api('get_left_credit_by_unikey'), 200, `\uFEFF \r\n\t${credit}\r\n\n`, 'text/html; charset=utf-8')
    expect(await client().getCreditByUnikey({ unikey: 'k' })).toBe(4)
  })

  it('every number as a string, every optional string null, ids as strings', async () => {
    replay.reply(
      api('login_with_phone_and_vcode'),
      200,
      '{"status": "0", "msg": null, "data": {"id": "100001", "phone": null, "credit": "5", "token": "ed892151-a286"}}',
      'text/html',
    )
    expect(await client().login({ phone: '13006321436', vcode: '1234' })).toEqual({ customerId: '100001', token: 'ed892151-a286', phone: null, credit: 5 })
    replay.reply(
      api('get_rm_bg_list'),
      200,
      '{"status": "0", "msg": null, "data": {"list": [{"id": "7", "img_url": null, "rmbg_img_url": null, "remark": null, "created_at": null}], "page": "1", "size": "20", "total_count": "12"}}',
      'text/plain',
    )
    expect(await client().getHistory({ customer_id: '100001', token: 't', page: 1, size: 20 })).toEqual({
      items: [{ id: '7', imageUrl: null, resultUrl: null, remark: null, createdAt: '' }],
      page: 1,
      size: 20,
      totalCount: 12,
    })
    replay.reply(api('get_one_ad'), 200, '{"status": "0", "msg": "", "data": {"ad": {"id": "6", "pic_url": null, "link_url": null}}}', null)
    expect(await client().getAd()).toEqual({ id: '6', pictureUrl: null, linkUrl: null })
    replay.reply(api('send_sms_vcode'), 200, '{"phone": 13006321436}', 'text/html')
    expect(await client().sendSmsCode({ phone: '13006321436' })).toEqual({ phone: '13006321436' })
  })

  it.each([
    ['null', 'null'],
    ['{}', '{}'],
    ['[]', '[]'],
  ])('a refusal with data %s is the refusal, labelled text/html', async (_name, data) => {
    replay.reply(api('get_left_credit_by_phone'), 200, `{"status": "1", "msg": "用户不存在", "data": ${data}}`, 'text/html; charset=utf-8')
    const error = await failure(client().getCreditByPhone({ phone: '13006321436' }))
    expect(error).toBeInstanceOf(AipicError)
    expect((error as AipicError).serverMessage).toBe('用户不存在')
  })

  it.each(['text/html', 'application/json', 'text/plain', null])('a web page labelled %s is still a web page', async (label) => {
    replay.reply(api('get_one_ad'), 200, '\uFEFF\n<!DOCTYPE html><html><body>Portal</body></html>', label)
    const error = await failure(client().getAd())
    expect(error.code).toBe('aipic.html-response')
    expect(error.message).toMatch(/web page instead of data.*API base URL/)
  })

  it('a body that is neither JSON nor markup is invalid JSON, whatever its label', async () => {
    replay.reply(api('get_one_ad'), 200, 'Service Unavailable', 'text/html')
    expect((await failure(client().getAd())).code).toBe('aipic.invalid-json')
  })
})

describe('broken replies each get their own error', () => {
  const client = () => testClient(replay.url, { retry: { limit: 0 } })

  it('a web page with 200 (captive portal, wrong base URL) is aipic.html-response', async () => {
    replay.reply(api('get_one_ad'), 200, '<!doctype html><html><body>Log in to the Wi-Fi</body></html>', 'text/html')
    const error = await failure(client().getAd())
    expect(error.code).toBe('aipic.html-response')
    expect(error.message).toMatch(/API base URL/)
  })

  it('a missing field names the field', async () => {
    replay.reply(api('get_left_credit_by_phone'), 200, '{"status": 0, "msg": "", "data": {}}')
    const error = await failure(client().getCreditByPhone({ phone: '13006321436' }))
    expect(error.code).toBe('aipic.unexpected-response')
    expect(error.message).toContain('data.credit')
  })

  it('a wrong type names the field', async () => {
    replay.reply(api('get_rm_bg_list'), 200, DOC_EXAMPLES.get_rm_bg_list.replace('"total_count": 1', '"total_count": "many"'))
    const error = await failure(client().getHistory({ customer_id: '1', token: 't', page: 1, size: 1 }))
    expect(error.code).toBe('aipic.unexpected-response')
    expect(error.message).toContain('data.total_count')
  })

  it('a missing status is unexpected outside the SMS endpoint', async () => {
    replay.reply(api('get_left_credit_by_unikey'), 200, '{"data": {"credit": 3}}')
    const error = await failure(client().getCreditByUnikey({ unikey: 'k' }))
    expect(error.code).toBe('aipic.unexpected-response')
    expect(error.message).toContain('status')
  })

  it('an SMS refusal with status != 0 shows the server message as is', async () => {
    replay.reply(api('send_sms_vcode'), 200, '{"status": 3, "msg": "发送太频繁，请稍后再试", "data": null}')
    const error = await failure(client().sendSmsCode({ phone: '13006321436' }))
    expect(error).toBeInstanceOf(AipicError)
    expect((error as AipicError).serverMessage).toBe('发送太频繁，请稍后再试')
    expect(error.message).toContain('发送太频繁，请稍后再试')
  })

  it('an envelope sent with an HTTP error status is read as the refusal it carries', async () => {
    replay.reply(api('get_rm_bg_list'), 401, '{"status": 401, "msg": "token已失效，请重新登录"}')
    const error = await failure(client().getHistory({ customer_id: '1', token: 't', page: 1, size: 1 }))
    expect(error.code).toBe('aipic.session-expired')
    expect((error as AipicError).status).toBe(401)
  })

  it('a 200 cutout reply that does not parse is outcome-unknown (the credit may be spent)', async () => {
    replay.reply(api('rm_pic_bg_with_uuid'), 200, '{"status": 0, "msg": "", "data": {"rm_bg_pic_url": 42}}')
    const error = await failure(client().removeBackgroundWithUuid({ uuid: 'u', img_url: 'http://a.example/b.png' }))
    expect(error.code).toBe('aipic.outcome-unknown')
    expect(error.detail.reason).toBe('aipic.unexpected-response')
  })
})
