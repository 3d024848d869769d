// The update policy ([Note: update policy]) driving electron-updater's real Linux updater
// (AppImageUpdater) against a loopback feed speaking electron-builder's generic-server protocol
// (test/helpers/update-feed.ts): latest-linux.yml, then the AppImage it names, checked against
// its sha512. Only the transport differs from the app (Node's http here, Electron's net there)
// and the last step: quitAndInstall is recorded instead of replacing this test's own process.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { isKoutuError } from '../../../src/shared/errors'
import { silentLogger } from '../../../src/shared/logger'
import type { UpdateMode, UpdateStatus } from '../../../src/shared/updates'
import { channelOf, UpdateController } from '../../../src/main/updates/update-controller'
import { appImageName, createLoopbackUpdater, sha512Of, startUpdateFeed, type FeedContent, type LoopbackUpdater, type UpdateFeed } from '../../helpers/update-feed'

let server: UpdateFeed
let scratch: string
let requests: string[]
/** What the feed serves from now on. */
let feed: FeedContent
const sha512 = sha512Of

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-updates-'))
  server = await startUpdateFeed({ version: '0.1.0', file: Buffer.alloc(0) })
  requests = server.requests
})

afterAll(async () => {
  await server.close()
  fs.rmSync(scratch, { recursive: true, force: true })
})

let controllers: UpdateController[] = []
afterEach(() => {
  for (const controller of controllers) controller.stop()
  controllers = []
  requests.length = 0
})

interface Harness {
  controller: UpdateController
  updater: LoopbackUpdater['real']
  installs: LoopbackUpdater['installs']
  statuses: UpdateStatus[]
  setMode(mode: UpdateMode): void
  pendingDir: string
}

function makeHarness(options: { mode: UpdateMode; version?: string; limit?: 'package-manager' | null; intervalMs?: number }): Harness {
  const loopback = createLoopbackUpdater({ feedUrl: server.url, dir: scratch, version: options.version ?? '0.1.0' })
  let mode = options.mode
  const statuses: UpdateStatus[] = []
  const controller = new UpdateController({
    updater: loopback.updater,
    currentVersion: options.version ?? '0.1.0',
    limit: options.limit ?? null,
    releasesUrl: 'https://github.com/koutu/koutu/releases',
    getMode: () => mode,
    logger: silentLogger,
    onStatus: (status) => statuses.push(status),
    startDelayMs: 0,
    checkIntervalMs: options.intervalMs ?? 60_000,
  })
  controllers.push(controller)
  return {
    controller,
    updater: loopback.real,
    installs: loopback.installs,
    statuses,
    setMode: (next) => {
      mode = next
      controller.modeChanged()
    },
    pendingDir: loopback.pendingDir,
  }
}

