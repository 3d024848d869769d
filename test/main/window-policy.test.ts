import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CONTENT_SECURITY_POLICY, decideNavigation, isSameAppPage } from '../../src/main/window-policy'

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
})
