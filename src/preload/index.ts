/**
 * The preload: exposes `window.koutu`, one named function per bridge method and one
 * `on…(listener) => unsubscribe` per event, built from the contract in src/shared/bridge.ts.
 * Nothing generic (no `send`/`invoke(channel)`) and no Node or Electron object reaches the
 * page. Bundled into one CommonJS file so the renderer can run sandboxed.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron'
import {
  BRIDGE_EVENT_NAMES,
  BRIDGE_METHOD_NAMES,
  eventChannel,
  methodChannel,
  subscriberName,
  type KoutuBridge,
  type KoutuPreloadExtras,
} from '../shared/bridge'

const bridge: Record<string, unknown> = {}

for (const name of BRIDGE_METHOD_NAMES) {
  const channel = methodChannel(name)
  bridge[name] = (...args: unknown[]) => ipcRenderer.invoke(channel, ...args)
}

for (const name of BRIDGE_EVENT_NAMES) {
  const channel = eventChannel(name)
  bridge[subscriberName(name)] = (listener: (payload: unknown) => void) => {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function')
    const forward = (_event: IpcRendererEvent, payload: unknown): void => listener(payload)
    ipcRenderer.on(channel, forward)
    return () => {
      ipcRenderer.removeListener(channel, forward)
    }
  }
}

// `File.path` no longer exists; only the preload can turn a dropped File into its path. A
// FileList arrives here as a plain object without `length` (see KoutuPreloadExtras), so
// anything but an array is refused loudly rather than read as "no files".
const extras: KoutuPreloadExtras = {
  getPathsForFiles: (files) => {
    if (!Array.isArray(files)) throw new TypeError('getPathsForFiles takes an array of File objects')
    return files.map((file) => webUtils.getPathForFile(file)).filter((p) => p !== '')
  },
}

contextBridge.exposeInMainWorld('koutu', { ...(bridge as KoutuBridge), ...extras })
