/**
 * A loopback uguu (pomf): `POST /upload?output=json` with the file under `files[]`; answers
 * `{"success":true,"files":[{"hash","name","url","size"}]}` and serves the file at that URL.
 * Without `output=json` it answers HTML, as a pomf front page would.
 */
import { createHash } from 'node:crypto'
import { extensionOf, standinName } from './loopback-server'
import { startFileHostStandin, type FileHostStandin } from './file-host'

export function startUguuStandin(): Promise<FileHostStandin> {
  return startFileHostStandin({
    uploadPath: '/upload',
    upload({ res, url, multipart, store, origin, record }) {
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
      const fileUrl = `${origin}${filePath}`
      record(fileUrl)
      const hash = createHash('sha1').update(file.data).digest('hex')
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ success: true, files: [{ hash, name, url: fileUrl, size: file.data.length }] }))
    },
  })
}
