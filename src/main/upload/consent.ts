/**
 * Upload consent, as pure logic: which of the configured upload hosts still need the user's
 * agreement before a photo may be sent there, and what to tell them (the host's name and how long
 * it keeps files). The app asks in a dialog and stores the answer in `settings.uploadConsent`; the
 * command line asks on the terminal or takes `--allow-upload`. The remote engine checks it before
 * every upload, so nothing leaves the machine without it.
 *
 * [Note: consent covers the whole fallback chain] Any host in the chain may receive a photo when
 * the ones before it are down, so consent is asked for every public host in the chain, not only
 * the first. The own bucket (`s3`) needs none: the user set it up and controls who can read it.
 */
import { KoutuError } from '../../shared/errors'
import type { Settings, UploadHostId } from '../../shared/settings'
import { LITTERBOX_DEFAULT_BASE_URL, type LitterboxExpiry } from './hosts/litterbox'
import { TMPFILES_DEFAULT_BASE_URL, TMPFILES_RETENTION_MS } from './hosts/tmpfiles'
import { UGUU_DEFAULT_BASE_URL, UGUU_RETENTION_MS } from './hosts/uguu'

/** What the user is told about one host before agreeing. */
export interface ConsentRequest {
  host: UploadHostId
  /** Where the files go, e.g. `litterbox.catbox.moe` (the configured base URL's host name). */
  site: string
  /** How long the host keeps a file, in hours. */
  retentionHours: number
  /** Anyone who has (or guesses) the link can fetch the photo until it expires. */
  publicLink: true
}

/** The settings that decide what consent is needed. */
export type ConsentSettings = Pick<Settings, 'uploadHosts' | 'uploadConsent' | 'uploadBaseUrls' | 'litterboxExpiry'>

const LITTERBOX_HOURS: Record<LitterboxExpiry, number> = { '1h': 1, '12h': 12, '24h': 24, '72h': 72 }

const DEFAULT_SITES: Record<Exclude<UploadHostId, 's3'>, string> = {
  litterbox: LITTERBOX_DEFAULT_BASE_URL,
  uguu: UGUU_DEFAULT_BASE_URL,
  tmpfiles: TMPFILES_DEFAULT_BASE_URL,
}

/** True for hosts that put photos at a public link on someone else's server. */
export function isPublicHost(host: UploadHostId): host is Exclude<UploadHostId, 's3'> {
  return host !== 's3'
}

/** What to tell the user about `host` (null for the own bucket, which needs no consent). */
export function describeHost(host: UploadHostId, settings: Pick<ConsentSettings, 'uploadBaseUrls' | 'litterboxExpiry'>): ConsentRequest | null {
  if (!isPublicHost(host)) return null
  const base = settings.uploadBaseUrls[host] ?? DEFAULT_SITES[host]
  const site = URL.canParse(base) ? new URL(base).host : base
  const retentionHours =
    host === 'litterbox'
      ? LITTERBOX_HOURS[settings.litterboxExpiry]
      : host === 'uguu'
        ? UGUU_RETENTION_MS / 3_600_000
        : TMPFILES_RETENTION_MS / 3_600_000
  return { host, site, retentionHours, publicLink: true }
}

/**
 * The hosts of the configured chain, in order, that the user has not agreed to yet. Empty when
 * photos may be uploaded. See [Note: consent covers the whole fallback chain].
 */
export function hostsNeedingConsent(settings: ConsentSettings): ConsentRequest[] {
  const agreed = new Set(settings.uploadConsent)
  const seen = new Set<UploadHostId>()
  const needed: ConsentRequest[] = []
  for (const host of settings.uploadHosts) {
    if (seen.has(host) || agreed.has(host)) continue
    seen.add(host)
    const request = describeHost(host, settings)
    if (request !== null) needed.push(request)
  }
  return needed
}

/** `settings.uploadConsent` after agreeing to `hosts` (kept in a stable order, no duplicates). */
export function grantConsent(consented: readonly UploadHostId[], hosts: readonly UploadHostId[]): UploadHostId[] {
  const merged = new Set([...consented, ...hosts])
  return [...merged]
}

/** One line per host: `litterbox.catbox.moe (litterbox): kept 1 hour`. */
export function consentSummary(requests: readonly ConsentRequest[]): string {
  return requests.map((request) => `${request.site} (${request.host}): kept ${formatHours(request.retentionHours)}`).join('; ')
}

export function formatHours(hours: number): string {
  return hours === 1 ? '1 hour' : `${hours} hours`
}

/**
 * The error a remote batch stops with when consent is missing. `detail.hosts` names the hosts
 * (comma-separated ids) for the UI to ask about; nothing has been uploaded.
 */
export function consentRequiredError(requests: readonly ConsentRequest[], howToAgree: string): KoutuError {
  const hosts = requests.map((request) => request.host).join(',')
  return new KoutuError(
    'upload.consent-required',
    `Photos would be uploaded to ${consentSummary(requests)}, where anyone with the link can see them until they expire. ` +
      `Nothing was uploaded. ${howToAgree}`,
    { detail: { hosts, sites: requests.map((request) => request.site).join(',') } },
  )
}

/** Throws `upload.consent-required` unless every public host in the chain has consent. */
export function requireConsent(settings: ConsentSettings, howToAgree = 'Allow the host(s) in the settings, or choose another route.'): void {
  const needed = hostsNeedingConsent(settings)
  if (needed.length > 0) throw consentRequiredError(needed, howToAgree)
}
