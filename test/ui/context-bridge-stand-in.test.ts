/// <reference lib="dom" />
// The UI tests' stand-in for Electron's renderer modules (test/helpers/electron-renderer-stand-in.ts),
// checked in Chromium against what Electron 45's contextBridge and IPC do with each kind of value
// (see [Note: context bridge copy]): a test preload exposes functions that report what arrived on
// the preload's side of the bridge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { chromium } from 'playwright-core'
import { CHROMIUM_PATH } from '../helpers/ui-harness'
import { electronRendererScript } from '../helpers/electron-renderer-stand-in'
import type { KoutuPreloadExtras } from '../../src/shared/bridge'

// Checked by `npm run typecheck`: the bridge's type refuses a FileList, which the real bridge
// would deliver without its length (see the first test).
export function bridgeTypeRefusesFileList(bridge: KoutuPreloadExtras, list: FileList): string[] {
  // @ts-expect-error -- a FileList is not an array of Files
  bridge.getPathsForFiles(list)
  return bridge.getPathsForFiles(Array.from(list))
}

const ORIGIN = 'http://bridge.stand-in.test'

// Runs on the preload's side. `describe` reports what the bridge delivered; the page keeps the
// originals in window.originals so identity can be checked.
const TEST_PRELOAD = `
const { contextBridge, ipcRenderer, webUtils } = require('electron')
const describe = (value) => ({
  type: typeof value,
  isArray: Array.isArray(value),
  prototypeIsObject: value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype,
  keys: value !== null && typeof value === 'object' ? Object.keys(value) : [],
  length: value !== null && typeof value === 'object' ? value.length : undefined,
  fromLength: value !== null && typeof value === 'object' ? Array.from(value).length : 0,
})
contextBridge.exposeInMainWorld('probe', {
  describe,
  sameAsOriginal: (value, index) => value === window.originals[index],
  callBack: (callback, value) => callback(value),
  fail: () => {
    const error = new Error('preload says no')
    error.code = 'custom.code'
    throw error
  },
  resolveLater: (value) => Promise.resolve(value),
  invoke: (...args) => ipcRenderer.invoke('echo', ...args),
  pathOf: (file) => webUtils.getPathForFile(file),
  settings: { nested: { level: 1 }, list: [1, 2] },
})
`

let browser: Browser
let page: Page

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] })
  const context = await browser.newContext()
  await context.route('**/*', (route) =>
    new URL(route.request().url()).origin === ORIGIN
      ? route.fulfill({ status: 200, body: '<!doctype html><title>bridge</title>', headers: { 'content-type': 'text/html' } })
      : route.abort('blockedbyclient'),
  )
  page = await context.newPage()
  await page.exposeBinding('__echoInvoke', (_source, channel: string, args: unknown[]) => ({ channel, args }))
  await page.addInitScript({
    content: electronRendererScript({
      preloadSource: TEST_PRELOAD,
      droppedFilePaths: { 'a.jpg': '/photos/a.jpg' },
      invokeBinding: '__echoInvoke',
      emitGlobal: '__echoEmit',
    }),
  })
  await page.goto(`${ORIGIN}/`)
})

afterAll(async () => {
  await browser?.close()
})

interface Described {
  type: string
  isArray: boolean
  prototypeIsObject: boolean
  keys: string[]
  length: unknown
  fromLength: number
}
type Probe = Record<string, (...args: unknown[]) => unknown> & { settings: { nested: { level: number } } }

