/**
 * A loopback litterbox: `POST /resources/internals/api.php` with multipart `reqtype=fileupload`,
 * `time` (1h, 12h, 24h or 72h) and `fileToUpload`; answers the file's URL as plain text with no
 * newline, and serves the file at that URL. Like the real host it refuses clients without a
 * proper User-Agent (none, or a library's default such as `got`/`node`/`undici`).
 */
import { extensionOf, standinName } from './loopback-server'
import { startFileHostStandin, type FileHostStandin } from './file-host'

export type { FileHostStandin, HostUploadRecord } from './file-host'

const LITTERBOX_TIMES = new Set(['1h', '12h', '24h', '72h'])

/** A User-Agent that names a real client, not an HTTP library's default. */
export function isProperUserAgent(userAgent: string | undefined): boolean {
  if (!userAgent || userAgent.trim().length < 5) return false
  return !/^(got|node|node-fetch|undici|axios|python-requests|curl|wget)\b/i.test(userAgent) && userAgent.includes('/')
}

export function startLitterboxStandin(): Promise<FileHostStandin> {
  return startFileHostStandin({
    uploadPath: '/resources/internals/api.php',
    refuse(req, res) {
      if (isProperUserAgent(req.headers['user-agent'])) return false
      req.resume()
      res.writeHead(403, { 'content-type': 'text/html' }).end('<html><body>403 Forbidden</body></html>')
      return true
    },
    upload({ res, multipart, store, origin, record }) {
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
      const url = `${origin}${filePath}`
      record(url)
      res.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' }).end(url)
    },
  })
}
