/**
 * A loopback uguu (pomf): `POST /upload?output=json` with the file under `files[]`; answers
 * `{"success":true,"files":[{"hash","name","url","size"}]}` and serves the file at that URL.
 * Without `output=json` it answers HTML, as a pomf front page would.
 */
import { createHash } from 'node:crypto'
import { applyFault, extensionOf, FileStore, readMultipart, standinName, startLoopbackServer, type Fault, type LoopbackServer } from './loopback-server'
import { trackAbort, type FileHostStandin, type HostUploadRecord } from './litterbox'

export async function startUguuStandin(): Promise<FileHostStandin> {
  const store = new FileStore()
  const uploads: HostUploadRecord[] = []
  const requests: FileHostStandin['requests'] = []
  let abortedBodies = 0
  const state = { fault: { kind: 'none' } as Fault }
  const server: LoopbackServer = await startLoopbackServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const userAgent = req.headers['user-agent']
    requests.push({ method: req.method ?? '', path: url.pathname, userAgent })
    if (store.serve(req, res, url.pathname)) return
    if (req.method !== 'POST' || url.pathname !== '/upload') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
      return
    }
    trackAbort(req, () => abortedBodies++)
    if (applyFault(state.fault, req, res)) return
    const multipart = await readMultipart(req)
    const file = multipart.files.find((part) => part.field === 'files[]')
    if (url.searchParams.get('output') !== 'json') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Uguu~ upload done</body></html>')
      return
    }
    if (!file) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ success: false, errorcode: 400, description: 'No input file(s)' }))
      return
    }
    const name = `${standinName(8)}.${extensionOf(file.name)}`
    const filePath = `/files/${name}`
    store.put(filePath, file.data, file.type)
    const fileUrl = `${server.url}${filePath}`
    uploads.push({ userAgent, path: url.pathname, multipart, url: fileUrl })
    const hash = createHash('sha1').update(file.data).digest('hex')
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ success: true, files: [{ hash, name, url: fileUrl, size: file.data.length }] }))
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
