/**
 * A real loopback HTTP proxy: tunnels `CONNECT host:port` and forwards absolute-URI requests
 * (`GET http://host:port/path`), recording every request that went through it. It only
 * forwards to loopback addresses, so no test can reach the internet through it, and it can
 * demand Basic proxy credentials (answering 407 without them).
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect, isIP, type Socket } from 'node:net'
import { startLoopbackServer, type LoopbackServer } from './loopback-server'

export interface ProxiedRequest {
  kind: 'connect' | 'absolute'
  /** `host:port` of the target. */
  target: string
  method: string
  /** The full URL for absolute-URI requests; undefined for tunnels (the proxy cannot see inside). */
  url?: string
  proxyAuthorization?: string
}

export interface ProxyStandin extends LoopbackServer {
  readonly seen: ProxiedRequest[]
  /** Targets refused (not loopback, or bad credentials). */
  readonly refused: string[]
}

export interface ProxyStandinOptions {
  /** When set, requests must carry `Proxy-Authorization: Basic base64(user:pass)`. */
  credentials?: { username: string; password: string }
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '')
  if (bare === 'localhost') return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  return bare === '::1'
}

function splitTarget(target: string): { host: string; port: number } | undefined {
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(target)
  return match ? { host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) } : undefined
}

export async function startProxyStandin(options: ProxyStandinOptions = {}): Promise<ProxyStandin> {
  const seen: ProxiedRequest[] = []
  const refused: string[] = []
  const expectedAuth = options.credentials
    ? `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64')}`
    : undefined
  const authorized = (req: IncomingMessage): boolean => !expectedAuth || req.headers['proxy-authorization'] === expectedAuth

  const onAbsolute = (req: IncomingMessage, res: ServerResponse): void => {
    const raw = req.url ?? ''
    if (!/^https?:\/\//i.test(raw)) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('This is a proxy: send an absolute URI or CONNECT')
      return
    }
    const url = new URL(raw)
    const target = `${url.hostname}:${url.port || 80}`
    if (!authorized(req)) {
      refused.push(target)
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="standin"' }).end()
      return
    }
    if (url.protocol !== 'http:' || !isLoopback(url.hostname)) {
      refused.push(target)
      res.writeHead(403, { 'content-type': 'text/plain' }).end('The stand-in proxy only forwards to loopback http')
      return
    }
    seen.push({ kind: 'absolute', target, method: req.method ?? '', url: raw, ...(req.headers['proxy-authorization'] ? { proxyAuthorization: req.headers['proxy-authorization'] } : {}) })
    const headers = { ...req.headers }
    delete headers['proxy-authorization']
    delete headers['proxy-connection']
    const upstream = httpRequest(
      { host: url.hostname, port: Number(url.port || 80), method: req.method, path: `${url.pathname}${url.search}`, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end()
      else res.destroy()
    })
    req.pipe(upstream)
  }

  const server = await startLoopbackServer(onAbsolute)
  server.server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? ''
    const parsed = splitTarget(target)
    if (!authorized(req)) {
      refused.push(target)
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="standin"\r\n\r\n')
      return
    }
    if (!parsed || !isLoopback(parsed.host)) {
      refused.push(target)
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n')
      return
    }
    seen.push({ kind: 'connect', target, method: 'CONNECT', ...(req.headers['proxy-authorization'] ? { proxyAuthorization: req.headers['proxy-authorization'] } : {}) })
    const upstream = connect(parsed.port, parsed.host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    const close = (): void => {
      upstream.destroy()
      client.destroy()
    }
    upstream.on('error', () => {
      if (!client.destroyed) client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n')
    })
    client.on('error', close)
    client.on('close', close)
  })
  return { ...server, seen, refused }
}
