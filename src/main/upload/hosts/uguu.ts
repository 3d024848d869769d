/**
 * uguu.se: a pomf-style host keeping files for 3 hours. Multipart POST to `/upload?output=json`
 * with the file under `files[]`; the answer is `{"success":true,"files":[{hash,name,url,size}]}`.
 */
import { z } from 'zod'
import type { UploadHost } from '../types'
import { assertSuccessStatus, badResponse, type HostHttp } from '../host-http'
import { buildForm } from '../multipart'
import { assertUsableUrl, joinUrl, randomObjectName } from '../naming'
import { parseHttpUrl, parseJson } from './parse-answer'

export const UGUU_DEFAULT_BASE_URL = 'https://uguu.se'
/** uguu's published retention. */
export const UGUU_RETENTION_MS = 3 * 3_600_000

const answerSchema = z.object({
  success: z.literal(true),
  files: z.array(z.object({ url: z.string(), name: z.string().optional(), size: z.number().optional() })).min(1),
})

export interface UguuOptions {
  http: HostHttp
  baseUrl?: string
  maxUrlLength?: number
  now?: () => Date
}

export function createUguuHost(options: UguuOptions): UploadHost {
  const endpoint = `${joinUrl(options.baseUrl ?? UGUU_DEFAULT_BASE_URL, 'upload')}?output=json`
  const now = options.now ?? (() => new Date())
  return {
    id: 'uguu',
    async upload(file, { signal, onProgress } = {}) {
      const form = await buildForm(file, 'files[]', randomObjectName(file.extension))
      const started = now()
      const response = await options.http.send({ host: 'uguu', method: 'POST', url: endpoint, body: form, signal, onProgress })
      assertSuccessStatus('uguu', response)
      const answer = answerSchema.safeParse(parseJson(response.body))
      const url = answer.success ? parseHttpUrl(answer.data.files[0]?.url) : undefined
      if (!url) throw badResponse('uguu', 'something other than the expected JSON', response.body)
      return {
        url: assertUsableUrl('uguu', url, options.maxUrlLength),
        expiresAt: new Date(started.getTime() + UGUU_RETENTION_MS),
        host: 'uguu',
      }
    },
  }
}
