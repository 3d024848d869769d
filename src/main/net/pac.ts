/**
 * Parsing of PAC results, the strings Electron's `session.resolveProxy` (and any PAC script)
 * return: `'PROXY host:port; HTTPS host:port; DIRECT'`. Only what `hpagent` can drive counts:
 * plain and TLS HTTP proxies, and DIRECT. SOCKS entries are skipped.
 */

export type ProxyRoute = { kind: 'direct' } | { kind: 'proxy'; proxyUrl: string }

/**
 * The first usable route in a PAC result, or undefined when none is usable (only SOCKS, say).
 * An empty result means DIRECT, as in PAC.
 */
export function parsePacResult(result: string): ProxyRoute | undefined {
  const entries = result
    .split(';')
    .map((entry) => entry.trim())
    .filter(Boolean)
  if (entries.length === 0) return { kind: 'direct' }
  for (const entry of entries) {
    const [keyword = '', address] = entry.split(/\s+/, 2)
    switch (keyword.toUpperCase()) {
      case 'DIRECT':
        return { kind: 'direct' }
      case 'PROXY':
        if (address && isHostPort(address)) return { kind: 'proxy', proxyUrl: `http://${address}` }
        break
      case 'HTTPS':
        if (address && isHostPort(address)) return { kind: 'proxy', proxyUrl: `https://${address}` }
        break
      default:
        // SOCKS, SOCKS4, SOCKS5, QUIC: not something hpagent can tunnel through.
        break
    }
  }
  return undefined
}

function isHostPort(address: string): boolean {
  return /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(address)
}
