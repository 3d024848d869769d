/**
 * litterbox.catbox.moe: catbox's temporary host, the default. One multipart POST
 * (`reqtype=fileupload`, `time`, `fileToUpload`); the answer is the file's URL as plain text.
 * It drops clients without a proper User-Agent, which host-http.ts always sends.
 */
import type { UploadHost } from '../types'
import { assertSuccessStatus, badResponse, type HostHttp } from '../host-http'
import { buildForm } from '../multipart'
import { assertUsableUrl, joinUrl, randomObjectName } from '../naming'
import { parseHttpUrl } from './parse-answer'

export const LITTERBOX_DEFAULT_BASE_URL = 'https://litterbox.catbox.moe'
export const LITTERBOX_EXPIRIES = ['1h', '12h', '24h', '72h'] as const
export type LitterboxExpiry = (typeof LITTERBOX_EXPIRIES)[number]

const EXPIRY_HOURS: Record<LitterboxExpiry, number> = { '1h': 1, '12h': 12, '24h': 24, '72h': 72 }

export interface LitterboxOptions {
  http: HostHttp
  baseUrl?: string
  expiry?: LitterboxExpiry
  maxUrlLength?: number
  now?: () => Date
}

export function createLitterboxHost(options: LitterboxOptions): UploadHost {
  const endpoint = joinUrl(options.baseUrl ?? LITTERBOX_DEFAULT_BASE_URL, 'resources/internals/api.php')
  const expiry = options.expiry ?? '1h'
  const now = options.now ?? (() => new Date())
  return {
    id: 'litterbox',
    async upload(file, { signal, onProgress } = {}) {
      const form = await buildForm(file, 'fileToUpload', randomObjectName(file.extension), {
        reqtype: 'fileupload',
        time: expiry,
      })
      const started = now()
      const response = await options.http.send({ host: 'litterbox', method: 'POST', url: endpoint, body: form, signal, onProgress })
      assertSuccessStatus('litterbox', response)
      const text = response.body.trim()
      const url = /\s/.test(text) ? undefined : parseHttpUrl(text)
      if (!url) throw badResponse('litterbox', 'something other than a file URL', response.body)
      return {
        url: assertUsableUrl('litterbox', url, options.maxUrlLength),
        expiresAt: new Date(started.getTime() + EXPIRY_HOURS[expiry] * 3_600_000),
        host: 'litterbox',
      }
    },
  }
}
