/// <reference lib="dom" />
/**
 * Electron's renderer side for the UI tests: the BUILT preload (out/preload/index.cjs) runs in
 * the page against stand-ins for `contextBridge`, `ipcRenderer` and `webUtils`, so the page
 * meets exactly the `window.koutu` the app exposes, with every value crossing the bridge copied
 * the way Electron copies it.
 *
 * [Note: context bridge copy] Electron 45's contextBridge (shell/renderer/api/
 * electron_api_context_bridge.cc, PassValueToOtherContext) does not hand objects across worlds:
 * it copies each argument and return value, in this order of cases:
 *   1. primitives pass as they are;
 *   2. functions become proxy functions (their arguments and results copied the same way);
 *   3. promises become new promises settled with the copied result;
 *   4. native errors become a new Error carrying only `message`;
 *   5. arrays (real ones, not Proxies) are copied element by element, up to `length`;
 *   6. DOM elements and Blobs (so Files) pass as the same object;
 *   7. any other object that V8 does not classify as a special kind (Date, RegExp, Map, Set,
 *      typed arrays, Proxy…) is a "plain object": a new object with its OWN ENUMERABLE
 *      properties only, copied recursively. The prototype is dropped, so a class instance loses
 *      its methods and getters, and a host object such as FileList keeps only its indexed
 *      entries ("0", "1"…): no `length`, no `item()`;
 *   8. the rest goes through Electron's V8 serializer, which clones Dates, Maps, typed arrays
 *      and such, and throws "An object could not be cloned." for functions, symbols, Proxies
 *      and every Blink host object (a File inside a Map, say).
 * ipcRenderer.invoke's arguments go through that same serializer (shell/common/
 * v8_value_serializer.cc): plain data only, no File, no function.
 *
 * Everything here runs in the page (it is serialized into an init script), so it must not
 * refer to anything outside `installElectronRenderer`.
 */

export interface ElectronRendererConfig {
  /** The built preload's source (CommonJS; it may require only 'electron'). */
  preloadSource: string
  /** Dropped file name -> path: what webUtils.getPathForFile answers ('' for others, as Electron does). */
  droppedFilePaths: Record<string, string>
  /** The Playwright binding that carries an invoke to the test process: (channel, args) => result. */
  invokeBinding: string
  /** Name of the page global the harness uses to deliver main-to-renderer messages: (channel, payload). */
  emitGlobal: string
  /** Name of a page global exposing the copy functions to the stand-in's own tests. */
  probeGlobal?: string
}

/** The init script that installs the stand-ins and runs the preload, before any page script. */
export function electronRendererScript(config: ElectronRendererConfig): string {
  const { preloadSource, ...rest } = config
  return `(${installElectronRenderer.toString()})(${JSON.stringify(rest)}, function (require, module, exports) {\n${preloadSource}\n});`
}

type PreloadRunner = (require: (name: string) => unknown, module: { exports: unknown }, exports: unknown) => void

