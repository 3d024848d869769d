/**
 * The review handlers through the real dispatcher over the services createAppServices builds:
 * strokes are bounded numbers in bounded arrays, items are addressed by id only, and a redo or
 * an edit of an item without a finished cutout is refused with a code the UI can explain. A
 * batch run by the sharp test engine (as the remote engine) gives real cutouts to edit.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterEach, describe, expect, it } from 'vitest'
import type { BridgeResult } from '../../../src/shared/bridge'
import type { BatchItem } from '../../../src/shared/batch'
import type { RedoEstimate, TouchUpSession } from '../../../src/shared/review'
import { silentLogger } from '../../../src/shared/logger'
import { createSenderCheck, dispatchBridgeCall } from '../../../src/main/ipc/dispatch'
import type { SenderInfo } from '../../../src/main/ipc/handler-types'
import { sidecarPaths } from '../../../src/main/review/touchup-service'
import { createTestApp } from '../../helpers/app-services'
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

async function finishedBatch(cost: { needed: number; available: number | null } | null = null) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'koutu-review-handlers-'))
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }))
  const photo = path.join(dir, 'photo.png')
  // A bright square on a dark ground: the test engine keys alpha from luminance.
  const square = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#f0f0f0' } }).png().toBuffer()
  await sharp({ create: { width: 120, height: 90, channels: 3, background: '#101010' } }).composite([{ input: square, left: 40, top: 30 }]).png().toFile(photo)
  let started = false
  const app = await createTestApp({
    settings: { engine: 'aipic' },
    // The batch runs free; a redo asks the same factory, which then reports a cost.
    createRemoteEngine: () => createTestEngine({ kind: 'aipic', flags: () => ['uncertain'], cost: started ? cost : null }),
  })
  cleanups.push(() => app.cleanup())
  await app.services.batch.addPaths([dir])
  await app.services.batch.start()
  await app.services.batch.whenFinished()
  started = true
  const call = (name: string, ...args: unknown[]) => dispatchBridgeCall(app.table, name, args, trusted, isTrusted, silentLogger)
  return { app, dir, photo, call }
}

function valueOf<T>(result: BridgeResult<unknown>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`)
  return result.value as T
}
const codeOf = (result: BridgeResult<unknown>): string => (result.ok ? 'ok' : result.error.code)

const stroke = { mode: 'erase', size: 20, softness: 0, edgeAware: false, points: [60, 45, 62, 45] }

describe('review handlers', () => {
  it('tell the cost of a redo with a paid engine before it runs', async () => {
    const { app, call } = await finishedBatch({ needed: 0, available: 7 })
    const item = app.services.batch.items()[0]!
    const estimate = valueOf<RedoEstimate>(await call('estimateRedo', [item.id], { engine: 'aipic' }))
    expect(estimate).toEqual({ count: 1, touchedUp: 0, cost: { needed: 1, available: 7 } })
  })

  it('validate strokes and item ids', async () => {
    const { call } = await finishedBatch()
    expect(codeOf(await call('saveTouchUp', 1, [{ ...stroke, size: 0 }]))).toBe('ipc.invalid-argument')
    expect(codeOf(await call('saveTouchUp', 1, [{ ...stroke, size: 1e6 }]))).toBe('ipc.invalid-argument')
    expect(codeOf(await call('saveTouchUp', 1, [{ ...stroke, points: [1, 2, 3] }]))).toBe('ipc.invalid-argument')
    expect(codeOf(await call('saveTouchUp', 1, [{ ...stroke, points: [Number.NaN, 2] }]))).toBe('ipc.invalid-argument')
    expect(codeOf(await call('saveTouchUp', 1, [{ ...stroke, mode: 'paint' }]))).toBe('ipc.invalid-argument')
    expect(codeOf(await call('saveTouchUp', 1, [{ ...stroke, path: '/etc/passwd' }]))).toBe('ipc.invalid-argument')
    expect(codeOf(await call('saveTouchUp', 1, Array.from({ length: 1001 }, () => stroke)))).toBe('ipc.invalid-argument')
    expect(codeOf(await call('openTouchUp', '/tmp/x.png'))).toBe('ipc.invalid-argument')
    expect(codeOf(await call('openTouchUp', 99))).toBe('review.no-cutout')
    expect(codeOf(await call('redoItems', [], { engine: 'local', output: 'replace', discardEdits: false }))).toBe('ipc.invalid-argument')
    expect(codeOf(await call('redoItems', [1], { engine: 'local', output: 'somewhere', discardEdits: false }))).toBe('ipc.invalid-argument')
    expect(codeOf(await call('redoItems', [1], { engine: 'local', output: 'replace', discardEdits: false, outputPath: '/tmp' }))).toBe('ipc.invalid-argument')
  })

  it('open, save and estimate through the bridge; a stale sidecar starts a fresh edit', async () => {
    const { app, call } = await finishedBatch()
    const item = app.services.batch.items()[0]!
    const session = valueOf<TouchUpSession>(await call('openTouchUp', item.id))
    expect([session.width, session.height, session.previewWidth, session.strokes]).toEqual([120, 90, 120, []])
    expect(session.base).toMatch(/^data:image\/png;base64,/)
    const saved = valueOf<BatchItem>(await call('saveTouchUp', item.id, [stroke]))
    expect(saved).toMatchObject({ status: 'done', touchedUp: true, flags: ['uncertain'] })
    const { alpha } = await sharp(item.outputPath!).ensureAlpha().extractChannel(3).raw().toBuffer({ resolveWithObject: true }).then((r) => ({ alpha: r.data }))
    expect(alpha[45 * 120 + 61]).toBe(0)
    expect(valueOf<TouchUpSession>(await call('openTouchUp', item.id)).strokes).toEqual([stroke])
    // Replaced outside Koutu: the strokes no longer belong to the file.
    await fs.copyFile(sidecarPaths(item.outputPath!).base, item.outputPath!)
    expect(valueOf<TouchUpSession>(await call('openTouchUp', item.id)).strokes).toEqual([])
    const estimate = valueOf<RedoEstimate>(await call('estimateRedo', [item.id], { engine: 'aipic' }))
    expect(estimate).toMatchObject({ count: 1, touchedUp: 1, cost: null })
  })
})
