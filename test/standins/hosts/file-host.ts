/**
 * What the three public file-host stand-ins (litterbox, uguu, tmpfiles) share: the request log,
 * the file store that serves uploads back over GET, fault switches, the count of uploads the
 * client abandoned, and the handle tests use. Each host supplies only its own protocol.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { applyFault, FileStore, readMultipart, startLoopbackServer, type Fault, type LoopbackServer, type Multipart } from './loopback-server'

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

/** One upload that passed the fault switches, with its body already parsed. */
export interface UploadContext {
  res: ServerResponse
  url: URL
  multipart: Multipart
  store: FileStore
  /** The stand-in's own origin, e.g. http://127.0.0.1:1234. */
  origin: string
  /** Records a successful upload answered with `answeredUrl`. */
  record(answeredUrl: string): void
}

export interface FileHostProtocol {
  /** The POST path that takes uploads. */
  uploadPath: string
  /** Answers a request that is neither an upload nor a stored file (e.g. a page); true if it did. */
  serveOther?(req: IncomingMessage, res: ServerResponse, url: URL, store: FileStore): boolean
  /** Refuses an upload before faults and body (e.g. a missing User-Agent); true if it did. */
  refuse?(req: IncomingMessage, res: ServerResponse): boolean
  upload(context: UploadContext): void
}

export async function startFileHostStandin(protocol: FileHostProtocol): Promise<FileHostStandin> {
  const store = new FileStore()
  const uploads: HostUploadRecord[] = []
  const requests: FileHostStandin['requests'] = []
  let abortedBodies = 0
  let fault: Fault = { kind: 'none' }
  const server: LoopbackServer = await startLoopbackServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const userAgent = req.headers['user-agent']
    requests.push({ method: req.method ?? '', path: url.pathname, userAgent })
    if (store.serve(req, res, url.pathname)) return
    if (protocol.serveOther?.(req, res, url, store)) return
    if (req.method !== 'POST' || url.pathname !== protocol.uploadPath) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
      return
    }
    trackAbort(req, () => abortedBodies++)
    if (protocol.refuse?.(req, res)) return
    if (applyFault(fault, req, res)) return
    const multipart = await readMultipart(req)
    protocol.upload({
      res,
      url,
      multipart,
      store,
      origin: server.url,
      record: (answeredUrl) => uploads.push({ userAgent, path: url.pathname, multipart, url: answeredUrl }),
    })
  })
  return {
    ...server,
    get fault() {
      return fault
    },
    set fault(value: Fault) {
      fault = value
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
