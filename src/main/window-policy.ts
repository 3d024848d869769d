/**
 * What the app's window may do, as pure decisions the glue (window.ts) applies: where it may
 * navigate, which links leave for the system browser, and the Content-Security-Policy.
 */
import { isHttpUrl } from './ipc/core-handlers'

export type NavigationDecision = 'allow' | 'deny' | 'open-in-browser'

/**
 * The window only ever shows the app's own page; http(s) links go to the system browser and
 * everything else (file:, javascript:, custom schemes) is refused.
 */
export function decideNavigation(targetUrl: string, isAppUrl: (url: string) => boolean): NavigationDecision {
  if (isAppUrl(targetUrl)) return 'allow'
  return isHttpUrl(targetUrl) ? 'open-in-browser' : 'deny'
}

/**
 * True when `url` is the page the app loaded (same file, or same dev-server origin), ignoring
 * the hash and query.
 */
export function isSameAppPage(url: string, appUrl: string): boolean {
  if (!URL.canParse(url) || !URL.canParse(appUrl)) return false
  const target = new URL(url)
  const app = new URL(appUrl)
  if (app.protocol === 'file:') return target.protocol === 'file:' && target.pathname === app.pathname
  return target.origin === app.origin
}

/**
 * The renderer's CSP (also set as a <meta> tag in index.html; this is sent as a header for
 * the dev server). No eval, no remote scripts; images may be data:/blob: thumbnails made by
 * main, and remote http(s) images (history thumbnails, the ad).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob: https: http:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')
