/**
 * The remote route when things go wrong, through the real batch engine and the stand-ins: a host
 * down (fallback, the log names the host used), every host down (the batch halts with the files
 * still queued, nothing uploaded to the service, resumable), a result URL that 404s or serves a
 * web page, a result without alpha, out of credit and an expired session mid-batch (halt,
 * remaining files queued, resumable after a top-up), a dropped cutout reply (outcome unknown), and
 * no consent (nothing uploaded at all).
 */
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import type { BatchProgress } from '../../../../src/shared/batch'
import { isKoutuError } from '../../../../src/shared/errors'
import { writePhoto } from '../../../helpers/images'
import { startLoopbackServer, type LoopbackServer } from '../../../standins/hosts/loopback-server'
import { deviceCredit, remoteBatch, remoteSettings, startWorld, type World } from './harness'

let world: World
let opaqueServer: LoopbackServer
let sources: string[]

beforeAll(async () => {
  world = await startWorld()
  const originals = join(world.tempRoot, 'originals')
  sources = await Promise.all([
    writePhoto(originals, 'a.jpg', 'chelsea', { megapixels: 0.06 }),
    writePhoto(originals, 'b.jpg', 'coffee', { megapixels: 0.06 }),
    writePhoto(originals, 'c.jpg', 'rocket', { megapixels: 0.06 }),
    writePhoto(originals, 'd.jpg', 'astronaut', { megapixels: 0.06 }),
    writePhoto(originals, 'e.jpg', 'motorcycle', { megapixels: 0.06 }),
  ])
  const opaque = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#808080' } }).png().toBuffer()
  opaqueServer = await startLoopbackServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': opaque.length }).end(opaque)
  })
})

afterAll(async () => {
  await Promise.all([world?.close(), opaqueServer?.close()])
})

beforeEach(() => {
  world.aipic.resetFaults()
  world.litterbox.fault = { kind: 'none' }
  world.uguu.fault = { kind: 'none' }
})

afterEach(async () => {
  if (world.account.getState().loggedIn) await world.account.logout()
})

/** A fresh folder with copies of `count` of the test photos. */
async function folderOf(count: number): Promise<string> {
  const dir = await mkdtemp(join(world.tempRoot, 'batch-'))
  await mkdir(dir, { recursive: true })
  const { copyFile } = await import('node:fs/promises')
  for (const source of sources.slice(0, count)) await copyFile(source, join(dir, source.split('/').at(-1)!))
  return dir
}

function outputsIn(progress: BatchProgress, dir: string): string[] {
  expect(progress.total).toBeGreaterThan(0)
  return sources.map((source) => join(dir, source.split('/').at(-1)!.replace('.jpg', '-cutout.png'))).filter((path) => existsSync(path))
}

it('falls back to the next host when one is down, and the log says which host took each file', async () => {
  world.litterbox.fault = { kind: 'status', status: 503 }
  const dir = await folderOf(2)
  const { service } = remoteBatch(world, remoteSettings(world))
  await service.addPaths([dir])
  await service.start()
  const progress = await service.whenFinished()
  expect(progress).toMatchObject({ done: 2, failed: 0 })
  for (const item of service.items()) expect(item.notes).toMatchObject({ host: 'uguu', failedHosts: 'litterbox' })
  expect(world.logger.lines.some((line) => line.startsWith('info uploaded') && line.includes('"host":"uguu"'))).toBe(true)
  expect(outputsIn(progress, dir)).toHaveLength(2)
})

it('halts with every file still queued when all hosts are down, and resumes when they are back', async () => {
  world.litterbox.fault = { kind: 'status', status: 502 }
  world.uguu.fault = { kind: 'reset' }
  const fetchedBefore = world.aipic.state.fetchedImages.length
  const creditBefore = deviceCredit(world)
  const dir = await folderOf(3)
  const { service } = remoteBatch(world, remoteSettings(world))
  const halts: string[] = []
  service.onHalt((error) => halts.push(error.code))
  await service.addPaths([dir])
  await service.start()
  const halted = await service.whenFinished()
  expect(halted).toMatchObject({ state: 'paused', done: 0, failed: 0, unknown: 0, queued: 3, working: 0 })
  expect(halts).toEqual(['upload.all-hosts-failed'])
  const reason = service.haltReason()!
  expect(reason.code).toBe('upload.all-hosts-failed')
  expect(reason.message).toMatch(/litterbox: .*; uguu: /)
  expect(world.aipic.state.fetchedImages.length).toBe(fetchedBefore)
  expect(deviceCredit(world)).toBe(creditBefore)
  expect(outputsIn(halted, dir)).toEqual([])

  world.litterbox.fault = { kind: 'none' }
  world.uguu.fault = { kind: 'none' }
  service.resume()
  const finished = await service.whenFinished()
  expect(finished).toMatchObject({ state: 'finished', done: 3, failed: 0, queued: 0 })
  expect(service.haltReason()).toBeNull()
  expect(creditBefore - deviceCredit(world)).toBe(3)
  expect(outputsIn(finished, dir)).toHaveLength(3)
})

