/**
 * A loopback tmpfiles.org: `POST /api/v1/upload` with the file under `file`; answers
 * `{"status":"success","data":{"url":"http://HOST/{id}/{name}"}}`. That URL is an HTML page
 * (as on the real site); only `/dl/{id}/{name}` returns the file itself.
 */
import { startFileHostStandin, type FileHostStandin } from './file-host'

export function startTmpfilesStandin(): Promise<FileHostStandin> {
  let nextId = 4_000_000 + Math.floor(Math.random() * 1_000_000)
  return startFileHostStandin({
    uploadPath: '/api/v1/upload',
    serveOther(req, res, url, store) {
      const page = /^\/(\d+)\/([^/]+)$/.exec(url.pathname)
      if (req.method !== 'GET' || !page || !store.files.has(`/dl${url.pathname}`)) return false
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><body><a href="/dl${url.pathname}">Download ${page[2]}</a></body></html>`)
      return true
    },
    upload({ res, multipart, store, origin, record }) {
      const file = multipart.files.find((part) => part.field === 'file')
      if (!file) {
        res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', message: 'The file field is required.' }))
        return
      }
      const id = nextId++
      const pagePath = `/${id}/${file.name}`
      store.put(`/dl${pagePath}`, file.data, file.type)
      const pageUrl = `${origin}${pagePath}`
      record(pageUrl)
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { url: pageUrl } }))
    },
  })
}
