/**
 * `KOUTU_UPDATE_FEED_URL` points the updater at a generic feed instead of GitHub: the smoke test
 * serves one on loopback. Only loopback http(s) URLs are honoured, so the variable cannot send an
 * installed app to another server for its updates.
 */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** The feed URL to use instead of app-update.yml's, or null (the variable is unset or not loopback). */
export function loopbackFeedUrl(value: string | undefined): string | null {
  if (!value || !URL.canParse(value)) return null
  const url = new URL(value)
  if (url.username || url.password) return null
  return LOOPBACK_HOSTS.has(url.hostname) && (url.protocol === 'http:' || url.protocol === 'https:') ? url.href : null
}
