/**
 * A stand-in for the `electron` module, so the BUILT main bundle (out/main/index.js) can start
 * under plain Node in a test. It records what the app asks of Electron (windows and their
 * webPreferences, IPC handlers, session policies, the tray) and, once the window has loaded its
 * page, probes the app's own handlers the way Electron would call them. The record is written to
 * KOUTU_STAND_IN_REPORT as JSON.
 */
'use strict'
const EventEmitter = require('node:events')
const fs = require('node:fs')
const path = require('node:path')

const reportFile = process.env.KOUTU_STAND_IN_REPORT
const userData = process.env.KOUTU_STAND_IN_USER_DATA
// Variations a test can ask for: a packaged app, a second launch and a Dock click arriving while
// the app is still starting, a start that fails.
const packaged = process.env.KOUTU_STAND_IN_PACKAGED === '1'
const earlyEvents = process.env.KOUTU_STAND_IN_EARLY_EVENTS === '1'
const failStart = process.env.KOUTU_STAND_IN_FAIL_START === '1'
if (packaged) process.resourcesPath = path.resolve('resources')
const report = {
  errorBoxes: [],
  exitCode: null,
  singleInstanceLock: false,
  windows: [],
  handlers: [],
  permissionRequest: null,
  permissionCheck: null,
  csp: null,
  trays: [],
  menuLabels: [],
  utilityForks: 0,
  openedExternally: [],
  probe: null,
}
const save = () => fs.writeFileSync(reportFile, JSON.stringify(report, null, 2))
const handlers = new Map()
const windows = []

class App extends EventEmitter {
  constructor() {
    super()
    this.name = 'Koutu'
    this.isPackaged = packaged
    this.commandLine = { appendSwitch() {}, hasSwitch: () => false }
  }
  requestSingleInstanceLock() {
    report.singleInstanceLock = true
    return true
  }
  whenReady() {
    return Promise.resolve()
  }
  isReady() {
    return true
  }
  getPath(name) {
    return name === 'userData' ? userData : path.join(userData, name)
  }
  getAppPath() {
    return process.cwd()
  }
  getName() {
    return 'Koutu'
  }
  getVersion() {
    return '0.1.0'
  }
  getLocale() {
    return 'en-US'
  }
  setAppUserModelId() {}
  quit() {}
  exit(code) {
    report.exitCode = code
    save()
    process.exit(code)
  }
}
const app = new App()

const ipcMain = {
  handle(channel, fn) {
    handlers.set(channel, fn)
    report.handlers.push(channel)
  },
  on() {},
  removeHandler() {},
}

class WebContents extends EventEmitter {
  constructor(id) {
    super()
    this.id = id
    this.mainFrame = { url: '' }
    this.openHandler = null
  }
  setWindowOpenHandler(fn) {
    this.openHandler = fn
  }
  send() {}
  isDestroyed() {
    return false
  }
}

class BrowserWindow extends EventEmitter {
  static getAllWindows() {
    return windows
  }
  constructor(options) {
    super()
    this.webContents = new WebContents(7 + windows.length)
    windows.push(this)
    report.windows.push({
      webPreferences: options.webPreferences,
      preloadExists: fs.existsSync(options.webPreferences.preload),
      handlersAtCreation: report.handlers.length,
    })
    save()
  }
  loadURL(url) {
    this.webContents.mainFrame.url = url
    const record = report.windows.at(-1)
    record.url = url
    record.pageExists = url.startsWith('file:') && fs.existsSync(new URL(url))
    save()
    setImmediate(() => probe(this).catch((error) => ((report.probe = { error: String(error) }), save())))
    return Promise.resolve()
  }
  show() {}
  hide() {}
  focus() {}
  restore() {}
  isDestroyed() {
    return false
  }
  isMinimized() {
    return false
  }
  isVisible() {
    return true
  }
  isFocused() {
    return true
  }
  setProgressBar() {}
}

