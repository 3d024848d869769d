/**
 * Proxy support for every outgoing request of the main process. got ignores system and
 * environment proxies, so this module hands got a pair of agents (`agent: { http, https }`)
 * that choose, per target host, between a direct connection and a proxy tunnel made by
 * `hpagent` (CONNECT, for both http and https targets). Where the choice comes from:
 *
 * - `fixed`: one proxy URL from the settings (`proxyMode: 'manual'`);
 * - `env`: `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` and `NO_PROXY`, via proxy-from-env (the
 *   command line's source, as curl and most CLIs do);
 * - `resolver`: an async function returning a PAC result for a URL; the app passes Electron's
 *   `session.resolveProxy`, which knows the OS settings, PAC files and WPAD;
 * - `none`: always direct.
 *
 * [Note: proxy per connection] The choice happens in `createConnection`, which Node lets an
 * agent answer asynchronously, so an async PAC lookup fits without wrapping got. Results are
 * cached per origin for a minute: a batch makes hundreds of requests to two or three hosts.
 */
import { Agent as HttpAgent, type AgentOptions, type ClientRequestArgs } from 'node:http'
import { Agent as HttpsAgent, type RequestOptions as HttpsRequestOptions } from 'node:https'
import type { Duplex } from 'node:stream'
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent'
import { getProxyForUrl } from 'proxy-from-env'
import { KoutuError } from '../../shared/errors'
import type { Logger } from '../../shared/logger'
import { silentLogger } from '../../shared/logger'
import { parsePacResult, type ProxyRoute } from './pac'

export type { ProxyRoute } from './pac'

/** Returns a PAC result such as `'PROXY 10.0.0.1:3128; DIRECT'` for a URL. */
export type ProxyResolver = (url: string) => Promise<string>

export type ProxySource =
  | { kind: 'none' }
  | { kind: 'fixed'; proxyUrl: string }
  | { kind: 'env' }
  | { kind: 'resolver'; resolve: ProxyResolver }

export interface ProxyAgentOptions {
  logger?: Logger
  /** How long a resolver's answer is reused for the same origin. */
  cacheMs?: number
  /** Passed to every agent; keep-alive is on by default. */
  agentOptions?: AgentOptions
  now?: () => number
}

export interface ProxyAgents {
  /** Hand this to got as its `agent` option (got refuses any other key in it). */
  readonly agent: { readonly http: HttpAgent; readonly https: HttpsAgent }
  /** The route a request to `url` takes now (for diagnostics and the log). */
  routeFor(url: string | URL): Promise<ProxyRoute>
  /** Closes pooled sockets of every agent. */
  destroy(): void
}

type ConnectionCallback = (err: Error | null, stream: Duplex) => void

