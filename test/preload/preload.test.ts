// Loads the BUILT preload (out/preload/index.cjs) with a recording stand-in for electron's
// renderer modules and checks what it exposes: named tasks only, each on its own channel.
import fs from 'node:fs'
import path from 'node:path'
import vm from 'node:vm'
import { describe, expect, it } from 'vitest'
import { BRIDGE_EVENT_NAMES, BRIDGE_METHOD_NAMES, eventChannel, methodChannel, subscriberName } from '../../src/shared/bridge'

const PRELOAD = path.resolve(import.meta.dirname, '../../out/preload/index.cjs')

function loadPreload() {
  const invoked: Array<{ channel: string; args: unknown[] }> = []
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>()
  let exposed: { key: string; api: Record<string, unknown> } | null = null
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: Record<string, unknown>) => (exposed = { key, api }) },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]) => {
        invoked.push({ channel, args })
        return { ok: true, value: null }
      },
      on: (channel: string, fn: (...args: unknown[]) => void) => {
        if (!listeners.has(channel)) listeners.set(channel, new Set())
        listeners.get(channel)!.add(fn)
      },
      removeListener: (channel: string, fn: (...args: unknown[]) => void) => listeners.get(channel)?.delete(fn),
    },
    webUtils: { getPathForFile: (file: { name: string }) => `/dropped/${file.name}` },
  }
  const source = fs.readFileSync(PRELOAD, 'utf8')
  const module = { exports: {} }
  const requireStub = (name: string): unknown => {
    if (name === 'electron') return electron
    throw new Error(`the sandboxed preload may not require "${name}"`)
  }
  vm.runInNewContext(source, { require: requireStub, module, exports: module.exports, console })
  if (!exposed) throw new Error('preload exposed nothing')
  return { exposed: exposed as { key: string; api: Record<string, unknown> }, invoked, listeners }
}

describe('the built preload', () => {
  it('is one self-contained CommonJS file that requires only electron', () => {
    expect(() => loadPreload()).not.toThrow()
  })

  it('exposes window.koutu with exactly one function per method and event, nothing generic', () => {
    const { exposed } = loadPreload()
    expect(exposed.key).toBe('koutu')
    const expected = [...BRIDGE_METHOD_NAMES, ...BRIDGE_EVENT_NAMES.map((name) => subscriberName(name)), 'getPathsForFiles']
    expect(Object.keys(exposed.api).sort()).toEqual([...expected].sort())
    for (const value of Object.values(exposed.api)) expect(typeof value).toBe('function')
    for (const generic of ['send', 'invoke', 'on', 'ipcRenderer', 'require']) expect(exposed.api).not.toHaveProperty(generic)
  })

  it('sends each method on its own channel and relays events until unsubscribed', async () => {
    const { exposed, invoked, listeners } = loadPreload()
    await (exposed.api.setSetting as (k: string, v: unknown) => Promise<unknown>)('theme', 'dark')
    expect(invoked).toEqual([{ channel: methodChannel('setSetting'), args: ['theme', 'dark'] }])

    const event = BRIDGE_EVENT_NAMES[0]!
    const seen: unknown[] = []
    const unsubscribe = (exposed.api[subscriberName(event)] as (cb: (p: unknown) => void) => () => void)((p) => seen.push(p))
    for (const fn of listeners.get(eventChannel(event)) ?? []) fn({ sender: 'ipc-event' }, { n: 1 })
    unsubscribe()
    for (const fn of listeners.get(eventChannel(event)) ?? []) fn({ sender: 'ipc-event' }, { n: 2 })
    expect(seen).toEqual([{ n: 1 }])
  })

  it('turns dropped files into paths with webUtils', () => {
    const { exposed } = loadPreload()
    const paths = (exposed.api.getPathsForFiles as (files: Array<{ name: string }>) => string[])([{ name: 'a.jpg' }, { name: '照片.png' }])
    expect(paths).toEqual(['/dropped/a.jpg', '/dropped/照片.png'])
  })

  it('refuses anything but an array of files, since a FileList arrives from the bridge without length', () => {
    const { exposed } = loadPreload()
    const getPaths = exposed.api.getPathsForFiles as (files: unknown) => string[]
    // What the contextBridge makes of a FileList of two files: its indexed entries, no length.
    expect(() => getPaths({ 0: { name: 'a.jpg' }, 1: { name: 'b.jpg' } })).toThrow(/array of File/)
  })
})
