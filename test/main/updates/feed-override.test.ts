import { describe, expect, it } from 'vitest'
import { loopbackFeedUrl } from '../../../src/main/updates/feed-override'

describe('KOUTU_UPDATE_FEED_URL', () => {
  it('is honoured for loopback http(s) feeds only', () => {
    expect(loopbackFeedUrl('http://127.0.0.1:41235/')).toBe('http://127.0.0.1:41235/')
    expect(loopbackFeedUrl('http://localhost:8080/feed')).toBe('http://localhost:8080/feed')
    expect(loopbackFeedUrl('https://[::1]:9443/')).toBe('https://[::1]:9443/')
    for (const refused of [undefined, '', 'not a url', 'https://updates.example.com/', 'http://127.0.0.1.nip.io/', 'http://10.0.0.5/', 'file:///tmp/feed', 'http://user:pw@127.0.0.1/', 'ftp://127.0.0.1/']) {
      expect(loopbackFeedUrl(refused), String(refused)).toBeNull()
    }
  })
})
