/** Types for proxy-from-env 2.x, which ships none. */
declare module 'proxy-from-env' {
  /**
   * The proxy URL for `url` from `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` (either case), or ''
   * when none applies or `NO_PROXY` excludes the host. Reads `process.env` on every call.
   */
  export function getProxyForUrl(url: string | URL): string
}