it('fails a file whose result URL answers 404, and one whose result is a web page, saying it was charged', async () => {
  const dir = await folderOf(2)
  world.aipic.faults.resultNotFound = true
  const first = remoteBatch(world, remoteSettings(world))
  await first.service.addPaths([join(dir, 'a.jpg')])
  await first.service.start()
  expect(await first.service.whenFinished()).toMatchObject({ state: 'finished', failed: 1, done: 0 })
  const notFound = first.service.items()[0]!.error!
  expect(notFound.code).toBe('aipic.result-unavailable')
  expect(notFound.detail.charged).toBe(true)

  world.aipic.resetFaults()
  world.aipic.faults.httpError = { status: 200, endpoints: ['result'] }
  const second = remoteBatch(world, remoteSettings(world))
  await second.service.addPaths([join(dir, 'b.jpg')])
  await second.service.start()
  expect(await second.service.whenFinished()).toMatchObject({ state: 'finished', failed: 1, done: 0 })
  const html = second.service.items()[0]!.error!
  expect(html.code).toBe('aipic.result-unavailable')
  expect(html.message).toMatch(/did not return an image/)
  expect(existsSync(join(dir, 'a-cutout.png')) || existsSync(join(dir, 'b-cutout.png'))).toBe(false)
})

it('refuses a returned picture without alpha instead of saving an opaque "cutout"', async () => {
  const dir = await folderOf(1)
  // The cutout is really made by the stand-in; only its result URL is pointed at a server that
  // serves an opaque PNG, as a misbehaving service would.
  const account = {
    getState: () => world.account.getState(),
    creditsLeft: (signal?: AbortSignal) => world.account.creditsLeft(signal),
    refreshCredits: (signal?: AbortSignal) => world.account.refreshCredits(signal),
    downloadResult: (url: string, signal?: AbortSignal) => world.account.downloadResult(url, signal),
    cutout: async (...args: Parameters<World['account']['cutout']>) => {
      const result = await world.account.cutout(...args)
      return { ...result, resultUrl: `${opaqueServer.url}/result.png` }
    },
  }
  const { service } = remoteBatch(world, remoteSettings(world), account)
  await service.addPaths([dir])
  await service.start()
  const progress = await service.whenFinished()
  expect(progress).toMatchObject({ failed: 1, done: 0 })
  expect(service.items()[0]!.error).toMatchObject({ code: 'remote.result-no-alpha', detail: { charged: true } })
  expect(outputsIn(progress, dir)).toEqual([])
})

it('halts when credits run out mid-batch, keeps the rest queued, and finishes after a top-up', async () => {
  const dir = await folderOf(5)
  const device = world.account.deviceId
  await world.account.refreshCredits()
  world.aipic.state.devices.get(device)!.credit = 2
  const { service } = remoteBatch(world, remoteSettings(world, { remoteConcurrency: 1 }))
  await service.addPaths([dir])
  const prompts: number[] = []
  await service.start({ confirmCost: async (prompt) => (prompts.push(prompt.available ?? -1), true) })
  expect(prompts).toEqual([2])
  const halted = await service.whenFinished()
  expect(halted).toMatchObject({ state: 'paused', done: 2, failed: 0, unknown: 0, queued: 3 })
  expect(service.haltReason()?.code).toBe('aipic.out-of-credit')
  expect(world.account.getState().credit).toBe(0)
  expect(outputsIn(halted, dir)).toHaveLength(2)

  world.aipic.state.devices.get(device)!.credit = 10
  service.resume()
  const finished = await service.whenFinished()
  expect(finished).toMatchObject({ state: 'finished', done: 5, failed: 0, queued: 0 })
  expect(world.aipic.state.devices.get(device)!.credit).toBe(7)
  expect(outputsIn(finished, dir)).toHaveLength(5)
  // The engine refreshed the credits when the batch ended.
  expect(world.account.getState().credit).toBe(7)
})

