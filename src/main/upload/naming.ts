/**
 * Object names and URL checks shared by the hosts. Names are random lowercase ASCII, never
 * derived from the user's file name: the name ends up in a public URL (privacy) and has to fit,
 * with the host's prefix, in the API's 128-character limit.
 */
import { randomInt } from 'node:crypto'
import { KoutuError } from '../../shared/errors'
import type { UploadHostId } from '../../shared/settings'
import { MAX_API_URL_LENGTH } from './types'

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'
const EXTENSION = /^[a-z0-9]{1,5}$/

/**
 * A random object name such as `k3x9q2mf.jpg`. 10 characters of base-36 is ~51 bits: collisions
 * within one host's retention window are not a practical concern.
 */
export function randomObjectName(extension: string, length = 10): string {
  let name = ''
  for (let i = 0; i < length; i++) name += ALPHABET[randomInt(ALPHABET.length)]
  const ext = extension.toLowerCase().replace(/^\./, '')
  return EXTENSION.test(ext) ? `${name}.${ext}` : name
}

/**
 * Checks that `url` is an absolute http(s) URL of at most `maxLength` characters and returns it.
 * A longer URL would be refused by the API only after the upload, so say so now, clearly.
 */
export function assertUsableUrl(host: UploadHostId, url: string, maxLength = MAX_API_URL_LENGTH): string {
  if (url.length > maxLength) {
    throw new KoutuError(
      'upload.url-too-long',
      `The URL from ${host} has ${url.length} characters; the API accepts at most ${maxLength}. ` +
        'Choose another host or a shorter public URL template.',
      { detail: { host, length: url.length, limit: maxLength } },
    )
  }
  return url
}

/** Joins a base URL and a path without doubling or dropping the slash between them. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`
}
