/**
 * What the app's window may do, as pure decisions the glue (window.ts) applies: where it may
 * navigate, which links leave for the system browser, which page it loads, and the
 * Content-Security-Policy (csp.ts).
 */
import { pathToFileURL } from 'node:url'
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

export { CONTENT_SECURITY_POLICY, DEV_SERVER_CONTENT_SECURITY_POLICY, contentSecurityPolicyFor } from './csp'

/**
 * The URL the window loads: electron-vite's dev server (ELECTRON_RENDERER_URL) under
 * `electron-vite dev`, else the built file. A packaged app never honours the variable: whoever
 * can set a user's environment could otherwise point the window, and the trust the bridge's
 * sender check gives the app's own page, at any origin.
 */
export function chooseAppPageUrl(options: { packaged: boolean; devServerUrl: string | undefined; rendererFile: string }): string {
  const { packaged, devServerUrl, rendererFile } = options
  if (!packaged && devServerUrl && isHttpUrl(devServerUrl)) return devServerUrl
  return pathToFileURL(rendererFile).href
}
