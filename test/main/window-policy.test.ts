import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  chooseAppPageUrl,
  CONTENT_SECURITY_POLICY,
  contentSecurityPolicyFor,
  decideNavigation,
  DEV_SERVER_CONTENT_SECURITY_POLICY,
  isSameAppPage,
} from '../../src/main/window-policy'

const APP = 'file:///opt/Koutu/resources/app.asar/out/renderer/index.html'
const isApp = (url: string): boolean => isSameAppPage(url, APP)

describe('window policy', () => {
  it('keeps the window on the app page and sends http(s) links to the browser', () => {
    expect(decideNavigation(`${APP}#/settings`, isApp)).toBe('allow')
    expect(decideNavigation('https://aipic.lufff.com/', isApp)).toBe('open-in-browser')
    expect(decideNavigation('http://example.com/', isApp)).toBe('open-in-browser')
    expect(decideNavigation('file:///etc/passwd', isApp)).toBe('deny')
    expect(decideNavigation('javascript:alert(1)', isApp)).toBe('deny')
    expect(decideNavigation('koutu-evil://x', isApp)).toBe('deny')
  })

  it('treats a dev server page by origin', () => {
    expect(isSameAppPage('http://localhost:5173/some/route', 'http://localhost:5173/')).toBe(true)
    expect(isSameAppPage('http://localhost:5174/', 'http://localhost:5173/')).toBe(false)
  })

  it('has a CSP without eval or remote scripts', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'")
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval')
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline')
  })

  it('is the same policy as the <meta> tag the built page carries (frame-ancestors only works as a header)', () => {
    const html = fs.readFileSync(path.resolve(import.meta.dirname, '../../src/renderer/index.html'), 'utf8')
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1]
    const directives = (policy: string): string[] =>
      policy
        .split(';')
        .map((directive) => directive.trim())
        .filter((directive) => directive !== '' && !directive.startsWith('frame-ancestors'))
    expect(meta).toBeDefined()
    expect(directives(meta!)).toEqual(directives(CONTENT_SECURITY_POLICY))
  })

  it('loads the dev server only in an unpackaged app, and the built file otherwise', () => {
    const rendererFile = path.join(path.sep, 'opt', 'Koutu', 'resources', 'app.asar', 'out', 'renderer', 'index.html')
    const file = chooseAppPageUrl({ packaged: true, devServerUrl: undefined, rendererFile })
    expect(file).toMatch(/^file:\/\/.*\/out\/renderer\/index\.html$/)
    expect(chooseAppPageUrl({ packaged: false, devServerUrl: 'http://localhost:5173/', rendererFile })).toBe('http://localhost:5173/')
    expect(chooseAppPageUrl({ packaged: true, devServerUrl: 'http://localhost:5173/', rendererFile })).toBe(file)
    expect(chooseAppPageUrl({ packaged: false, devServerUrl: 'javascript:alert(1)', rendererFile })).toBe(file)
    // A folder name with '#' or spaces stays part of the path.
    expect(chooseAppPageUrl({ packaged: true, devServerUrl: undefined, rendererFile: '/home/c#dev/my app/index.html' })).toBe(
      'file:///home/c%23dev/my%20app/index.html',
    )
  })

  it('allows inline styles for the dev server page only', () => {
    expect(contentSecurityPolicyFor('file:///opt/Koutu/index.html')).toBe(CONTENT_SECURITY_POLICY)
    expect(contentSecurityPolicyFor('http://localhost:5173/')).toBe(DEV_SERVER_CONTENT_SECURITY_POLICY)
    expect(DEV_SERVER_CONTENT_SECURITY_POLICY).toContain("style-src 'self' 'unsafe-inline'")
    expect(DEV_SERVER_CONTENT_SECURITY_POLICY).toContain("script-src 'self';")
    expect(DEV_SERVER_CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval')
  })
})
