/**
 * The bridge handlers for the queue, thumbnails, the desktop and the account, through the real
 * dispatcher over the services createAppServices builds: arguments are validated and bounded,
 * paths are accepted only by addPaths, files are shown only by queue item id, folders to write
 * to come from main's dialogs, and the cost question goes out as an event and comes back.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterEach, describe, expect, it } from 'vitest'
import type { BridgeResult } from '../../../src/shared/bridge'
import { silentLogger } from '../../../src/shared/logger'
import { createSenderCheck, dispatchBridgeCall } from '../../../src/main/ipc/dispatch'
import type { SenderInfo } from '../../../src/main/ipc/handler-types'
import { createTestApp, type TestApp, type TestAppOptions } from '../../helpers/app-services'
import { createTestEngine } from '../batch/helpers/sharp-test-engine'

const APP_URL = 'file:///opt/Koutu/resources/app.asar/out/renderer/index.html'
const trusted: SenderInfo = { webContentsId: 7, frameUrl: APP_URL, isMainFrame: true }
const isTrusted = createSenderCheck(
  () => 7,
  (url) => url === APP_URL,
)

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function setup(options: TestAppOptions = {}): Promise<{ app: TestApp; dir: string; call: (name: string, ...args: unknown[]) => Promise<BridgeResult<unknown>> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'koutu-handlers-'))
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }))
  const app = await createTestApp(options)
  cleanups.push(() => app.cleanup())
  const call = (name: string, ...args: unknown[]) => dispatchBridgeCall(app.table, name, args, trusted, isTrusted, silentLogger)
  return { app, dir, call }
}

async function writeImage(file: string, colour = '#cc3344'): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true })
  await sharp({ create: { width: 64, height: 48, channels: 3, background: colour } }).png().toFile(file)
  return file
}

function valueOf<T>(result: BridgeResult<unknown>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`)
  return result.value as T
}

describe('queue handlers', () => {
  it('accept absolute paths only, in bounded numbers', async () => {
    const { call, dir } = await setup()
    for (const args of [[['relative/photo.png']], [[]], [['/tmp/a\0b']], [Array.from({ length: 10_001 }, (_, i) => `/tmp/${i}.png`)], ['/tmp/x.png'], []]) {
      const result = await call('addPaths', ...args)
      expect(result).toMatchObject({ ok: false, error: { code: 'ipc.invalid-argument' } })
    }
    await writeImage(path.join(dir, 'in', 'a.png'))
    expect(valueOf(await call('addPaths', [path.join(dir, 'in')]))).toEqual({ accepted: 1 })
  })

  it('add what the folder dialog returns, and nothing when it is cancelled', async () => {
    const { app, call, dir } = await setup()
    await writeImage(path.join(dir, 'in', 'a.png'))
    await writeImage(path.join(dir, 'in', 'b.png'))
    expect(valueOf(await call('chooseAndAdd', 'folders'))).toEqual({ accepted: 0 })
    app.answerNextDialog('folders', [path.join(dir, 'in')])
    expect(valueOf(await call('chooseAndAdd', 'folders'))).toEqual({ accepted: 2 })
    expect(app.dialogsOpened).toEqual(['folders:addFolders', 'folders:addFolders'])
    expect((await call('chooseAndAdd', 'anything')).ok).toBe(false)
    const queue = valueOf<Array<{ name: string }>>(await call('getQueue'))
    expect(queue.map((item) => item.name).sort()).toEqual(['a.png', 'b.png'])
    expect(app.events.some((event) => event.name === 'queueReset')).toBe(true)
  })

  it('show thumbnails and reveal files by item id only: originals, and outputs once written', async () => {
    const engine = createTestEngine({ kind: 'aipic', cost: null })
    const { app, call, dir } = await setup({ settings: { engine: 'aipic' }, createRemoteEngine: () => engine })
    const original = await writeImage(path.join(dir, 'in', 'a.png'))
    valueOf(await call('addPaths', [original]))
    const [item] = valueOf<Array<{ id: number }>>(await call('getQueue'))

    const thumb = valueOf<string>(await call('getThumbnail', item!.id, 'original', 32))
    expect(thumb).toMatch(/^data:image\/png;base64,/)
    const decoded = await sharp(Buffer.from(thumb.split(',')[1]!, 'base64')).metadata()
    expect(Math.max(decoded.width!, decoded.height!)).toBe(32)
    expect(valueOf(await call('getThumbnail', item!.id, 'output', 32))).toBeNull()
    expect(valueOf(await call('getThumbnail', 999, 'original', 32))).toBeNull()
    for (const args of [['/etc/passwd', 'original', 32], [item!.id, 'any', 32], [item!.id, 'original', 5000], [0, 'original', 32], [1.5, 'original', 32]]) {
      expect(await call('getThumbnail', ...args)).toMatchObject({ ok: false, error: { code: 'ipc.invalid-argument' } })
    }

    valueOf(await call('showInFolder', item!.id))
    expect(app.shownInFolder).toEqual([original])

    valueOf(await call('startBatch'))
    await app.services.batch.whenFinished()
    const output = path.join(dir, 'in', 'a-cutout.png')
    await fs.access(output)
    expect(valueOf(await call('getThumbnail', item!.id, 'output', 40))).toMatch(/^data:image\/png;base64,/)
    valueOf(await call('showInFolder', item!.id))
    expect(app.shownInFolder).toEqual([original, output])
    // Status changes arrive batched, in order, none dropped.
    const statuses = () =>
      app.events
        .filter((event) => event.name === 'itemStatusChanged')
        .flatMap((event) => event.payload as Array<{ status: string }>)
        .map((change) => change.status)
    await expect.poll(statuses).toEqual(['working', 'done'])
  })

  it('never send a progress summary ahead of the status changes it counts', async () => {
    const engine = createTestEngine({ kind: 'aipic', cost: null })
    const { app, call, dir } = await setup({ settings: { engine: 'aipic' }, createRemoteEngine: () => engine })
    const originals = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((name) => writeImage(path.join(dir, 'in', `${name}.png`))))
    valueOf(await call('addPaths', originals))
    valueOf(await call('startBatch'))
    await app.services.batch.whenFinished()
    await expect.poll(() => app.events.some((event) => event.name === 'batchProgress' && event.payload.state === 'finished')).toBe(true)
    // Replay the events as the window does: at every summary, the rows already say as much.
    const doneIds = new Set<number>()
    let summaries = 0
    for (const event of app.events) {
      if (event.name === 'itemStatusChanged') for (const change of event.payload) if (change.status === 'done') doneIds.add(change.id)
      if (event.name !== 'batchProgress') continue
      summaries++
      expect(doneIds.size).toBeGreaterThanOrEqual(event.payload.done)
    }
    expect(summaries).toBeGreaterThan(0)
    expect(doneIds.size).toBe(5)
  })

  it('ask the cost question as an event and go on only when it is accepted', async () => {
    const engine = () => createTestEngine({ kind: 'aipic', cost: { needed: 2, available: 1 } })
    const { app, call, dir } = await setup({ settings: { engine: 'aipic' }, createRemoteEngine: engine })
    await writeImage(path.join(dir, 'in', 'a.png'))
    await writeImage(path.join(dir, 'in', 'b.png'), '#22aa66')
    valueOf(await call('addPaths', [path.join(dir, 'in')]))

    const declined = call('startBatch')
    await expect.poll(() => app.events.filter((event) => event.name === 'costPrompt').length).toBe(1)
    const prompt = app.events.find((event) => event.name === 'costPrompt')!.payload as { promptId: number; needed: number; reason: string }
    expect(prompt).toMatchObject({ needed: 2, available: 1, reason: 'exceeds-available' })
    expect((await call('answerCostPrompt', prompt.promptId + 100, true)).ok).toBe(false)
    valueOf(await call('answerCostPrompt', prompt.promptId, false))
    expect(await declined).toMatchObject({ ok: false, error: { code: 'batch.cost-declined' } })

    const accepted = call('startBatch')
    await expect.poll(() => app.events.filter((event) => event.name === 'costPrompt').length).toBe(2)
    const second = app.events.filter((event) => event.name === 'costPrompt')[1]!.payload as { promptId: number }
    valueOf(await call('answerCostPrompt', second.promptId, true))
    valueOf(await accepted)
    await app.services.batch.whenFinished()
    await fs.access(path.join(dir, 'in', 'b-cutout.png'))
  })

  it('clear the list of a batch that is not running, and list it in the reports', async () => {
    const { app, call, dir } = await setup({ settings: { engine: 'aipic' }, createRemoteEngine: () => createTestEngine({ kind: 'aipic' }) })
    await writeImage(path.join(dir, 'in', 'a.png'))
    valueOf(await call('addPaths', [path.join(dir, 'in')]))
    valueOf(await call('startBatch'))
    await app.services.batch.whenFinished()
    valueOf(await call('clearQueue'))
    expect(valueOf(await call('getQueue'))).toEqual([])
    expect(valueOf(await call('getProgress'))).toMatchObject({ state: 'idle', total: 0 })
    expect(valueOf(await call('getThumbnail', 1, 'original', 32))).toBeNull()
    const reports = valueOf<Array<{ outcome: string; counts: { done: number } }>>(await call('getReports', 5))
    expect(reports).toHaveLength(1)
    expect(reports[0]).toMatchObject({ outcome: 'finished', counts: { done: 1 } })
    expect((await call('getReports', 0)).ok).toBe(false)
    expect((await call('getReports', 1000)).ok).toBe(false)
  })

  it('refuse to start a remote batch without upload consent, saying which host needs it', async () => {
    const { app, call, dir } = await setup({ settings: { engine: 'aipic', uploadHosts: ['litterbox'], uploadConsent: [] } })
    await writeImage(path.join(dir, 'in', 'a.png'))
    valueOf(await call('addPaths', [path.join(dir, 'in')]))
    expect(valueOf(await call('getHaltReason'))).toBeNull()
    expect(await call('startBatch')).toMatchObject({ ok: false, error: { code: 'upload.consent-required', detail: { hosts: 'litterbox' } } })
    expect(valueOf(await call('getProgress'))).toMatchObject({ queued: 1, failed: 0, done: 0 })
    expect(app.events.filter((event) => event.name === 'costPrompt')).toEqual([])
  })
})

describe('desktop handlers', () => {
  it('take the output folder from main’s dialog only; the renderer may only clear it', async () => {
    const { app, call, dir } = await setup()
    expect(await call('setSetting', 'outputRoot', dir)).toMatchObject({ ok: false, error: { code: 'ipc.invalid-argument' } })
    expect(await call('setSetting', 'customModel', { path: '/tmp/evil.onnx', inputSize: 320, mean: [0, 0, 0], std: [1, 1, 1], applySigmoid: false })).toMatchObject({
      ok: false,
    })
    expect(valueOf<{ outputRoot: string | null }>(await call('chooseOutputRoot')).outputRoot).toBeNull()
    app.answerNextDialog('folders', [dir])
    expect(valueOf<{ outputRoot: string | null }>(await call('chooseOutputRoot')).outputRoot).toBe(dir)
    expect(app.settingsOnDisk().outputRoot).toBe(dir)
    expect(valueOf<{ outputRoot: string | null }>(await call('setSetting', 'outputRoot', null)).outputRoot).toBeNull()
    expect(app.dialogsOpened).toEqual(['folders:outputRoot', 'folders:outputRoot'])
  })

  it('take a custom model from the file dialog with a known family’s parameters', async () => {
    const { app, call, dir } = await setup()
    expect(await call('chooseCustomModel', 'no-such-family')).toMatchObject({ ok: false, error: { code: 'ipc.invalid-argument' } })
    expect(await call('chooseCustomModel', '__proto__')).toMatchObject({ ok: false, error: { code: 'ipc.invalid-argument' } })
    const model = path.join(dir, 'u2net.onnx')
    app.answerNextDialog('files', [model])
    const settings = valueOf<{ localModel: string; customModel: { path: string; inputSize: number } }>(await call('chooseCustomModel', 'u2net'))
    expect(settings.localModel).toBe('custom')
    expect(settings.customModel).toMatchObject({ path: model, inputSize: 320 })
    expect(app.dialogsOpened).toEqual(['files:onnx'])
  })

  it('store own-bucket keys without ever returning them', async () => {
    const { app, call } = await setup()
    expect(valueOf(await call('getS3CredentialsState'))).toEqual({ configured: false })
    expect((await call('setS3Credentials', 'AKIDEXAMPLE', '')).ok).toBe(false)
    const saved = await call('setS3Credentials', 'AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG')
    expect(valueOf(saved)).toEqual({ configured: true })
    expect(JSON.stringify(saved)).not.toContain('wJalrXUtnFEMI')
    expect(JSON.stringify(app.events)).not.toContain('wJalrXUtnFEMI')
    expect(JSON.stringify(app.settingsOnDisk())).not.toContain('wJalrXUtnFEMI')
    expect(valueOf(await call('setS3Credentials', '', ''))).toEqual({ configured: false })
  })

  it('open the logs folder in the file manager', async () => {
    const { app, call } = await setup()
    valueOf(await call('openLogsFolder'))
    expect(app.openedFolders).toEqual([app.layout.logsDir])
  })
})

describe('account handlers', () => {
  it('bound their arguments and never return the token', async () => {
    const { call } = await setup({ settings: { apiBaseUrl: 'http://127.0.0.1:9' } })
    for (const [name, args] of [
      ['sendCode', ['1'.repeat(40)]],
      ['login', ['13800138000', '1'.repeat(20)]],
      ['getHistory', [0, 10]],
      ['getHistory', [1, 500]],
      ['setTokenPersistence', ['yes']],
    ] as const) {
      expect(await call(name, ...args)).toMatchObject({ ok: false, error: { code: 'ipc.invalid-argument' } })
    }
    expect(await call('sendCode', '12345')).toMatchObject({ ok: false, error: { code: 'aipic.invalid-phone' } })
    expect(await call('getHistory', 1, 10)).toMatchObject({ ok: false, error: { code: 'aipic.not-logged-in' } })
    const state = valueOf<Record<string, unknown>>(await call('getAccount'))
    expect(state).toMatchObject({ loggedIn: false, identity: 'device', tokenStorage: 'memory-only' })
    expect(Object.keys(state)).not.toContain('token')
  })

  it('move the session to disk when the user opts in, and back', async () => {
    const { app, call } = await setup()
    expect(valueOf(await call('setTokenPersistence', true))).toMatchObject({ tokenStorage: 'plaintext-file', tokenStorageReason: 'user-opted-in' })
    expect(app.settingsOnDisk().aipicTokenOnDisk).toBe(true)
    expect(app.events.at(-1)).toMatchObject({ name: 'accountChanged', payload: { tokenStorage: 'plaintext-file' } })
    expect(valueOf(await call('setTokenPersistence', false))).toMatchObject({ tokenStorage: 'memory-only' })
  })
})