async function until(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

function downloadedFile(pending: string): Buffer {
  const names = fs.readdirSync(pending).filter((name) => name.endsWith('.AppImage'))
  expect(names).toHaveLength(1)
  return fs.readFileSync(path.join(pending, names[0]!))
}

describe('update controller with electron-updater against a loopback feed', () => {
  it("'ask' finds the new version without downloading it, downloads when asked, restarts only after the batch", async () => {
    feed = server.content = { version: '0.2.0', file: randomBytes(700_000), chunk: 64 * 1024, pauseMs: 5 }
    const h = makeHarness({ mode: 'ask' })
    const found = await h.controller.check()
    expect(found).toMatchObject({ phase: 'available', availableVersion: '0.2.0', currentVersion: '0.1.0', channel: 'latest', mode: 'ask' })
    expect(found.lastCheckAt).toBeGreaterThan(Date.now() - 10_000)
    expect(requests).toEqual(['/latest-linux.yml'])
    expect(h.updater.autoInstallOnAppQuit).toBe(false)

    h.controller.setBatchActive(true)
    await h.controller.download()
    await until(() => h.controller.status.phase === 'ready', 'the download')
    expect(requests).toContain(`/${appImageName('0.2.0')}`)
    expect(h.statuses.some((status) => status.phase === 'downloading' && status.downloadPercent !== null && status.downloadPercent < 100)).toBe(true)
    expect(downloadedFile(h.pendingDir).equals(feed.file)).toBe(true)

    let refused: unknown
    try {
      h.controller.restartToUpdate()
    } catch (error) {
      refused = error
    }
    expect(isKoutuError(refused, 'update.batch-active')).toBe(true)
    expect(h.installs).toEqual([])

    h.controller.setBatchActive(false)
    h.controller.restartToUpdate()
    expect(h.installs).toEqual([[false, true]])
  })

  it("'auto' checks at start, downloads in the background, installs on quit and never restarts by itself", async () => {
    feed = server.content = { version: '0.3.1', file: randomBytes(300_000) }
    const h = makeHarness({ mode: 'auto' })
    h.controller.start()
    await until(() => h.controller.status.phase === 'ready', 'the background download')
    expect(h.controller.status).toMatchObject({ availableVersion: '0.3.1', downloadPercent: 100, error: null })
    expect(h.updater.autoInstallOnAppQuit).toBe(true)
    expect(h.updater.autoDownload).toBe(false)
    expect(downloadedFile(h.pendingDir).equals(feed.file)).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(h.installs).toEqual([])
  })

  it('reports up to date when the feed has this version, with the time of the check', async () => {
    feed = server.content = { version: '0.1.0', file: randomBytes(1000) }
    const h = makeHarness({ mode: 'auto' })
    const before = Date.now()
    const status = await h.controller.check()
    expect(status.error).toBe(null)
    expect(status.phase).toBe('up-to-date')
    expect(status.availableVersion).toBeNull()
    expect(status.lastCheckAt).toBeGreaterThanOrEqual(before)
    expect(requests).toEqual(['/latest-linux.yml'])
  })

  it('refuses a download whose sha512 does not match and never offers it', async () => {
    const file = randomBytes(200_000)
    feed = server.content = { version: '0.2.0', file, sha512: sha512(Buffer.concat([file, Buffer.from('x')])) }
    const h = makeHarness({ mode: 'auto' })
    await h.controller.check()
    await until(() => h.controller.status.phase === 'error', 'the checksum failure')
    expect(h.controller.status.error).toMatch(/sha512 checksum mismatch/i)
    expect(h.statuses.some((status) => status.phase === 'ready')).toBe(false)
    expect(() => h.controller.restartToUpdate()).toThrow(/No update is ready/)
  })

  it('reports a broken feed as an error and recovers on the next check', async () => {
    feed = server.content = { version: '0.2.0', file: randomBytes(1000), metadataStatus: 502 }
    const h = makeHarness({ mode: 'ask' })
    const failed = await h.controller.check()
    expect(failed.phase).toBe('error')
    expect(failed.error).toMatch(/502/)
    expect(failed.lastCheckAt).not.toBeNull()
    feed = server.content = { version: '0.2.0', file: randomBytes(1000) }
    const recovered = await h.controller.check()
    expect(recovered).toMatchObject({ phase: 'available', error: null, availableVersion: '0.2.0' })
  })

  it("'never' makes no request until the mode changes, then checks on the schedule", async () => {
    feed = server.content = { version: '0.1.0', file: randomBytes(1000) }
    const h = makeHarness({ mode: 'never', intervalMs: 80 })
    h.controller.start()
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(requests).toEqual([])
    expect(h.controller.status.phase).toBe('idle')
    h.setMode('ask')
    await until(() => requests.length >= 3, 'three scheduled checks', 5_000)
    expect(h.controller.status.phase).toBe('up-to-date')
    h.setMode('never')
    const count = requests.length
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(requests.length).toBeLessThanOrEqual(count + 1)
  })

  it('tells a package-manager install about the new version but never downloads it', async () => {
    feed = server.content = { version: '0.2.0', file: randomBytes(1000) }
    const h = makeHarness({ mode: 'auto', limit: 'package-manager' })
    const status = await h.controller.check()
    expect(status).toMatchObject({ phase: 'available', availableVersion: '0.2.0', limit: 'package-manager' })
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(requests).toEqual(['/latest-linux.yml'])
    await expect(h.controller.download()).rejects.toMatchObject({ code: 'update.unavailable' })
  })

  it('without an updater (a development or --dir build) says so instead of checking', async () => {
    const controller = new UpdateController({
      updater: null,
      currentVersion: '0.1.0',
      limit: 'not-packaged',
      releasesUrl: 'https://github.com/koutu/koutu/releases',
      getMode: () => 'auto',
      logger: silentLogger,
      startDelayMs: 0,
    })
    controller.start()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(controller.status).toMatchObject({ phase: 'idle', limit: 'not-packaged' })
    await expect(controller.check()).rejects.toMatchObject({ code: 'update.unavailable' })
  })
})

describe('channelOf', () => {
  it('names the prerelease channel of a version', () => {
    expect(channelOf('1.4.2')).toBe('latest')
    expect(channelOf('1.5.0-beta.3')).toBe('beta')
    expect(channelOf('2.0.0-RC.1')).toBe('rc')
    expect(channelOf('2.0.0-1')).toBe('latest')
  })
})
