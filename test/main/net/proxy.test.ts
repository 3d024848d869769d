/**
 * Proxy agents against a real loopback proxy (CONNECT and absolute-URI) and loopback targets:
 * an explicit proxy, the environment with NO_PROXY, and a PAC-style resolver, for http and
 * https (a self-signed certificate made with openssl) targets, with proxy credentials.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import got from 'got'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { isKoutuError } from '../../../src/shared/errors'
import { createProxyAgents, describeRoute, proxySourceFromSettings, type ProxyAgents } from '../../../src/main/net/proxy'
import { parsePacResult } from '../../../src/main/net/pac'
import { createUploader } from '../../../src/main/upload/uploader'
import { startLitterboxStandin, type FileHostStandin } from '../../standins/hosts/litterbox'
import { startLoopbackServer, type LoopbackServer } from '../../standins/hosts/loopback-server'
import { startProxyStandin, type ProxyStandin } from '../../standins/hosts/proxy'
import { fileUpload, makeTempDir, noisyJpeg, TEST_USER_AGENT, type TempDir } from '../upload/fixtures'

let dir: TempDir
let proxy: ProxyStandin
let authProxy: ProxyStandin
let litterbox: FileHostStandin
let plain: LoopbackServer
let tls: { url: string; ca: string; close: () => Promise<void> }
const agentsToClose: ProxyAgents[] = []

/** The got `agent` option for a proxy source; the agents are destroyed after each test. */
function agents(...args: Parameters<typeof createProxyAgents>): ProxyAgents['agent'] {
  return routing(...args).agent
}

function routing(...args: Parameters<typeof createProxyAgents>): ProxyAgents {
  const created = createProxyAgents(...args)
  agentsToClose.push(created)
  return created
}

const targetOf = (url: string) => new URL(url).host

/** A loopback HTTPS server with a fresh self-signed certificate for 127.0.0.1. */
async function startTlsTarget(tmp: string): Promise<typeof tls> {
  const key = join(tmp, 'key.pem')
  const cert = join(tmp, 'cert.pem')
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' })
  const ca = readFileSync(cert, 'utf8')
  const server = createHttpsServer({ key: readFileSync(key), cert: ca }, (req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`secure ${req.url}`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `https://127.0.0.1:${port}`,
    ca,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

beforeAll(async () => {
  dir = await makeTempDir('koutu-proxy-')
  ;[proxy, authProxy, litterbox, plain] = await Promise.all([
    startProxyStandin(),
    startProxyStandin({ credentials: { username: 'koutu', password: 's3cret:pw' } }),
    startLitterboxStandin(),
    startLoopbackServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`plain ${req.url}`)
    }),
  ])
  tls = await startTlsTarget(dir.path)
})

afterEach(() => {
  vi.unstubAllEnvs()
  for (const created of agentsToClose.splice(0)) created.destroy()
})

afterAll(async () => {
  await Promise.all([proxy?.close(), authProxy?.close(), litterbox?.close(), plain?.close(), tls?.close()])
  await dir?.remove()
})

