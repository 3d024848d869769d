/**
 * One remote batch per reply style (REPLY_STYLES in the aipic stand-in): the real batch engine,
 * the real aipic engine, the upload stand-ins and a phone login, against a server that labels its
 * JSON text/html, text/plain, octet-stream or not at all and spells numbers as strings. Each
 * photo must be saved and charged once, a refusal must halt the batch as out of credit (whatever
 * `data` the refusal carries), and the history and credits must read back. Before replies were
 * judged by their body, every style but `json` left each photo charged and marked unknown.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterEach, describe, expect, it } from 'vitest'
import { writePhoto } from '../../../helpers/images'
import { REPLY_STYLE_NAMES } from '../../../standins/aipic-server'
import { remoteBatch, remoteSettings, startWorld, type World } from './harness'

const PHONE = '13800138000'

describe.each(REPLY_STYLE_NAMES)('a remote batch, replies styled %s', (replyStyle) => {
  let world: World | undefined
  afterEach(async () => {
    await world?.close()
    world = undefined
  })

  it('logs in, cuts out and saves each photo once, halts on the refusal, reads history and credits back', async () => {
    world = await startWorld({ replyStyle, initialUserCredit: 2 })
    await world.account.sendCode(PHONE)
    const state = await world.account.login(PHONE, '1234')
    expect(state).toMatchObject({ loggedIn: true, identity: 'phone', credit: 2 })

    const dir = join(world.tempRoot, 'photos')
    const photos = [
      await writePhoto(dir, 'cat.jpg', 'chelsea'),
      await writePhoto(dir, 'rocket.jpg', 'rocket', { orientation: 6 }),
      await writePhoto(dir, 'cup.png', 'coffee', { format: 'png' }),
    ]
    const { service } = remoteBatch(world, remoteSettings(world, { remoteConcurrency: 1 }))
    await service.addPaths([dir])
    const prompts: (number | null)[] = []
    await service.start({ confirmCost: async (prompt) => (prompts.push(prompt.available), true) })
    // The cost prompt read the credits through the styled reply.
    expect(prompts).toEqual([2])
    const halted = await service.whenFinished()
    // Two credits: two photos done, the third refused (status "1", data null/{}/[]) and kept queued.
    expect(halted).toMatchObject({ state: 'paused', total: 3, done: 2, failed: 0, unknown: 0, queued: 1 })
    expect(service.haltReason()?.code).toBe('aipic.out-of-credit')
    const outputs = photos.map((photo) => photo.replace(/\.(jpg|png)$/, '-cutout.png')).filter((path) => existsSync(path))
    expect(outputs).toHaveLength(2)
    for (const output of outputs) {
      const alpha = (await sharp(output).extractChannel(3).stats()).channels[0]!
      // A real cutout: transparent background, a kept subject.
      expect(alpha.min).toBe(0)
      expect(alpha.max).toBeGreaterThan(200)
    }
    const user = world.aipic.state.users.get(PHONE)!
    expect(user.credit).toBe(0)
    expect(world.aipic.state.history.filter((record) => record.customer_id === user.id)).toHaveLength(2)

    const page = await world.account.historyPage(1, 10)
    expect(page.totalCount).toBe(2)
    expect(page.items.map((item) => item.id)).toEqual(['2', '1'])
    expect((await world.account.refreshCredits()).credit).toBe(0)
    // What was sent stayed as the document types it, whatever came back.
    const cutouts = world.aipic.state.requests.filter((request) => request.endpoint === 'rm_pic_bg')
    expect(cutouts).toHaveLength(3)
    for (const request of cutouts) expect(request.body).toMatchObject({ customer_id: String(user.id) })
  }, 60_000)
})
