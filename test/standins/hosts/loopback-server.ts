/**
 * Shared plumbing for the upload-host stand-ins: a loopback HTTP server with an async handler,
 * a multipart reader built on undici's own FormData parser (the same spec implementation a
 * browser uses, independent of the client code under test), switchable faults, and an
 * in-memory store that serves uploaded files back over GET, as the real hosts do, so the aipic
 * stand-in can fetch them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { Readable } from 'node:stream'

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void

export interface LoopbackServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string
  port: number
  server: Server
  close(): Promise<void>
}

export async function startLoopbackServer(handler: Handler): Promise<LoopbackServer> {
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(`stand-in error: ${String(error)}`)
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

export interface MultipartFile {
  field: string
  name: string
  type: string
  data: Buffer
}

export interface Multipart {
  fields: Record<string, string>
  files: MultipartFile[]
}

/** Parses a multipart/form-data request body; throws on anything else. */
export async function readMultipart(req: IncomingMessage): Promise<Multipart> {
  const contentType = req.headers['content-type'] ?? ''
  if (!contentType.startsWith('multipart/form-data')) throw new Error(`not multipart: ${contentType}`)
  const request = new Request('http://standin.invalid/', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: Readable.toWeb(req) as ReadableStream<Uint8Array>,
    duplex: 'half',
  } as RequestInit)
  const form = await request.formData()
  const result: Multipart = { fields: {}, files: [] }
  for (const [field, value] of form.entries()) {
    if (typeof value === 'string') result.fields[field] = value
    else result.files.push({ field, name: value.name, type: value.type, data: Buffer.from(await value.arrayBuffer()) })
  }
  return result
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/**
 * Faults a stand-in can be switched into: an HTTP status, an HTML page instead of the answer
 * (a captive portal, a Cloudflare page), an answer too big to be one, a connection reset, or a
 * server that stops reading the body (to cancel an upload midway).
 */
export type Fault =
  | { kind: 'none' }
  | { kind: 'status'; status: number }
  | { kind: 'html' }
  | { kind: 'huge'; bytes: number }
  | { kind: 'reset' }
  | { kind: 'stall' }
  | { kind: 'throttle'; bytesPerSecond: number }

/** Applies `fault` to the request; true when the fault answered (or dropped) it. */
export function applyFault(fault: Fault, req: IncomingMessage, res: ServerResponse): boolean {
  switch (fault.kind) {
    case 'none':
      return false
    case 'status':
      req.resume()
      res.writeHead(fault.status, { 'content-type': 'text/plain' }).end(`stand-in fault ${fault.status}`)
      return true
    case 'html':
      req.resume()
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>')
      return true
    case 'huge':
      req.resume()
      res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(fault.bytes))
      return true
    case 'reset':
      req.socket.destroy()
      return true
    case 'stall':
      // Read one chunk, then stop reading: the client's upload stalls on backpressure.
      req.once('data', () => req.pause())
      return true
    case 'throttle': {
      // Read slowly (a poor uplink) and answer 500 if the body ever completes; unlike 'stall'
      // it keeps reading, so it notices when the client hangs up midway.
      req.on('data', (chunk: Buffer) => {
        req.pause()
        setTimeout(() => req.resume(), (chunk.length / fault.bytesPerSecond) * 1000)
      })
      req.on('end', () => res.writeHead(500).end('throttled body done'))
      return true
    }
  }
}

/** Files the stand-in holds, by URL path, served back with their content type. */
export class FileStore {
  readonly files = new Map<string, { data: Buffer; type: string }>()

  put(path: string, data: Buffer, type: string): void {
    this.files.set(path, { data, type })
  }

  /** Serves GET/HEAD for a stored path; false when the path is not a stored file. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const file = this.files.get(path)
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) return false
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.data.length })
    res.end(req.method === 'HEAD' ? undefined : file.data)
    return true
  }
}

/** A short random name like the hosts give, e.g. `j3dw69`. */
export function standinName(length = 6): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  let name = ''
  for (let i = 0; i < length; i++) name += alphabet[Math.floor(Math.random() * alphabet.length)]
  return name
}

/** The extension of an uploaded file name, lowercased, or 'bin'. */
export function extensionOf(fileName: string): string {
  const match = /\.([A-Za-z0-9]{1,5})$/.exec(fileName)
  return match?.[1]?.toLowerCase() ?? 'bin'
}
