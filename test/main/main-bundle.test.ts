// Starts the BUILT main process (out/main/index.js) under plain Node with a stand-in for the
// electron module (test/main/electron-stand-in), and checks what the app asks of Electron: the
// single-instance lock, one window with the secure webPreferences and an existing preload and
// page, every bridge method registered, the session's permission and CSP policy, the tray, no
// model process at start-up; then the stand-in calls the app's handlers as Electron would.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { BRIDGE_METHOD_NAMES, methodChannel } from '../../src/shared/bridge'
import { CONTENT_SECURITY_POLICY, DEV_SERVER_CONTENT_SECURITY_POLICY } from '../../src/main/window-policy'

const REPO = path.resolve(import.meta.dirname, '../..')

interface StandInReport {
  singleInstanceLock: boolean
  windows: Array<{ webPreferences: Record<string, unknown>; preloadExists: boolean; url: string; pageExists: boolean; handlersAtCreation: number }>
  errorBoxes: Array<{ title: string; content: string }>
  exitCode: number | null
  handlers: string[]
  permissionRequest: boolean | null
  permissionCheck: boolean | null
  csp: string | null
  trays: Array<{ iconPath: string; iconExists: boolean }>
  menuLabels: string[]
  utilityForks: number
  openedExternally: string[]
  probe: null | {
    error?: string
    appInfo: { ok: boolean; value?: { name: string } }
    foreignWindow: { ok: boolean; error?: { code: string } }
    foreignPage: { ok: boolean; error?: { code: string } }
    malformed: { ok: boolean; error?: { code: string } }
    windowOpen: string[]
    navigation: boolean[]
  }
}

function startMain(userData: string, reportFile: string, env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', './test/main/electron-stand-in/register.mjs', 'out/main/index.js'], {
      cwd: REPO,
      env: { ...withoutDevServer(process.env), KOUTU_STAND_IN_REPORT: reportFile, KOUTU_STAND_IN_USER_DATA: userData, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr })
    })
  })
}

function withoutDevServer(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { ELECTRON_RENDERER_URL: _ignored, ...rest } = env
  return rest
}

async function runMain(env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string; report: StandInReport; userData: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-main-'))
  const reportFile = path.join(dir, 'report.json')
  const userData = path.join(dir, 'userdata')
  const { code, stderr } = await startMain(userData, reportFile, env)
  return { code, stderr, report: JSON.parse(fs.readFileSync(reportFile, 'utf8')) as StandInReport, userData }
}

describe('the built main process', () => {
  it('starts, secures its window, registers the bridge and serves only its own page', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-main-'))
    const reportFile = path.join(dir, 'report.json')
    const userData = path.join(dir, 'userdata')
    const { code, stderr } = await startMain(userData, reportFile)
    expect(code, stderr).toBe(0)
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as StandInReport

    expect(report.singleInstanceLock).toBe(true)
    expect(report.windows).toHaveLength(1)
    const [window] = report.windows
    expect(window!.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true })
    expect(window!.preloadExists).toBe(true)
    expect(window!.url).toMatch(/^file:.*out\/renderer\/index\.html$/)
    expect(window!.pageExists).toBe(true)

    for (const name of BRIDGE_METHOD_NAMES) expect(report.handlers).toContain(methodChannel(name))
    expect(report.permissionRequest).toBe(false)
    expect(report.permissionCheck).toBe(false)
    expect(report.csp).toBe(CONTENT_SECURITY_POLICY)
    expect(report.trays).toHaveLength(1)
    expect(report.trays[0]!.iconExists).toBe(true)
    expect(report.menuLabels).toContain('Quit Koutu')
    // The model process starts with the first batch, not with the app.
    expect(report.utilityForks).toBe(0)

    const probe = report.probe
    expect(probe?.error).toBeUndefined()
    expect(probe!.appInfo).toMatchObject({ ok: true, value: { name: 'Koutu' } })
    expect(probe!.foreignWindow).toMatchObject({ ok: false, error: { code: 'ipc.forbidden-sender' } })
    expect(probe!.foreignPage).toMatchObject({ ok: false, error: { code: 'ipc.forbidden-sender' } })
    expect(probe!.malformed.ok).toBe(false)
    // New windows are always refused; an https link goes to the system browser instead.
    expect(probe!.windowOpen).toEqual(['deny', 'deny'])
    expect(report.openedExternally).toEqual(['https://example.com/help', 'https://example.com/'])
    // Reloading its own page is allowed; leaving it is not.
    expect(probe!.navigation).toEqual([false, true, true])
    // The log file is where the README says, and it does not record the probe's foreign page as trusted.
    const log = fs.readFileSync(path.join(userData, 'logs', 'main.log'), 'utf8')
    expect(log).toContain('refused a bridge call from a foreign sender')
    expect(window!.handlersAtCreation).toBe(report.handlers.length)
  })

  it('opens no window before every bridge handler exists, even when a second launch and a Dock click come early', async () => {
    const { code, stderr, report } = await runMain({ KOUTU_STAND_IN_EARLY_EVENTS: '1' })
    expect(code, stderr).toBe(0)
    expect(report.windows).toHaveLength(1)
    expect(report.windows[0]!.handlersAtCreation).toBeGreaterThanOrEqual(BRIDGE_METHOD_NAMES.length)
    expect(report.windows[0]!.handlersAtCreation).toBe(report.handlers.length)
    expect(report.probe?.appInfo).toMatchObject({ ok: true })
  })

  it('loads the dev server with its own policy unpackaged, and ignores ELECTRON_RENDERER_URL when packaged', async () => {
    const dev = await runMain({ ELECTRON_RENDERER_URL: 'http://localhost:5173/' })
    expect(dev.report.windows[0]!.url).toBe('http://localhost:5173/')
    expect(dev.report.csp).toBe(DEV_SERVER_CONTENT_SECURITY_POLICY)
    const packaged = await runMain({ ELECTRON_RENDERER_URL: 'http://attacker.example/', KOUTU_STAND_IN_PACKAGED: '1' })
    expect(packaged.code, packaged.stderr).toBe(0)
    expect(packaged.report.windows[0]!.url).toMatch(/^file:.*out\/renderer\/index\.html$/)
    expect(packaged.report.csp).toBe(CONTENT_SECURITY_POLICY)
    // The page the sender check trusts is the file, so a page from that origin is refused.
    expect(packaged.report.probe!.appInfo).toMatchObject({ ok: true })
  })

  it('says on screen that it could not start, and where the log is, before exiting with 1', async () => {
    const { code, report, userData } = await runMain({ KOUTU_STAND_IN_FAIL_START: '1' })
    expect(code).toBe(1)
    expect(report.exitCode).toBe(1)
    expect(report.windows).toHaveLength(0)
    expect(report.errorBoxes).toHaveLength(1)
    expect(report.errorBoxes[0]!.title).toBe('Koutu could not start')
    expect(report.errorBoxes[0]!.content).toContain('the session could not be set up')
    expect(report.errorBoxes[0]!.content).toContain(path.join(userData, 'logs', 'main.log'))
  })
})
