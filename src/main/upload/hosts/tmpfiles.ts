/**
 * tmpfiles.org: keeps files for an hour by default. Multipart POST to `/api/v1/upload` with the
 * file under `file`; the answer `{"status":"success","data":{"url":"…/{id}/{name}"}}` points to an
 * HTML page, so the URL handed on is the direct one, `…/dl/{id}/{name}`. The name is part of
 * the URL, which is one more reason to upload under a short random name.
 */
import { z } from 'zod'
import type { UploadHost } from '../types'
import { assertSuccessStatus, badResponse, type HostHttp } from '../host-http'
import { buildForm } from '../multipart'
import { assertUsableUrl, joinUrl, randomObjectName } from '../naming'
import { parseHttpUrl, parseJson } from './parse-answer'

export const TMPFILES_DEFAULT_BASE_URL = 'https://tmpfiles.org'
export const TMPFILES_RETENTION_MS = 3_600_000

const answerSchema = z.object({
  status: z.literal('success'),
  data: z.object({ url: z.string() }),
})

export interface TmpfilesOptions {
  http: HostHttp
  baseUrl?: string
  maxUrlLength?: number
  now?: () => Date
}

export function createTmpfilesHost(options: TmpfilesOptions): UploadHost {
  const base = options.baseUrl ?? TMPFILES_DEFAULT_BASE_URL
  const endpoint = joinUrl(base, 'api/v1/upload')
  const now = options.now ?? (() => new Date())
  return {
    id: 'tmpfiles',
    async upload(file, { signal, onProgress } = {}) {
      const form = await buildForm(file, 'file', randomObjectName(file.extension))
      const started = now()
      const response = await options.http.send({ host: 'tmpfiles', method: 'POST', url: endpoint, body: form, signal, onProgress })
      assertSuccessStatus('tmpfiles', response)
      const answer = answerSchema.safeParse(parseJson(response.body))
      const pageUrl = answer.success ? parseHttpUrl(answer.data.data.url) : undefined
      const url = pageUrl ? directDownloadUrl(pageUrl, base) : undefined
      if (!url) throw badResponse('tmpfiles', 'something other than the expected JSON', response.body)
      return {
        url: assertUsableUrl('tmpfiles', url, options.maxUrlLength),
        expiresAt: new Date(started.getTime() + TMPFILES_RETENTION_MS),
        host: 'tmpfiles',
      }
    },
  }
}

/**
 * `https://tmpfiles.org/{id}/{name}` → `https://tmpfiles.org/dl/{id}/{name}`. The page URL has
 * been seen with `http:`; when it is on the configured base's host, the base's scheme is used so
 * the API is not sent through a redirect. Undefined when the path is not `/{id}/{name}`.
 */
export function directDownloadUrl(pageUrl: string, baseUrl: string): string | undefined {
  const url = new URL(pageUrl)
  const segments = url.pathname.split('/').filter(Boolean)
  if (segments[0] === 'dl') segments.shift()
  if (segments.length !== 2) return undefined
  const base = new URL(baseUrl)
  if (url.host === base.host) url.protocol = base.protocol
  url.pathname = `/dl/${segments.join('/')}`
  return url.href
}