/** Calls the app's handlers as Electron would, once the page is loaded, then ends the process. */
async function probe(window) {
  const contents = window.webContents
  const call = (name, event, ...args) => handlers.get(`koutu:call:${name}`)(event, ...args)
  const own = { sender: contents, senderFrame: contents.mainFrame }
  const otherPage = { url: 'https://evil.example/' }
  const result = {
    appInfo: await call('getAppInfo', own),
    foreignWindow: await call('getAppInfo', { sender: { id: 99, mainFrame: contents.mainFrame }, senderFrame: contents.mainFrame }),
    foreignPage: await call('getAppInfo', { sender: { id: contents.id, mainFrame: otherPage }, senderFrame: otherPage }),
    malformed: await call('setSetting', own, 'theme', 42),
    windowOpen: ['https://example.com/help', 'file:///etc/passwd'].map((url) => contents.openHandler({ url }).action),
    navigation: [contents.mainFrame.url, 'file:///etc/passwd', 'https://example.com/'].map((url) => {
      let prevented = false
      contents.emit('will-navigate', { preventDefault: () => (prevented = true) }, url)
      return prevented
    }),
  }
  report.probe = result
  save()
  setTimeout(() => process.exit(0), 100)
}

const session = {
  defaultSession: {
    setPermissionRequestHandler(fn) {
      if (failStart) throw new Error('stand-in: the session could not be set up')
      // The app is ready and its services are still starting: a second launch and a Dock click
      // arrive now, as they may in Electron.
      if (earlyEvents) {
        app.emit('second-instance', {}, ['/opt/Koutu/koutu'], process.cwd())
        app.emit('activate', {}, false)
      }
      fn(null, 'media', (granted) => (report.permissionRequest = granted))
    },
    setPermissionCheckHandler(fn) {
      report.permissionCheck = fn(null, 'media')
    },
    webRequest: {
      onHeadersReceived(fn) {
        fn({ responseHeaders: {} }, (response) => (report.csp = response.responseHeaders['Content-Security-Policy'][0]))
      },
    },
    resolveProxy: async () => 'DIRECT',
  },
}

class Tray extends EventEmitter {
  constructor(image) {
    super()
    const iconPath = typeof image === 'string' ? image : image && image.path
    report.trays.push({ iconPath, iconExists: Boolean(iconPath) && fs.existsSync(iconPath) })
    save()
  }
  setContextMenu() {}
  setToolTip() {}
  setImage() {}
  isDestroyed() {
    return false
  }
  destroy() {}
}

const nativeImage = {
  createFromPath: (p) => ({ path: p, isEmpty: () => !fs.existsSync(p), setTemplateImage() {}, resize() { return this } }),
  createEmpty: () => ({ isEmpty: () => true }),
}
const Menu = {
  buildFromTemplate(template) {
    report.menuLabels = template.map((item) => item.label || item.type)
    return Object.assign(new EventEmitter(), { items: template })
  },
  setApplicationMenu() {},
}
class Notification extends EventEmitter {
  static isSupported() {
    return false
  }
  show() {}
}
const safeStorage = {
  isEncryptionAvailable: () => false,
  getSelectedStorageBackend: () => 'basic_text',
  encryptString: (text) => Buffer.from(text),
  decryptString: (buffer) => buffer.toString(),
}
const dialog = {
  showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
  showErrorBox(title, content) {
    report.errorBoxes.push({ title, content })
    save()
  },
}
const shell = {
  openExternal: async (url) => {
    report.openedExternally.push(url)
    save()
  },
  showItemInFolder() {},
  openPath: async () => '',
}
const utilityProcess = {
  fork() {
    report.utilityForks += 1
    save()
    throw new Error('the model process must not start before a batch')
  },
}
const webContents = { getAllWebContents: () => [] }

exports.app = app
exports.ipcMain = ipcMain
exports.BrowserWindow = BrowserWindow
exports.session = session
exports.Tray = Tray
exports.nativeImage = nativeImage
exports.Menu = Menu
exports.Notification = Notification
exports.safeStorage = safeStorage
exports.dialog = dialog
exports.shell = shell
exports.utilityProcess = utilityProcess
exports.webContents = webContents
