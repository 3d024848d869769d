/**
 * A minimal image host for aipic tests: serves fixed bytes at fixed paths on loopback, so the
 * stand-in has a real `img_url` to fetch. (The real upload hosts have their own stand-ins.)
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface StaticHost {
  url: string
  /** Add or replace a file; returns its absolute URL. */
  put(path: string, body: Buffer, contentType?: string): string
  /** Paths requested, in order. */
  requested: string[]
  close(): Promise<void>
}

export async function startStaticHost(): Promise<StaticHost> {
  const files = new Map<string, { body: Buffer; contentType: string }>()
  const requested: string[] = []
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://host').pathname
    requested.push(path)
    const file = files.get(path)
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.body.length }).end(file.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    requested,
    put(path, body, contentType = 'image/png') {
      files.set(path, { body, contentType })
      return `${url}${path}`
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Serves canned replies per path (the API document's examples, broken replies). */
export async function startReplayServer(): Promise<{
  url: string
  /** `contentType` null sends no Content-Type header at all. */
  reply(path: string, status: number, body: string, contentType?: string | null): void
  close(): Promise<void>
}> {
  const replies = new Map<string, { status: number; body: string; contentType: string | null }>()
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const reply = replies.get(new URL(req.url ?? '/', 'http://host').pathname)
      if (!reply) {
        res.writeHead(404, { 'content-type': 'text/html' }).end('<html>404</html>')
        return
      }
      res.writeHead(reply.status, reply.contentType === null ? {} : { 'content-type': reply.contentType }).end(reply.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reply(path, status, body, contentType = 'application/json') {
      replies.set(path, { status, body, contentType })
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
