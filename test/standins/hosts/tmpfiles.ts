/**
 * A loopback tmpfiles.org: `POST /api/v1/upload` with the file under `file`; answers
 * `{"status":"success","data":{"url":"http://HOST/{id}/{name}"}}`. That URL is an HTML page
 * (as on the real site); only `/dl/{id}/{name}` returns the file itself.
 */
import { applyFault, FileStore, readMultipart, startLoopbackServer, type Fault, type LoopbackServer } from './loopback-server'
import { trackAbort, type FileHostStandin, type HostUploadRecord } from './litterbox'

export async function startTmpfilesStandin(): Promise<FileHostStandin> {
  const store = new FileStore()
  const uploads: HostUploadRecord[] = []
  const requests: FileHostStandin['requests'] = []
  let abortedBodies = 0
  let nextId = 4_000_000 + Math.floor(Math.random() * 1_000_000)
  const state = { fault: { kind: 'none' } as Fault }
  const server: LoopbackServer = await startLoopbackServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const userAgent = req.headers['user-agent']
    requests.push({ method: req.method ?? '', path: url.pathname, userAgent })
    if (store.serve(req, res, url.pathname)) return
    const page = /^\/(\d+)\/([^/]+)$/.exec(url.pathname)
    if (req.method === 'GET' && page && store.files.has(`/dl${url.pathname}`)) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><body><a href="/dl${url.pathname}">Download ${page[2]}</a></body></html>`)
      return
    }
    if (req.method !== 'POST' || url.pathname !== '/api/v1/upload') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
      return
    }
    trackAbort(req, () => abortedBodies++)
    if (applyFault(state.fault, req, res)) return
    const multipart = await readMultipart(req)
    const file = multipart.files.find((part) => part.field === 'file')
    if (!file) {
      res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', message: 'The file field is required.' }))
      return
    }
    const id = nextId++
    const pagePath = `/${id}/${file.name}`
    store.put(`/dl${pagePath}`, file.data, file.type)
    const pageUrl = `${server.url}${pagePath}`
    uploads.push({ userAgent, path: url.pathname, multipart, url: pageUrl })
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { url: pageUrl } }))
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