describe('createProxyAgents', () => {
  it('sends a whole upload through an explicit proxy', async () => {
    const seenBefore = proxy.seen.length
    const photo = await fileUpload(dir.path, await noisyJpeg(64, 48))
    const uploader = createUploader({
      hosts: ['litterbox'],
      userAgent: TEST_USER_AGENT,
      baseUrls: { litterbox: litterbox.url },
      agent: agents({ kind: 'fixed', proxyUrl: proxy.url }),
    })
    const result = await uploader.upload(photo)
    expect(result.host).toBe('litterbox')
    expect(litterbox.uploads.at(-1)!.userAgent).toBe(TEST_USER_AGENT)
    expect(proxy.seen.slice(seenBefore)).toEqual([{ kind: 'connect', method: 'CONNECT', target: targetOf(litterbox.url) }])
  })

  it('tunnels https through the proxy with CONNECT, TLS end to end', async () => {
    const seenBefore = proxy.seen.length
    const routed = agents({ kind: 'fixed', proxyUrl: proxy.url })
    const body = await got(`${tls.url}/hello`, { agent: routed, https: { certificateAuthority: tls.ca }, retry: { limit: 0 } }).text()
    expect(body).toBe('secure /hello')
    expect(proxy.seen.slice(seenBefore).map((seen) => [seen.kind, seen.target])).toEqual([['connect', targetOf(tls.url)]])
    // The certificate is still checked through the tunnel.
    await expect(got(`${tls.url}/hello`, { agent: agents({ kind: 'fixed', proxyUrl: proxy.url }), retry: { limit: 0 } })).rejects.toThrow(/self-signed|certificate/i)
  })

  it('sends proxy credentials from the proxy URL', async () => {
    const routed = agents({ kind: 'fixed', proxyUrl: authProxy.url.replace('http://', 'http://koutu:s3cret%3Apw@') })
    expect(await got(`${plain.url}/auth`, { agent: routed, retry: { limit: 0 } }).text()).toBe('plain /auth')
    expect(authProxy.seen.at(-1)).toMatchObject({ kind: 'connect', target: targetOf(plain.url) })
    const refusedBefore = authProxy.refused.length
    const anonymous = agents({ kind: 'fixed', proxyUrl: authProxy.url })
    await expect(got(`${plain.url}/auth`, { agent: anonymous, retry: { limit: 0 } })).rejects.toThrow(/407/)
    expect(authProxy.refused.length).toBe(refusedBefore + 1)
  })

  it('follows HTTP_PROXY and HTTPS_PROXY, and NO_PROXY bypasses', async () => {
    vi.stubEnv('HTTP_PROXY', proxy.url)
    vi.stubEnv('HTTPS_PROXY', proxy.url)
    vi.stubEnv('NO_PROXY', targetOf(litterbox.url))
    vi.stubEnv('no_proxy', '')
    const env = routing({ kind: 'env' })
    const routed = env.agent
    const seenBefore = proxy.seen.length
    expect(await got(`${plain.url}/via-env`, { agent: routed, retry: { limit: 0 } }).text()).toBe('plain /via-env')
    expect(await got(`${tls.url}/via-env`, { agent: routed, https: { certificateAuthority: tls.ca }, retry: { limit: 0 } }).text()).toBe('secure /via-env')
    const litterboxRequests = litterbox.requests.length
    expect((await got(`${litterbox.url}/not-there`, { agent: routed, retry: { limit: 0 }, throwHttpErrors: false })).statusCode).toBe(404)
    expect(litterbox.requests.length).toBe(litterboxRequests + 1)
    expect(proxy.seen.slice(seenBefore).map((seen) => seen.target)).toEqual([targetOf(plain.url), targetOf(tls.url)])
    expect(await env.routeFor(litterbox.url)).toEqual({ kind: 'direct' })
    expect(await env.routeFor(plain.url)).toEqual({ kind: 'proxy', proxyUrl: proxy.url })
  })

  it('asks the resolver once per origin and follows its PAC answer', async () => {
    const asked: string[] = []
    const resolve = async (url: string): Promise<string> => {
      asked.push(url)
      return new URL(url).host === targetOf(plain.url) ? `SOCKS5 127.0.0.1:1; PROXY ${targetOf(proxy.url)}; DIRECT` : 'DIRECT'
    }
    const routed = agents({ kind: 'resolver', resolve }, { agentOptions: { keepAlive: false } })
    const seenBefore = proxy.seen.length
    for (const path of ['/a', '/b']) expect(await got(`${plain.url}${path}`, { agent: routed, retry: { limit: 0 } }).text()).toBe(`plain ${path}`)
    expect(await got(`${tls.url}/direct`, { agent: routed, https: { certificateAuthority: tls.ca }, retry: { limit: 0 } }).text()).toBe('secure /direct')
    expect(proxy.seen.slice(seenBefore).map((seen) => seen.target)).toEqual([targetOf(plain.url), targetOf(plain.url)])
    expect(asked).toEqual([`${plain.url}/`, `${tls.url}/`])
  })

  it('connects directly when the resolver fails, and refuses a SOCKS-only answer clearly', async () => {
    const warnings: string[] = []
    const logger = { debug() {}, info() {}, error() {}, warn: (message: string) => void warnings.push(message) }
    const failing = agents({ kind: 'resolver', resolve: () => Promise.reject(new Error('no session')) }, { logger })
    expect(await got(`${plain.url}/fallback`, { agent: failing, retry: { limit: 0 } }).text()).toBe('plain /fallback')
    expect(warnings).toEqual(['proxy lookup failed; connecting directly'])
    const socks = routing({ kind: 'resolver', resolve: async () => 'SOCKS5 127.0.0.1:1080' })
    const error = await socks.routeFor(plain.url).catch((caught: unknown) => caught)
    expect(isKoutuError(error, 'net.invalid-proxy')).toBe(true)
    await expect(got(`${plain.url}/socks`, { agent: socks.agent, retry: { limit: 0 } })).rejects.toThrow(/not an HTTP proxy/)
  })

  it('connects directly with no proxy, and turns an unreachable proxy into an upload.network error', async () => {
    const seenBefore = proxy.seen.length
    expect(await got(`${plain.url}/none`, { agent: agents({ kind: 'none' }), retry: { limit: 0 } }).text()).toBe('plain /none')
    expect(proxy.seen.length).toBe(seenBefore)
    const photo = await fileUpload(dir.path, await noisyJpeg(32, 32), 'p.jpg')
    const uploader = createUploader({
      hosts: ['litterbox'],
      userAgent: TEST_USER_AGENT,
      baseUrls: { litterbox: litterbox.url },
      agent: agents({ kind: 'fixed', proxyUrl: 'http://127.0.0.1:1' }),
    })
    const error = await uploader.upload(photo).catch((caught: unknown) => caught)
    expect(isKoutuError(error, 'upload.all-hosts-failed')).toBe(true)
    expect(String((error as { detail: { codes: string } }).detail.codes)).toBe('upload.network')
  })

  it('rejects a proxy URL that is not http(s)', () => {
    expect(() => createProxyAgents({ kind: 'fixed', proxyUrl: 'socks5://127.0.0.1:1080' })).toThrow(/http:\/\/ or https:\/\//)
  })
})

describe('the stand-in proxy', () => {
  it('also forwards absolute-URI requests and records them', async () => {
    const seenBefore = proxy.seen.length
    const { port } = new URL(proxy.url)
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: Number(port), method: 'GET', path: `${plain.url}/absolute?x=1` }, (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve(text))
      })
      req.on('error', reject)
      req.end()
    })
    expect(body).toBe('plain /absolute?x=1')
    expect(proxy.seen.slice(seenBefore)).toEqual([{ kind: 'absolute', method: 'GET', target: targetOf(plain.url), url: `${plain.url}/absolute?x=1` }])
  })
})

