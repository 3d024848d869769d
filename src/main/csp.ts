/**
 * The renderer's Content-Security-Policy, for the built page and for electron-vite's dev
 * server. No imports: electron.vite.config.ts uses it too, to give the dev page its policy.
 *
 * The built page's policy is strict: no eval, no remote scripts, no inline styles; images may be
 * data:/blob: thumbnails made by main and remote http(s) images (history thumbnails, the ad).
 * The dev server injects every stylesheet as a <style> element (and its error overlay uses
 * inline styles), which `style-src 'self'` blocks, leaving `npm run dev` unstyled: the dev
 * policy alone allows inline styles. Scripts stay 'self' in both.
 */
const DIRECTIVES: readonly string[] = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob: https: http:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
]

/** The built page's policy (sent as a header, and as the <meta> tag of src/renderer/index.html). */
export const CONTENT_SECURITY_POLICY = DIRECTIVES.join('; ')

/** The dev server page's policy: the built one with inline styles allowed. */
export const DEV_SERVER_CONTENT_SECURITY_POLICY = DIRECTIVES.map((directive) =>
  directive === "style-src 'self'" ? "style-src 'self' 'unsafe-inline'" : directive,
).join('; ')

/** The policy for the page at `pageUrl`: the dev server's for an http(s) page, else the built one. */
export function contentSecurityPolicyFor(pageUrl: string): string {
  return /^https?:/i.test(pageUrl) ? DEV_SERVER_CONTENT_SECURITY_POLICY : CONTENT_SECURITY_POLICY
}

/** The <meta> policy without frame-ancestors (ignored in a <meta> tag, and Chromium warns about it). */
export function metaPolicy(policy: string): string {
  return policy
    .split('; ')
    .filter((directive) => !directive.startsWith('frame-ancestors'))
    .join('; ')
}