it('logs out cleanly and halts when the session expires mid-batch; files stay queued', async () => {
  const phone = '13800138000'
  await world.account.sendCode(phone)
  await world.account.login(phone, world.aipic.lastCode(phone))
  const user = world.aipic.state.users.get(phone)!
  const creditBefore = user.credit
  const deviceBefore = deviceCredit(world)
  const dir = await folderOf(4)
  // The server starts rejecting the token right after the first cutout of the batch.
  const account = {
    getState: () => world.account.getState(),
    creditsLeft: (signal?: AbortSignal) => world.account.creditsLeft(signal),
    refreshCredits: (signal?: AbortSignal) => world.account.refreshCredits(signal),
    downloadResult: (url: string, signal?: AbortSignal) => world.account.downloadResult(url, signal),
    cutout: async (...args: Parameters<World['account']['cutout']>) => {
      try {
        return await world.account.cutout(...args)
      } finally {
        world.aipic.faults.expiredToken = true
      }
    },
  }
  const { service } = remoteBatch(world, remoteSettings(world, { remoteConcurrency: 1 }), account)
  await service.addPaths([dir])
  await service.start()
  const halted = await service.whenFinished()
  expect(halted).toMatchObject({ state: 'paused', done: 1, failed: 0, queued: 3 })
  expect(service.haltReason()?.code).toBe('aipic.session-expired')
  expect(world.account.getState()).toMatchObject({ loggedIn: false, loggedOutReason: 'session-expired' })
  expect(creditBefore - user.credit).toBe(1)
  // Nothing went on with the device's credits after the session ended.
  expect(deviceCredit(world)).toBe(deviceBefore)
  expect(service.items().find((item) => item.status === 'done')?.notes?.identity).toBe('phone')
  await service.cancel()
})

it('marks a file whose cutout reply was lost as unknown, and never sends it twice', async () => {
  const dir = await folderOf(1)
  world.aipic.faults.dropConnection = { endpoints: ['rm_pic_bg_with_uuid'], times: 1 }
  const before = world.aipic.state.requests.filter((request) => request.endpoint === 'rm_pic_bg_with_uuid').length
  const { service } = remoteBatch(world, remoteSettings(world))
  await service.addPaths([dir])
  await service.start()
  const progress = await service.whenFinished()
  expect(progress).toMatchObject({ state: 'finished', unknown: 1, failed: 0, done: 0 })
  expect(service.items()[0]!.error?.code).toBe('aipic.outcome-unknown')
  const after = world.aipic.state.requests.filter((request) => request.endpoint === 'rm_pic_bg_with_uuid').length
  expect(after - before).toBe(1)
})

it('finishes and saves a file whose cutout was already requested when the batch is cancelled (no credit wasted)', async () => {
  const dir = await folderOf(1)
  await world.account.refreshCredits()
  const creditBefore = deviceCredit(world)
  const cutoutsBefore = world.aipic.state.requests.filter((request) => request.endpoint === 'rm_pic_bg_with_uuid').length
  let cancelled: Promise<void> | null = null
  const account = {
    getState: () => world.account.getState(),
    creditsLeft: (signal?: AbortSignal) => world.account.creditsLeft(signal),
    refreshCredits: (signal?: AbortSignal) => world.account.refreshCredits(signal),
    downloadResult: (url: string, signal?: AbortSignal) => world.account.downloadResult(url, signal),
    cutout: (...args: Parameters<World['account']['cutout']>) => {
      // The request is on its way to the service when the user cancels.
      const reply = world.account.cutout(...args)
      cancelled = service.cancel()
      return reply
    },
  }
  const { service } = remoteBatch(world, remoteSettings(world), account)
  await service.addPaths([dir])
  await service.start()
  const progress = await service.whenFinished()
  await cancelled
  expect(cancelled).not.toBeNull()
  expect(progress).toMatchObject({ state: 'finished', done: 1, queued: 0, failed: 0, unknown: 0 })
  expect(outputsIn(progress, dir)).toHaveLength(1)
  expect(world.aipic.state.requests.filter((request) => request.endpoint === 'rm_pic_bg_with_uuid').length - cutoutsBefore).toBe(1)
  expect(creditBefore - deviceCredit(world)).toBe(1)
})

it('uploads nothing without consent and says which host needs it', async () => {
  const dir = await folderOf(2)
  const uploadsBefore = world.litterbox.requests.length + world.uguu.requests.length
  const fetchedBefore = world.aipic.state.fetchedImages.length
  const { service } = remoteBatch(world, remoteSettings(world, { uploadConsent: ['litterbox'] }))
  await service.addPaths([dir])
  const error = await service.start().catch((caught: unknown) => caught)
  expect(isKoutuError(error, 'upload.consent-required')).toBe(true)
  expect((error as Error).message).toMatch(/uguu\.se|127\.0\.0\.1/)
  expect((error as { detail: Record<string, unknown> }).detail.hosts).toBe('uguu')
  expect(world.litterbox.requests.length + world.uguu.requests.length).toBe(uploadsBefore)
  expect(world.aipic.state.fetchedImages.length).toBe(fetchedBefore)
  expect(service.progress()).toMatchObject({ queued: 2, done: 0, failed: 0 })
  await service.cancel()
})
