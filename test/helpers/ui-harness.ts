/// <reference lib="dom" />
/**
 * The UI test harness: Debian's Chromium (driven by playwright-core) showing the BUILT renderer
 * (out/renderer), with `window.koutu` stood in by Playwright bindings that call the very handler
 * table and dispatcher the main process registers with ipcMain.handle, running against real
 * services in the test process. Main-to-renderer events are pushed with `emit`.
 *
 * The preload is the built one (out/preload/index.cjs), run in the page over stand-ins for
 * Electron's contextBridge, ipcRenderer and webUtils (electron-renderer-stand-in.ts) that copy
 * every value the way Electron does, so a value the real bridge would drop or refuse (a
 * FileList, a Proxy, a File sent over IPC) is dropped or refused here too.
 */
import fs from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { BRIDGE_METHOD_NAMES, eventChannel, methodChannel, type BridgeEventName, type BridgeEvents } from '../../src/shared/bridge'
import type { Logger } from '../../src/shared/logger'
import { silentLogger } from '../../src/shared/logger'
import { createSenderCheck, dispatchBridgeCall } from '../../src/main/ipc/dispatch'
import type { HandlerTable, SenderInfo } from '../../src/main/ipc/handler-types'
import { isSameAppPage } from '../../src/main/window-policy'
import { electronRendererScript } from './electron-renderer-stand-in'

export const CHROMIUM_PATH = process.env.KOUTU_CHROMIUM ?? '/usr/bin/chromium'
const RENDERER_DIR = path.resolve(import.meta.dirname, '../../out/renderer')
const PRELOAD_FILE = path.resolve(import.meta.dirname, '../../out/preload/index.cjs')
const INVOKE_BINDING = '__koutuInvoke'
const EMIT_GLOBAL = '__koutuEmit'
/** Where `exposeBridgeProbe` puts the bridge's copy functions: { passAcross(value), serialize(value) }. */
export const BRIDGE_PROBE_GLOBAL = '__koutuBridgeProbe'
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
  /** Also expose the context bridge's copy functions to the page (tests of the stand-in itself). */
  exposeBridgeProbe?: boolean
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
  if (!fs.existsSync(path.join(RENDERER_DIR, 'index.html')) || !fs.existsSync(PRELOAD_FILE)) {
    throw new Error('out/renderer or out/preload is missing: run "npm run build" first (npm test does).')
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
  // The page's `window.koutu` is the built preload's own, over Electron's renderer modules as
  // stood in by electron-renderer-stand-in.ts (values copied as the contextBridge copies them).
  await page.exposeBinding(INVOKE_BINDING, async (source, channel: string, args: unknown[]) => {
    const name = BRIDGE_METHOD_NAMES.find((method) => methodChannel(method) === channel) ?? channel
    calls.push(name)
    const sender: SenderInfo = {
      webContentsId: WEB_CONTENTS_ID,
      frameUrl: source.frame.url(),
      isMainFrame: source.frame === source.page.mainFrame(),
    }
    return dispatchBridgeCall(options.table, name, args, sender, isTrustedSender, logger)
  })
  await page.addInitScript({
    content: electronRendererScript({
      preloadSource: fs.readFileSync(PRELOAD_FILE, 'utf8'),
      droppedFilePaths: options.droppedFilePaths ?? {},
      invokeBinding: INVOKE_BINDING,
      emitGlobal: EMIT_GLOBAL,
      ...(options.exposeBridgeProbe ? { probeGlobal: BRIDGE_PROBE_GLOBAL } : {}),
    }),
  })
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`)
    })
  })
  await page.goto(APP_URL)

  return {
    page,
    problems,
    calls,
    async emit(name, payload) {
      await page.evaluate(
        ([global, channel, eventPayload]) => (window as unknown as Record<string, (c: string, p: unknown) => void>)[global]!(channel, eventPayload),
        [EMIT_GLOBAL, eventChannel(name), payload] as const,
      )
    },
    async reload() {
      await page.reload()
    },
    async close() {
      // A stand-in's request still in flight when the test ends (an ad image, a late poll) must
      // not fail the run from its route callback after the context is gone.
      await context.unrouteAll({ behavior: 'ignoreErrors' })
      await context.close()
    },
  }
}
