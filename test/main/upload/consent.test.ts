/**
 * Upload consent as pure logic: which hosts of the chain still need agreement (all public ones,
 * in order, the own bucket never), what the user is told (site and retention), and the error.
 */
import { expect, it } from 'vitest'
import { isKoutuError } from '../../../src/shared/errors'
import { DEFAULT_SETTINGS } from '../../../src/shared/settings'
import { consentSummary, grantConsent, hostsNeedingConsent, requireConsent } from '../../../src/main/upload/consent'

const base = { ...DEFAULT_SETTINGS }

it('asks for every public host in the chain, in order, with its site and retention', () => {
  const needed = hostsNeedingConsent({ ...base, uploadHosts: ['uguu', 's3', 'litterbox', 'tmpfiles'], litterboxExpiry: '24h' })
  expect(needed.map((request) => [request.host, request.site, request.retentionHours])).toEqual([
    ['uguu', 'uguu.se', 3],
    ['litterbox', 'litterbox.catbox.moe', 24],
    ['tmpfiles', 'tmpfiles.org', 1],
  ])
  expect(consentSummary(needed)).toBe('uguu.se (uguu): kept 3 hours; litterbox.catbox.moe (litterbox): kept 24 hours; tmpfiles.org (tmpfiles): kept 1 hour')
})

it('skips hosts already agreed to and the own bucket, and names overridden sites', () => {
  const settings = {
    ...base,
    uploadHosts: ['litterbox', 'uguu', 's3'] as const,
    uploadConsent: ['litterbox'] as const,
    uploadBaseUrls: { uguu: 'https://files.example.org:8443/pomf' },
  }
  const needed = hostsNeedingConsent({ ...settings, uploadHosts: [...settings.uploadHosts], uploadConsent: [...settings.uploadConsent] })
  expect(needed.map((request) => [request.host, request.site])).toEqual([['uguu', 'files.example.org:8443']])
  expect(hostsNeedingConsent({ ...base, uploadHosts: ['s3'], uploadConsent: [] })).toEqual([])
})

it('throws upload.consent-required naming the hosts until they are granted', () => {
  const settings = { ...base, uploadHosts: ['litterbox', 'tmpfiles'] as ('litterbox' | 'tmpfiles')[], uploadConsent: [] }
  let error: unknown
  try {
    requireConsent(settings, 'Say yes.')
  } catch (caught) {
    error = caught
  }
  expect(isKoutuError(error, 'upload.consent-required')).toBe(true)
  expect((error as Error).message).toMatch(/litterbox\.catbox\.moe \(litterbox\): kept 1 hour; tmpfiles\.org.*Nothing was uploaded\. Say yes\.$/)
  expect((error as { detail: Record<string, unknown> }).detail.hosts).toBe('litterbox,tmpfiles')
  const granted = grantConsent(['uguu'], ['litterbox', 'tmpfiles', 'uguu'])
  expect(granted).toEqual(['uguu', 'litterbox', 'tmpfiles'])
  expect(() => requireConsent({ ...settings, uploadConsent: granted })).not.toThrow()
})
