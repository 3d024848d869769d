// The update policy ([Note: update policy]) driving electron-updater's real Linux updater
// (AppImageUpdater) against a loopback feed that speaks electron-builder's generic-server
// protocol: latest-linux.yml, then the AppImage it names, checked against its sha512. Only the
// transport differs from the app (Node's http here, Electron's net there) and the last step:
// quitAndInstall is recorded instead of replacing this test's own process.
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { configureRequestOptions, configureRequestUrl, HttpExecutor, type DownloadOptions } from 'builder-util-runtime'
import { AppImageUpdater } from 'electron-updater'
import type { AppAdapter } from 'electron-updater/out/AppAdapter'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { isKoutuError } from '../../../src/shared/errors'
import type { UpdateMode, UpdateStatus } from '../../../src/shared/updates'
import { channelOf, UpdateController, type Updater } from '../../../src/main/updates/update-controller'
import { silentLogger } from '../../../src/shared/logger'

/** electron-updater's transport over Node's http instead of Electron's net. */
class NodeHttpExecutor extends HttpExecutor<http.ClientRequest> {
  createRequest(options: http.RequestOptions, callback: (response: http.IncomingMessage) => void): http.ClientRequest {
    const request = http.request(options)
    request.on('response', callback)
    return request
  }
  download(url: URL, destination: string, options: DownloadOptions): Promise<string> {
    return options.cancellationToken.createPromise<string>((resolve, reject, onCancel) => {
      const requestOptions: http.RequestOptions = { headers: options.headers ?? undefined }
      configureRequestUrl(url, requestOptions)
      configureRequestOptions(requestOptions)
      this.doDownload(requestOptions, { destination, options, onCancel, callback: (error) => (error ? reject(error) : resolve(destination)), responseHandler: null }, 0)
    })
  }
}

interface Feed {
  version: string
  file: Buffer
  /** Served in latest-linux.yml; defaults to the file's real sha512. */
  sha512?: string
  /** Status for latest-linux.yml (a broken server). */
  metadataStatus?: number
  /** Bytes per write and pause between writes, as a slow link. */
  chunk?: number
  pauseMs?: number
}

const requests: string[] = []
let feed: Feed
let server: http.Server
let baseUrl: string
let scratch: string

const sha512 = (data: Buffer) => createHash('sha512').update(data).digest('base64')
const appImageName = (version: string) => `Koutu-${version}-x86_64.AppImage`

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-updates-'))
  server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    requests.push(url.pathname)
    if (url.pathname === '/latest-linux.yml') {
      if (feed.metadataStatus) {
        response.writeHead(feed.metadataStatus, { 'content-type': 'text/html' }).end('<html>Bad gateway</html>')
        return
      }
      const name = appImageName(feed.version)
      const body = [
        `version: ${feed.version}`,
        'files:',
        `  - url: ${name}`,
        `    sha512: ${feed.sha512 ?? sha512(feed.file)}`,
        `    size: ${feed.file.length}`,
        '    blockMapSize: 0',
        `path: ${name}`,
        `sha512: ${feed.sha512 ?? sha512(feed.file)}`,
        `releaseDate: '${new Date().toISOString()}'`,
        '',
      ].join('\n')
      response.writeHead(200, { 'content-type': 'text/yaml', 'cache-control': 'no-cache' }).end(body)
      return
    }
    if (url.pathname === `/${appImageName(feed.version)}`) {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(feed.file.length) })
      const chunk = feed.chunk ?? feed.file.length
      let offset = 0
      const writeNext = (): void => {
        if (offset >= feed.file.length) {
          response.end()
          return
        }
        response.write(feed.file.subarray(offset, offset + chunk))
        offset += chunk
        setTimeout(writeNext, feed.pauseMs ?? 0)
      }
      writeNext()
      return
    }
    response.writeHead(404).end('not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
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
  updater: AppImageUpdater
  installs: Array<[boolean | undefined, boolean | undefined]>
  statuses: UpdateStatus[]
  setMode(mode: UpdateMode): void
  cacheDir: string
}

