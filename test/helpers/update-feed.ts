/**
 * An update feed on loopback that speaks electron-builder's generic-server protocol
 * (latest-linux.yml naming an AppImage with its sha512 and size, then the file itself), and
 * electron-updater's real Linux updater (AppImageUpdater) pointed at it the way the packaged app
 * is pointed at GitHub: through an app-update.yml. Only the transport differs (Node's http here,
 * Electron's net in the app), and quitAndInstall is recorded instead of replacing the test's
 * own process.
 */
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { configureRequestOptions, configureRequestUrl, HttpExecutor, type DownloadOptions } from 'builder-util-runtime'
import { AppImageUpdater } from 'electron-updater'
import type { AppAdapter } from 'electron-updater/out/AppAdapter'
import type { Updater } from '../../src/main/updates/update-controller'

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

export interface FeedContent {
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

export interface UpdateFeed {
  url: string
  /** Paths requested, in order. */
  requests: string[]
  content: FeedContent
  close(): Promise<void>
}

export const sha512Of = (data: Buffer) => createHash('sha512').update(data).digest('base64')
export const appImageName = (version: string) => `Koutu-${version}-x86_64.AppImage`

export async function startUpdateFeed(content: FeedContent): Promise<UpdateFeed> {
  const feed = { requests: [] as string[], content }
  const server = http.createServer((request, response) => {
    const { pathname } = new URL(request.url ?? '/', 'http://127.0.0.1')
    feed.requests.push(pathname)
    const current = feed.content
    if (pathname === '/latest-linux.yml') {
      if (current.metadataStatus) {
        response.writeHead(current.metadataStatus, { 'content-type': 'text/html' }).end('<html>Bad gateway</html>')
        return
      }
      const name = appImageName(current.version)
      const sha512 = current.sha512 ?? sha512Of(current.file)
      const body = [
        `version: ${current.version}`,
        'files:',
        `  - url: ${name}`,
        `    sha512: ${sha512}`,
        `    size: ${current.file.length}`,
        `path: ${name}`,
        `sha512: ${sha512}`,
        `releaseDate: '${new Date().toISOString()}'`,
        '',
      ].join('\n')
      response.writeHead(200, { 'content-type': 'text/yaml', 'cache-control': 'no-cache' }).end(body)
      return
    }
    if (pathname === `/${appImageName(current.version)}`) {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(current.file.length) })
      const chunk = current.chunk ?? current.file.length
      let offset = 0
      const writeNext = (): void => {
        if (offset >= current.file.length) {
          response.end()
          return
        }
        response.write(current.file.subarray(offset, offset + chunk))
        offset += chunk
        setTimeout(writeNext, current.pauseMs ?? 0)
      }
      writeNext()
      return
    }
    response.writeHead(404).end('not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return Object.assign(feed, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  })
}

export interface LoopbackUpdater {
  updater: Updater
  real: AppImageUpdater
  /** quitAndInstall calls, recorded instead of run. */
  installs: Array<[boolean | undefined, boolean | undefined]>
  /** Where a downloaded update is kept (electron-updater's pending folder). */
  pendingDir: string
}

let count = 0

/** AppImageUpdater for an installed `version`, reading its feed from an app-update.yml in `dir`. */
export function createLoopbackUpdater(options: { feedUrl: string; dir: string; version: string }): LoopbackUpdater {
  const dir = path.join(options.dir, `app-${++count}`)
  fs.mkdirSync(dir, { recursive: true })
  const cacheName = `koutu-updater-${count}`
  // What electron-builder writes into resources/ (there with provider: github).
  const configPath = path.join(dir, 'app-update.yml')
  fs.writeFileSync(configPath, `provider: generic\nurl: ${options.feedUrl}\nupdaterCacheDirName: ${cacheName}\n`)
  // The running AppImage the updater would replace (no embedded block map: a full download).
  const installed = path.join(dir, 'Koutu-installed.AppImage')
  fs.writeFileSync(installed, randomBytes(4096))
  process.env.APPIMAGE = installed
  const app: AppAdapter = {
    version: options.version,
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
  const real = new AppImageUpdater(undefined, app)
  ;(real as unknown as { httpExecutor: HttpExecutor<http.ClientRequest> }).httpExecutor = new NodeHttpExecutor()
  real.logger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined }
  const installs: LoopbackUpdater['installs'] = []
  real.quitAndInstall = (isSilent, isForceRunAfter) => {
    installs.push([isSilent, isForceRunAfter])
  }
  return { updater: real, real, installs, pendingDir: path.join(dir, 'cache', cacheName, 'pending') }
}
