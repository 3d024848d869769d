/** Strict parsing of what hosts answer with: only absolute http(s) URLs and real JSON count. */

/** The normalized URL, or undefined when `text` is not an absolute http(s) URL. */
export function parseHttpUrl(text: unknown): string | undefined {
  if (typeof text !== 'string' || !URL.canParse(text)) return undefined
  const url = new URL(text)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
  if (url.username || url.password) return undefined
  return url.href
}

/** JSON.parse that yields undefined instead of throwing, so HTML error pages become bad-response. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