let harnessCount = 0
function makeHarness(options: { mode: UpdateMode; version?: string; limit?: 'package-manager' | null; intervalMs?: number }): Harness {
  const dir = path.join(scratch, `app-${++harnessCount}`)
  fs.mkdirSync(dir, { recursive: true })
  // What electron-builder writes into resources/ (app-update.yml); generic provider for the test.
  const configPath = path.join(dir, 'app-update.yml')
  fs.writeFileSync(configPath, `provider: generic\nurl: ${baseUrl}\nupdaterCacheDirName: koutu-updater-${harnessCount}\n`)
  // The running AppImage the updater would replace (no embedded block map: a full download).
  const installed = path.join(dir, 'Koutu-installed.AppImage')
  fs.writeFileSync(installed, randomBytes(4096))
  process.env.APPIMAGE = installed
  const app: AppAdapter = {
    version: options.version ?? '0.1.0',
    name: 'Koutu',
    isPackaged: true,
    appUpdateConfigPath: configPath,
    userDataPath: path.join(dir, 'user-data'),
    baseCachePath: path.join(dir, 'cache'),
    whenReady: () => Promise.resolve(),
    relaunch: () => undefined,
    quit: () => undefined,
    onQuit: () => undefined,
  }
  // No feed options: the updater reads app-update.yml, as the packaged app does. The transport is
  // set before the first check, which creates the provider from that file.
  const updater = new AppImageUpdater(undefined, app)
  ;(updater as unknown as { httpExecutor: HttpExecutor<http.ClientRequest> }).httpExecutor = new NodeHttpExecutor()
  updater.logger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined }
  const installs: Harness['installs'] = []
  updater.quitAndInstall = (isSilent, isForceRunAfter) => {
    installs.push([isSilent, isForceRunAfter])
  }
  let mode = options.mode
  const statuses: UpdateStatus[] = []
  const controller = new UpdateController({
    updater: updater as unknown as Updater,
    currentVersion: app.version,
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
    updater,
    installs,
    statuses,
    setMode: (next) => {
      mode = next
      controller.modeChanged()
    },
    cacheDir: path.join(dir, 'cache', `koutu-updater-${harnessCount}`),
  }
}

async function until(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

function downloadedFile(cacheDir: string): Buffer {
  const pending = path.join(cacheDir, 'pending')
  const names = fs.readdirSync(pending).filter((name) => name.endsWith('.AppImage'))
  expect(names).toHaveLength(1)
  return fs.readFileSync(path.join(pending, names[0]!))
}

describe('update controller with electron-updater against a loopback feed', () => {
  it("'ask' finds the new version without downloading it, downloads when asked, restarts only after the batch", async () => {
    feed = { version: '0.2.0', file: randomBytes(700_000), chunk: 64 * 1024, pauseMs: 5 }
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
    expect(downloadedFile(h.cacheDir).equals(feed.file)).toBe(true)

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
    feed = { version: '0.3.1', file: randomBytes(300_000) }
    const h = makeHarness({ mode: 'auto' })
    h.controller.start()
    await until(() => h.controller.status.phase === 'ready', 'the background download')
    expect(h.controller.status).toMatchObject({ availableVersion: '0.3.1', downloadPercent: 100, error: null })
    expect(h.updater.autoInstallOnAppQuit).toBe(true)
    expect(h.updater.autoDownload).toBe(false)
    expect(downloadedFile(h.cacheDir).equals(feed.file)).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(h.installs).toEqual([])
  })

  it('reports up to date when the feed has this version, with the time of the check', async () => {
    feed = { version: '0.1.0', file: randomBytes(1000) }
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
    feed = { version: '0.2.0', file, sha512: sha512(Buffer.concat([file, Buffer.from('x')])) }
    const h = makeHarness({ mode: 'auto' })
    await h.controller.check()
    await until(() => h.controller.status.phase === 'error', 'the checksum failure')
    expect(h.controller.status.error).toMatch(/sha512 checksum mismatch/i)
    expect(h.statuses.some((status) => status.phase === 'ready')).toBe(false)
    expect(() => h.controller.restartToUpdate()).toThrow(/No update is ready/)
  })

  it('reports a broken feed as an error and recovers on the next check', async () => {
    feed = { version: '0.2.0', file: randomBytes(1000), metadataStatus: 502 }
    const h = makeHarness({ mode: 'ask' })
    const failed = await h.controller.check()
    expect(failed.phase).toBe('error')
    expect(failed.error).toMatch(/502/)
    expect(failed.lastCheckAt).not.toBeNull()
    feed = { version: '0.2.0', file: randomBytes(1000) }
    const recovered = await h.controller.check()
    expect(recovered).toMatchObject({ phase: 'available', error: null, availableVersion: '0.2.0' })
  })

  it("'never' makes no request until the mode changes, then checks on the schedule", async () => {
    feed = { version: '0.1.0', file: randomBytes(1000) }
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
    feed = { version: '0.2.0', file: randomBytes(1000) }
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