/** Builds the agents for a proxy source. See [Note: proxy per connection]. */
export function createProxyAgents(source: ProxySource, options: ProxyAgentOptions = {}): ProxyAgents {
  const logger = options.logger ?? silentLogger
  const agentOptions: AgentOptions = { keepAlive: true, ...options.agentOptions }
  const cacheMs = options.cacheMs ?? 60_000
  const now = options.now ?? Date.now
  if (source.kind === 'fixed') assertProxyUrl(source.proxyUrl)

  const cache = new Map<string, { at: number; route: Promise<ProxyRoute> }>()
  const tunnels = new Map<string, HttpProxyAgent | HttpsProxyAgent>()

  async function resolveRoute(target: URL): Promise<ProxyRoute> {
    switch (source.kind) {
      case 'none':
        return { kind: 'direct' }
      case 'fixed':
        return { kind: 'proxy', proxyUrl: source.proxyUrl }
      case 'env': {
        const proxyUrl = getProxyForUrl(target.href)
        if (!proxyUrl) return { kind: 'direct' }
        assertProxyUrl(proxyUrl)
        return { kind: 'proxy', proxyUrl }
      }
      case 'resolver': {
        let result: string
        try {
          result = await source.resolve(target.href)
        } catch (error) {
          logger.warn('proxy lookup failed; connecting directly', { origin: target.origin, reason: String(error) })
          return { kind: 'direct' }
        }
        const route = parsePacResult(result)
        if (!route) {
          throw new KoutuError('net.invalid-proxy', `The system proxy for ${target.host} is not an HTTP proxy (${result}); set an HTTP proxy in the settings.`, {
            detail: { host: target.host },
          })
        }
        return route
      }
    }
  }

  function routeFor(url: string | URL): Promise<ProxyRoute> {
    const target = new URL(url)
    const key = target.origin
    const cached = cache.get(key)
    if (cached && now() - cached.at < cacheMs) return cached.route
    const route = resolveRoute(target)
    cache.set(key, { at: now(), route })
    // A failed lookup is not remembered: the next request asks again.
    route.catch(() => cache.delete(key))
    route
      .then((chosen) => logger.debug('proxy route', { origin: key, route: describeRoute(chosen) }))
      .catch(() => undefined)
    return route
  }

  function tunnelFor(proxyUrl: string, secure: boolean): HttpProxyAgent | HttpsProxyAgent {
    const key = `${secure ? 'https' : 'http'} ${proxyUrl}`
    let tunnel = tunnels.get(key)
    if (!tunnel) {
      // The tunnel agents only open connections; pooling happens in the routing agents.
      tunnel = secure ? new HttpsProxyAgent({ proxy: proxyUrl, keepAlive: false }) : new HttpProxyAgent({ proxy: proxyUrl, keepAlive: false })
      tunnels.set(key, tunnel)
    }
    return tunnel
  }

  function connect(
    secure: boolean,
    options: ClientRequestArgs,
    callback: ConnectionCallback,
    direct: () => Duplex | null | undefined,
  ): undefined {
    const host = String(options.host ?? options.hostname ?? 'localhost')
    const port = Number(options.port ?? (secure ? 443 : 80))
    const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
    routeFor(`${secure ? 'https' : 'http'}://${bracketed}:${port}/`).then(
      (route) => {
        if (route.kind === 'direct') {
          const socket = direct()
          if (socket) callback(null, socket)
          else callback(new Error(`could not connect to ${host}:${port}`), undefined as never)
          return
        }
        tunnelFor(route.proxyUrl, secure).createConnection(options as HttpsRequestOptions, callback)
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), undefined as never),
    )
    return undefined
  }

  class RoutingHttpAgent extends HttpAgent {
    override createConnection(options: ClientRequestArgs, callback?: ConnectionCallback): Duplex | null | undefined {
      return connect(false, options, callback ?? noop, () => super.createConnection(options))
    }
  }

  class RoutingHttpsAgent extends HttpsAgent {
    override createConnection(options: HttpsRequestOptions, callback?: ConnectionCallback): Duplex | null | undefined {
      return connect(true, options, callback ?? noop, () => super.createConnection(options))
    }
  }

  const http = new RoutingHttpAgent(agentOptions)
  const https = new RoutingHttpsAgent(agentOptions)
  return {
    agent: { http, https },
    routeFor,
    destroy() {
      http.destroy()
      https.destroy()
      for (const tunnel of tunnels.values()) tunnel.destroy()
      tunnels.clear()
      cache.clear()
    },
  }
}

/**
 * The proxy source for the command line or the app from the `proxyMode` setting. `system`
 * means the injected resolver when there is one (the app), the environment otherwise (the CLI).
 */
export function proxySourceFromSettings(
  settings: { proxyMode: 'system' | 'none' | 'manual'; proxyUrl: string },
  resolver?: ProxyResolver,
): ProxySource {
  switch (settings.proxyMode) {
    case 'none':
      return { kind: 'none' }
    case 'manual':
      return settings.proxyUrl ? { kind: 'fixed', proxyUrl: settings.proxyUrl } : { kind: 'none' }
    case 'system':
      return resolver ? { kind: 'resolver', resolve: resolver } : { kind: 'env' }
  }
}

/** A route for logs: the proxy's address without its credentials. */
export function describeRoute(route: ProxyRoute): string {
  if (route.kind === 'direct') return 'direct'
  const url = new URL(route.proxyUrl)
  return `proxy ${url.protocol}//${url.host}`
}

function assertProxyUrl(proxyUrl: string): void {
  const valid = URL.canParse(proxyUrl) && ['http:', 'https:'].includes(new URL(proxyUrl).protocol)
  if (!valid) {
    throw new KoutuError('net.invalid-proxy', 'The proxy must be an http:// or https:// URL such as http://127.0.0.1:8080.', {
      detail: { scheme: URL.canParse(proxyUrl) ? new URL(proxyUrl).protocol : '' },
    })
  }
}

function noop(): void {}