function installElectronRenderer(config: Omit<ElectronRendererConfig, 'preloadSource'>, runPreload: PreloadRunner): void {
  const CLONE_ERROR = 'An object could not be cloned.'
  const tagOf = (value: object): string => Object.prototype.toString.call(value).slice(8, -1)
  const brand = (check: () => unknown): boolean => {
    try {
      check()
      return true
    } catch {
      return false
    }
  }
  const getter = (proto: object, name: string): ((this: unknown) => unknown) =>
    Object.getOwnPropertyDescriptor(proto, name)!.get as (this: unknown) => unknown

  /**
   * V8 cannot tell a script whether an object is a Proxy, but its serializer refuses one with
   * "#<Object> could not be cloned" (or "[object Object]" for a proxied array) before reading
   * anything, and a plain object never fails under that name itself: only a Proxy at or below
   * `value` produces it, and the bridge would throw for either.
   */
  const hasProxy = (value: object): boolean => {
    try {
      structuredClone(value)
      return false
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      return /(#<Object>|\[object Object\]|\[object Array\]) could not be cloned/.test(message)
    }
  }

  /** Objects V8's `IsPlainObject` rejects (electron_api_context_bridge.cc), by brand, not by name. */
  const isSpecialJsObject = (value: object): boolean => {
    const tag = tagOf(value)
    return (
      brand(() => Date.prototype.getTime.call(value)) ||
      brand(() => Map.prototype.has.call(value, 0)) ||
      brand(() => Set.prototype.has.call(value, 0)) ||
      brand(() => WeakMap.prototype.has.call(value, {})) ||
      brand(() => WeakSet.prototype.has.call(value, {})) ||
      brand(() => getter(ArrayBuffer.prototype, 'byteLength').call(value)) ||
      (typeof SharedArrayBuffer === 'function' && brand(() => getter(SharedArrayBuffer.prototype, 'byteLength').call(value))) ||
      ArrayBuffer.isView(value) ||
      brand(() => getter(RegExp.prototype, 'source').call(value)) ||
      value instanceof Promise ||
      ['Arguments', 'Error', 'Boolean', 'Number', 'String', 'Symbol', 'BigInt', 'Map Iterator', 'Set Iterator', 'Module'].includes(tag) ||
      value instanceof WebAssembly.Module ||
      value instanceof WebAssembly.Memory
    )
  }

  const JS_BUILTIN_TAGS = new Set([
    'Object', 'Array', 'Error', 'Boolean', 'Number', 'String', 'Date', 'RegExp', 'Map', 'Set', 'ArrayBuffer',
    'SharedArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
    'Int32Array', 'Uint32Array', 'Float16Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
  ])

  /**
   * Electron's V8 serializer (v8_value_serializer.cc): structured clone without Blink's host
   * objects (Blob, File, FileList, DOM nodes, ImageData… all refused; only NativeImage, which
   * the page never has, is special) and, as everywhere in V8, without functions, symbols,
   * promises, weak collections or Proxies.
   */
  const v8Serialize = (value: unknown): unknown => {
    const seen = new Set<object>()
    const check = (item: unknown): void => {
      if (typeof item === 'function' || typeof item === 'symbol') throw new Error(CLONE_ERROR)
      if (item === null || typeof item !== 'object' || seen.has(item)) return
      seen.add(item)
      if (!JS_BUILTIN_TAGS.has(tagOf(item)) || item instanceof Blob || item instanceof Node) throw new Error(CLONE_ERROR)
      if (item instanceof Map) {
        for (const [key, entry] of item) {
          check(key)
          check(entry)
        }
      } else if (item instanceof Set) {
        for (const entry of item) check(entry)
      } else if (!ArrayBuffer.isView(item)) {
        for (const key of Object.keys(item)) check((item as Record<string, unknown>)[key])
      }
    }
    check(value)
    try {
      return structuredClone(value)
    } catch {
      throw new Error(CLONE_ERROR)
    }
  }

  /** PassValueToOtherContext, case by case (see [Note: context bridge copy]). */
  const passAcross = (value: unknown, cache: Map<unknown, unknown>, depth: number): unknown => {
    if (depth >= 1000) throw new TypeError('Electron contextBridge recursion depth exceeded.  Nested objects deeper than 1000 are not supported.')
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return value
    if (cache.has(value)) return cache.get(value)
    if (typeof value === 'function') {
      const original = value as (...args: unknown[]) => unknown
      const proxy = function (this: unknown, ...args: unknown[]): unknown {
        const argumentCache = new Map<unknown, unknown>()
        const copiedArgs = args.map((arg) => passAcross(arg, argumentCache, 0))
        let result: unknown
        try {
          result = original(...copiedArgs)
        } catch (error) {
          const message = error !== null && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string'
            ? (error as { message: string }).message
            : 'An unknown exception occurred in the isolated context, an error occurred but a valid exception was not thrown.'
          // eslint-disable-next-line preserve-caught-error -- the bridge keeps the message and nothing else
          throw new Error(message)
        }
        return passAcross(result, argumentCache, 0)
      }
      cache.set(value, proxy)
      return proxy
    }
    const object = value as object
    if (object instanceof Promise) {
      const copied = new Promise((resolve, reject) => {
        object.then(
          (result) => resolve(passAcross(result, new Map(), 0)),
          (error: unknown) => reject(passAcross(error, new Map(), 0)),
        )
      })
      cache.set(value, copied)
      return copied
    }
    if (tagOf(object) === 'Error') {
      const message = (object as { message?: unknown }).message
      return new Error(typeof message === 'string' ? message : String(object))
    }
    if (Array.isArray(object) && !hasProxy(object)) {
      const copied: unknown[] = new Array(object.length)
      cache.set(value, copied)
      for (let index = 0; index < object.length; index += 1) copied[index] = passAcross(object[index], cache, depth + 1)
      return copied
    }
    if (object instanceof Element || object instanceof Blob) return object
    if (!isSpecialJsObject(object) && !hasProxy(object)) {
      const copied: Record<PropertyKey, unknown> = {}
      cache.set(value, copied)
      for (const key of Reflect.ownKeys(object)) {
        // By descriptor: Blink's indexed properties (a FileList's "0", "1"…) are enumerable there
        // but not to propertyIsEnumerable.
        if (!Object.getOwnPropertyDescriptor(object, key)?.enumerable) continue
        copied[key] = passAcross((object as Record<PropertyKey, unknown>)[key], cache, depth + 1)
      }
      return copied
    }
    const cloned = v8Serialize(value)
    cache.set(value, cloned)
    return cloned
  }

  const deepFreeze = (object: object, frozen = new Set<object>()): void => {
    if (frozen.has(object)) return
    frozen.add(object)
    for (const key of Reflect.ownKeys(object)) {
      const child = (object as Record<PropertyKey, unknown>)[key]
      if (child !== null && (typeof child === 'object' || typeof child === 'function') && !ArrayBuffer.isView(child)) deepFreeze(child, frozen)
    }
    Object.freeze(object)
  }

  const contextBridge = {
    exposeInMainWorld(key: string, api: unknown): void {
      if (key in window) throw new Error('Cannot bind an API on top of an existing property on the window object')
      const exposed = passAcross(api, new Map(), 0)
      if (exposed !== null && typeof exposed === 'object') deepFreeze(exposed)
      Object.defineProperty(window, key, { value: exposed, writable: false, configurable: false, enumerable: true })
    },
  }

  const invoke = (window as unknown as Record<string, (channel: string, args: unknown[]) => Promise<unknown>>)[config.invokeBinding]!
  const listeners = new Map<string, Set<(event: unknown, ...args: unknown[]) => void>>()
  const ipcRenderer = {
    invoke(channel: string, ...args: unknown[]): Promise<unknown> {
      let serialized: unknown
      try {
        serialized = v8Serialize(args)
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)))
      }
      return invoke(channel, serialized as unknown[]).then((result) => v8Serialize(result))
    },
    on(channel: string, listener: (event: unknown, ...args: unknown[]) => void) {
      if (!listeners.has(channel)) listeners.set(channel, new Set())
      listeners.get(channel)!.add(listener)
      return ipcRenderer
    },
    removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void) {
      listeners.get(channel)?.delete(listener)
      return ipcRenderer
    },
  }
  Object.defineProperty(window, config.emitGlobal, {
    value: (channel: string, payload: unknown) => {
      const event = { sender: ipcRenderer, senderId: 0, ports: [] }
      for (const listener of listeners.get(channel) ?? []) listener(event, v8Serialize(payload))
    },
  })

  const webUtils = {
    // Electron converts the argument to a blink File first and throws when it cannot.
    getPathForFile(file: unknown): string {
      if (!(file instanceof File)) throw new TypeError(`Error processing argument at index 0, conversion failure from ${String(file)}`)
      return config.droppedFilePaths[file.name] ?? ''
    },
  }

  if (config.probeGlobal) {
    Object.defineProperty(window, config.probeGlobal, {
      value: { passAcross: (value: unknown) => passAcross(value, new Map(), 0), serialize: v8Serialize },
    })
  }

  const electron = { contextBridge, ipcRenderer, webUtils }
  const module = { exports: {} as unknown }
  runPreload(
    (name) => {
      if (name === 'electron') return electron
      throw new Error(`module not found: ${name} (a sandboxed preload may require only electron)`)
    },
    module,
    module.exports,
  )
}
