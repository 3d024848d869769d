/**
 * A loopback litterbox: `POST /resources/internals/api.php` with multipart `reqtype=fileupload`,
 * `time` (1h, 12h, 24h or 72h) and `fileToUpload`; answers the file's URL as plain text with no
 * newline, and serves the file at that URL. Like the real host it refuses clients without a
 * proper User-Agent (none, or a library's default such as `got`/`node`/`undici`).
 */
import type { IncomingMessage } from 'node:http'
import {
  applyFault,
  extensionOf,
  FileStore,
  readMultipart,
  standinName,
  startLoopbackServer,
  type Fault,
  type LoopbackServer,
  type Multipart,
} from './loopback-server'

export interface HostUploadRecord {
  userAgent: string | undefined
  path: string
  multipart: Multipart
  /** The URL the stand-in answered with. */
  url: string
}

export interface FileHostStandin extends LoopbackServer {
  fault: Fault
  readonly uploads: HostUploadRecord[]
  /** Requests seen, including refused and faulted ones. */
  readonly requests: { method: string; path: string; userAgent: string | undefined }[]
  readonly store: FileStore
  /** Every request that was closed by the client before its body was complete. */
  readonly abortedBodies: number
}

const LITTERBOX_TIMES = new Set(['1h', '12h', '24h', '72h'])

/** A User-Agent that names a real client, not an HTTP library's default. */
export function isProperUserAgent(userAgent: string | undefined): boolean {
  if (!userAgent || userAgent.trim().length < 5) return false
  return !/^(got|node|node-fetch|undici|axios|python-requests|curl|wget)\b/i.test(userAgent) && userAgent.includes('/')
}

export async function startLitterboxStandin(): Promise<FileHostStandin> {
  const store = new FileStore()
  const uploads: HostUploadRecord[] = []
  const requests: FileHostStandin['requests'] = []
  let abortedBodies = 0
  const state = { fault: { kind: 'none' } as Fault }
  const server: LoopbackServer = await startLoopbackServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const userAgent = req.headers['user-agent']
    requests.push({ method: req.method ?? '', path, userAgent })
    if (store.serve(req, res, path)) return
    if (req.method !== 'POST' || path !== '/resources/internals/api.php') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
      return
    }
    trackAbort(req, () => abortedBodies++)
    if (!isProperUserAgent(userAgent)) {
      req.resume()
      res.writeHead(403, { 'content-type': 'text/html' }).end('<html><body>403 Forbidden</body></html>')
      return
    }
    if (applyFault(state.fault, req, res)) return
    const multipart = await readMultipart(req)
    const file = multipart.files.find((part) => part.field === 'fileToUpload')
    if (multipart.fields.reqtype !== 'fileupload' || !file) {
      res.writeHead(412, { 'content-type': 'text/plain' }).end('No input file(s).')
      return
    }
    if (!LITTERBOX_TIMES.has(multipart.fields.time ?? '')) {
      res.writeHead(412, { 'content-type': 'text/plain' }).end('Invalid time.')
      return
    }
    const filePath = `/${standinName()}.${extensionOf(file.name)}`
    store.put(filePath, file.data, file.type)
    const url = `${server.url}${filePath}`
    uploads.push({ userAgent, path, multipart, url })
    res.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' }).end(url)
  })
  return {
    ...server,
    get fault() {
      return state.fault
    },
    set fault(value: Fault) {
      state.fault = value
    },
    uploads,
    requests,
    store,
    get abortedBodies() {
      return abortedBodies
    },
  }
}

/** Counts a request whose connection closed before its body was complete. */
export function trackAbort(req: IncomingMessage, onAbort: () => void): void {
  req.on('close', () => {
    if (!req.complete) onAbort()
  })
}
