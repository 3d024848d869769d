/// <reference lib="dom" />
/**
 * The UI test harness: Debian's Chromium (driven by playwright-core) showing the BUILT renderer
 * (out/renderer), with `window.koutu` stood in by Playwright bindings that call the very handler
 * table and dispatcher the main process registers with ipcMain.handle, running against real
 * services in the test process. Main-to-renderer events are pushed with `emit`.
 *
 * Only the preload's few lines differ from production: here an init script builds
 * `window.koutu` from the same method and event name lists.
 */
import fs from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { BRIDGE_EVENT_NAMES, BRIDGE_METHOD_NAMES, subscriberName, type BridgeEventName, type BridgeEvents } from '../../src/shared/bridge'
import type { Logger } from '../../src/shared/logger'
import { silentLogger } from '../../src/shared/logger'
import { createSenderCheck, dispatchBridgeCall } from '../../src/main/ipc/dispatch'
import type { HandlerTable, SenderInfo } from '../../src/main/ipc/handler-types'
import { isSameAppPage } from '../../src/main/window-policy'

export const CHROMIUM_PATH = process.env.KOUTU_CHROMIUM ?? '/usr/bin/chromium'
const RENDERER_DIR = path.resolve(import.meta.dirname, '../../out/renderer')
/** The origin the built renderer is served from (intercepted; nothing leaves the machine). */
const APP_ORIGIN = 'http://koutu.app.test'
export const APP_URL = `${APP_ORIGIN}/index.html`

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
}

export interface UiHarnessOptions {
  table: HandlerTable
  /** Browser locale, e.g. 'zh-CN' (drives `navigator.language`). */
  locale?: string
  viewport?: { width: number; height: number }
  colorScheme?: 'light' | 'dark'
  logger?: Logger
  /** Maps a dropped file's name to its path (stands in for webUtils.getPathForFile). */
  droppedFilePaths?: Record<string, string>
  /**
   * Loopback origins (stand-ins) the page may load images from, as the app loads aipic's
   * history pictures and ad; everything else stays blocked.
   */
  allowedOrigins?: string[]
}

export interface UiHarness {
  page: Page
  /** Pushes a main-to-renderer event, as webContents.send does in the app. */
  emit<E extends BridgeEventName>(name: E, payload: BridgeEvents[E]): Promise<void>
  /** Console errors, page errors and CSP violations seen so far. */
  problems: string[]
  /** Bridge calls made by the page, in order (method names). */
  calls: string[]
  reload(): Promise<void>
  close(): Promise<void>
}

let sharedBrowser: Promise<Browser> | null = null

function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it with "apt-get install -y chromium" (see .ci/run).`)
  }
  sharedBrowser ??= chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  })
  return sharedBrowser
}

/** Closes the browser shared by the tests of one file; call from afterAll. */
export async function closeUiBrowser(): Promise<void> {
  if (!sharedBrowser) return
  const browser = await sharedBrowser
  sharedBrowser = null
  await browser.close()
}

export async function openUi(options: UiHarnessOptions): Promise<UiHarness> {
  if (!fs.existsSync(path.join(RENDERER_DIR, 'index.html'))) {
    throw new Error('out/renderer is missing: run "npm run build" first (npm test does).')
  }
  const logger = options.logger ?? silentLogger
  const browser = await launchBrowser()
  const context: BrowserContext = await browser.newContext({
    locale: options.locale ?? 'en-US',
    viewport: options.viewport ?? { width: 1180, height: 780 },
    colorScheme: options.colorScheme ?? 'light',
  })
  // Only the app's own files are served; any other request is refused, as offline tests must.
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url())
    if (options.allowedOrigins?.includes(url.origin) && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
      // Fetched from the test process and handed over, so Chromium's private-network rules
      // (a page on a public origin may not load from loopback) do not apply to stand-ins.
      return route.fulfill({ response: await route.fetch() })
    }
    if (url.origin !== APP_ORIGIN) return route.abort('blockedbyclient')
    const file = path.join(RENDERER_DIR, decodeURIComponent(url.pathname))
    if (!file.startsWith(RENDERER_DIR) || !fs.existsSync(file)) return route.fulfill({ status: 404, body: 'not found' })
    return route.fulfill({
      status: 200,
      body: fs.readFileSync(file),
      headers: { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream' },
    })
  })

  const page = await context.newPage()
  const problems: string[] = []
  const calls: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))

  const WEB_CONTENTS_ID = 1
  const isTrustedSender = createSenderCheck(
    () => WEB_CONTENTS_ID,
    (url) => isSameAppPage(url, APP_URL),
  )
  await page.exposeBinding('__koutuCall', async (source, name: string, args: unknown[]) => {
    calls.push(name)
    const sender: SenderInfo = {
      webContentsId: WEB_CONTENTS_ID,
      frameUrl: source.frame.url(),
      isMainFrame: source.frame === source.page.mainFrame(),
    }
    return dispatchBridgeCall(options.table, name, args, sender, isTrustedSender, logger)
  })
  await page.addInitScript(
    ({ methods, events, subscribers, droppedFilePaths }) => {
      const listeners = new Map<string, Set<(payload: unknown) => void>>()
      const bridge: Record<string, unknown> = {}
      const call = (window as unknown as { __koutuCall: (n: string, a: unknown[]) => Promise<unknown> }).__koutuCall
      for (const name of methods) bridge[name] = (...args: unknown[]) => call(name, args)
      events.forEach((name, index) => {
        listeners.set(name, new Set())
        bridge[subscribers[index]!] = (listener: (payload: unknown) => void) => {
          listeners.get(name)!.add(listener)
          return () => listeners.get(name)!.delete(listener)
        }
      })
      bridge.getPathsForFiles = (files: ArrayLike<File>) =>
        Array.from(files, (file) => droppedFilePaths[file.name] ?? '').filter((p) => p !== '')
      Object.defineProperty(window, 'koutu', { value: Object.freeze(bridge), writable: false })
      Object.defineProperty(window, '__koutuEmit', {
        value: (name: string, payload: unknown) => listeners.get(name)?.forEach((listener) => listener(payload)),
      })
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`)
      })
    },
    {
      methods: BRIDGE_METHOD_NAMES as string[],
      events: BRIDGE_EVENT_NAMES as string[],
      subscribers: BRIDGE_EVENT_NAMES.map((name) => subscriberName(name) as string),
      droppedFilePaths: options.droppedFilePaths ?? {},
    },
  )
  await page.goto(APP_URL)

  return {
    page,
    problems,
    calls,
    async emit(name, payload) {
      await page.evaluate(
        ([eventName, eventPayload]) =>
          (window as unknown as { __koutuEmit: (n: string, p: unknown) => void }).__koutuEmit(eventName as string, eventPayload),
        [name, payload] as const,
      )
    },
    async reload() {
      await page.reload()
    },
    async close() {
      await context.close()
    },
  }
}