describe('the context bridge stand-in', () => {
  it('copies a FileList as a plain object of its indexed Files, without length, so Array.from sees nothing', async () => {
    const arrived = await page.evaluate(() => {
      const transfer = new DataTransfer()
      transfer.items.add(new File(['1'], 'a.jpg'))
      transfer.items.add(new File(['2'], 'b.jpg'))
      const probe = (window as unknown as { probe: Probe }).probe
      return probe.describe!(transfer.files) as Described
    })
    expect(arrived).toEqual({ type: 'object', isArray: false, prototypeIsObject: true, keys: ['0', '1'], length: undefined, fromLength: 0 })
  })

  it('copies an array element by element and passes each File through as the same object', async () => {
    const result = await page.evaluate(() => {
      const files = [new File(['1'], 'a.jpg'), new File(['2'], 'b.jpg')]
      ;(window as unknown as { originals: unknown[] }).originals = files
      const probe = (window as unknown as { probe: Probe }).probe
      return {
        described: probe.describe!(files) as Described,
        same: files.map((_file, index) => probe.sameAsOriginal!(files[index], index)),
        path: probe.pathOf!(files[0]),
        unknownPath: probe.pathOf!(files[1]),
      }
    })
    expect(result.described).toMatchObject({ isArray: true, length: 2, fromLength: 2 })
    expect(result.same).toEqual([true, true])
    expect(result.path).toBe('/photos/a.jpg')
    expect(result.unknownPath).toBe('')
  })

  it('keeps only own enumerable properties: prototypes, getters and hidden properties are dropped', async () => {
    const result = await page.evaluate(() => {
      class Photo {
        name = 'a.jpg'
        get upper(): string {
          return this.name.toUpperCase()
        }
      }
      const hidden = { shown: 1 }
      Object.defineProperty(hidden, 'secret', { value: 2, enumerable: false })
      const probe = (window as unknown as { probe: Probe }).probe
      return { photo: probe.describe!(new Photo()) as Described, hidden: probe.describe!(hidden) as Described }
    })
    expect(result.photo).toMatchObject({ prototypeIsObject: true, keys: ['name'] })
    expect(result.hidden.keys).toEqual(['shown'])
  })

  it('proxies functions both ways, copying what they are given', async () => {
    const result = await page.evaluate(() => {
      const transfer = new DataTransfer()
      transfer.items.add(new File(['1'], 'a.jpg'))
      const probe = (window as unknown as { probe: Probe }).probe
      const received: unknown[] = []
      probe.callBack!((value: unknown) => received.push(value), transfer.files)
      const back = received[0] as Record<string, unknown>
      return { length: back.length, isFileList: back instanceof FileList, first: back['0'] instanceof File }
    })
    expect(result).toEqual({ length: undefined, isFileList: false, first: true })
  })

  it("copies what a page callback returns back to the preload: a returned Proxy (a Svelte $state value) throws there", async () => {
    const result = await page.evaluate(() => {
      const probe = (window as unknown as { probe: Probe }).probe
      const attempt = (callback: () => unknown): string => {
        try {
          return `ok ${JSON.stringify(probe.callBack!(callback))}`
        } catch (error) {
          return (error as Error).message
        }
      }
      return {
        plain: attempt(() => ({ a: 1 })),
        nothing: attempt(() => undefined),
        proxy: attempt(() => new Proxy({ a: 1 }, {})),
      }
    })
    expect(result).toEqual({ plain: 'ok {"a":1}', nothing: 'ok undefined', proxy: 'An object could not be cloned.' })
  })

  it('clones Dates and Maps through the serializer, but refuses host objects inside them and Proxies', async () => {
    const result = await page.evaluate(() => {
      const probe = (window as unknown as { probe: Probe }).probe
      const attempt = (value: unknown): string => {
        try {
          const described = probe.describe!(value) as Described
          return `ok ${described.type}`
        } catch (error) {
          return (error as Error).message
        }
      }
      return {
        date: attempt(new Date(0)),
        map: attempt(new Map([['a', 1]])),
        mapWithFile: attempt(new Map([['a', new File([''], 'a.jpg')]])),
        proxy: attempt(new Proxy({ a: 1 }, {})),
        proxiedArray: attempt(new Proxy([1, 2], {})),
        nestedProxy: attempt({ inner: new Proxy({ a: 1 }, {}) }),
      }
    })
    expect(result).toEqual({
      date: 'ok object',
      map: 'ok object',
      mapWithFile: 'An object could not be cloned.',
      proxy: 'An object could not be cloned.',
      proxiedArray: 'An object could not be cloned.',
      nestedProxy: 'An object could not be cloned.',
    })
  })

  it('rethrows errors with their message only, settles promises with copies, and freezes the exposed API', async () => {
    const result = await page.evaluate(async () => {
      const probe = (window as unknown as { probe: Probe }).probe
      let thrown: { message: string; code: unknown } | null = null
      try {
        probe.fail!()
      } catch (error) {
        thrown = { message: (error as Error).message, code: (error as { code?: unknown }).code }
      }
      const transfer = new DataTransfer()
      transfer.items.add(new File(['1'], 'a.jpg'))
      const later = (await probe.resolveLater!(transfer.files)) as Record<string, unknown>
      try {
        ;(probe.settings.nested as { level: number }).level = 2
      } catch {
        // frozen: a strict-mode assignment throws, a sloppy one is ignored
      }
      const overwritten = probe.settings.nested.level === 2
      return { thrown, laterLength: later.length, overwritten, frozen: Object.isFrozen(probe) && Object.isFrozen(probe.settings.nested) }
    })
    expect(result).toEqual({ thrown: { message: 'preload says no', code: undefined }, laterLength: undefined, overwritten: false, frozen: true })
  })

  it('sends plain data over IPC and refuses a File', async () => {
    const result = await page.evaluate(async () => {
      const probe = (window as unknown as { probe: Probe }).probe
      const plain = await probe.invoke!({ paths: ['/a'] }, 3)
      let refused = ''
      try {
        await probe.invoke!(new File([''], 'a.jpg'))
      } catch (error) {
        refused = (error as Error).message
      }
      let notAFile = ''
      try {
        probe.pathOf!({ name: 'a.jpg' })
      } catch (error) {
        notAFile = (error as Error).message
      }
      return { plain, refused, notAFile }
    })
    expect(result.plain).toEqual({ channel: 'echo', args: [{ paths: ['/a'] }, 3] })
    expect(result.refused).toBe('An object could not be cloned.')
    expect(result.notAFile).toMatch(/conversion failure/)
  })
})
