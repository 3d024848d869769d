/// <reference lib="dom" />
// `npm run dev` shows a styled page: the renderer served by a real Vite dev server with the
// renderer config of electron.vite.config.ts, in Chromium, with the Content-Security-Policy
// header the app's session sends for that page (as Electron's onHeadersReceived adds it). The
// dev server injects every stylesheet as a <style> element; under the built page's policy
// those are blocked, which the last check shows.
import net from 'node:net'
import type { Browser } from 'playwright-core'
import { chromium } from 'playwright-core'
import { createServer, type ViteDevServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import config from '../../electron.vite.config'
import { CONTENT_SECURITY_POLICY, contentSecurityPolicyFor } from '../../src/main/csp'
import { CHROMIUM_PATH } from '../helpers/ui-harness'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

let server: ViteDevServer
let browser: Browser
let pageUrl = ''

beforeAll(async () => {
  const renderer = (config as { renderer: Record<string, unknown> }).renderer
  const port = await freePort()
  server = await createServer({
    ...renderer,
    configFile: false,
    logLevel: 'silent',
    server: { host: '127.0.0.1', port, strictPort: true },
  })
  await server.listen()
  pageUrl = `http://127.0.0.1:${port}/`
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

/** Opens the dev page with `policy` as the CSP header; reports the layout and any CSP violations. */
async function openDevPage(policy: string): Promise<{ display: string; violations: string[]; styleElements: number }> {
  const context = await browser.newContext()
  try {
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url())
      if (url.origin !== new URL(pageUrl).origin) return route.abort('blockedbyclient')
      const response = await route.fetch()
      return route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': policy } })
    })
    const page = await context.newPage()
    const violations: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) violations.push(message.text())
    })
    await page.goto(pageUrl)
    await page.locator('.app').waitFor({ timeout: 30_000 })
    await page.waitForTimeout(300)
    const result = await page.evaluate(() => ({
      display: getComputedStyle(document.querySelector('.app')!).display,
      styleElements: document.querySelectorAll('style').length,
    }))
    return { ...result, violations }
  } finally {
    await context.close()
  }
}

describe('the dev server page', () => {
  it('is styled under the policy the app sends for it, with no CSP violation', async () => {
    const result = await openDevPage(contentSecurityPolicyFor(pageUrl))
    expect(result.styleElements).toBeGreaterThan(0)
    expect(result.display).toBe('grid')
    expect(result.violations).toEqual([])
  }, 60_000)

  it('would be unstyled under the built page policy (why the dev server has its own)', async () => {
    const result = await openDevPage(CONTENT_SECURITY_POLICY)
    expect(result.display).not.toBe('grid')
    expect(result.violations.some((text) => /style-src/.test(text))).toBe(true)
  }, 60_000)
})