describe('PAC results and settings', () => {
  it('takes the first usable entry', () => {
    expect(parsePacResult('PROXY 10.1.2.3:3128; DIRECT')).toEqual({ kind: 'proxy', proxyUrl: 'http://10.1.2.3:3128' })
    expect(parsePacResult('SOCKS5 h:1080; HTTPS secure.example:443')).toEqual({ kind: 'proxy', proxyUrl: 'https://secure.example:443' })
    expect(parsePacResult('DIRECT')).toEqual({ kind: 'direct' })
    expect(parsePacResult('')).toEqual({ kind: 'direct' })
    expect(parsePacResult('SOCKS5 h:1080')).toBeUndefined()
    expect(parsePacResult('PROXY not a host')).toBeUndefined()
  })

  it('maps the proxy settings to a source, and logs routes without credentials', () => {
    const resolver = async () => 'DIRECT'
    expect(proxySourceFromSettings({ proxyMode: 'system', proxyUrl: '' }).kind).toBe('env')
    expect(proxySourceFromSettings({ proxyMode: 'system', proxyUrl: '' }, resolver).kind).toBe('resolver')
    expect(proxySourceFromSettings({ proxyMode: 'manual', proxyUrl: 'http://p:1' })).toEqual({ kind: 'fixed', proxyUrl: 'http://p:1' })
    expect(proxySourceFromSettings({ proxyMode: 'manual', proxyUrl: '' }).kind).toBe('none')
    expect(proxySourceFromSettings({ proxyMode: 'none', proxyUrl: 'http://p:1' }).kind).toBe('none')
    expect(describeRoute({ kind: 'proxy', proxyUrl: 'http://user:secret@p.example:8080' })).toBe('proxy http://p.example:8080')
  })
})
