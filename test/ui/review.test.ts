/// <reference lib="dom" />
/**
 * The review grid and the touch-up editor end to end: the built renderer in Chromium over the
 * real handler table, the real batch service and the real local engine (ISNet small in a forked
 * worker) on real photos. The grid is driven by the keyboard (arrows, Space, Enter, E, R), marked
 * cutouts are redone with another local model, and the editor is drawn on with mouse events; the
 * saved cutout is then read back at full resolution from disk.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import type { BatchItem } from '../../src/shared/batch'
import { createTestApp, type TestApp } from '../helpers/app-services'
import { writePhoto, writeTexture } from '../helpers/images'
import { openUi, type UiHarness } from '../helpers/ui-harness'
import { createTestEngine } from '../main/batch/helpers/sharp-test-engine'
import { closeAfterEachUiTest, connectUi, dropOnWindow, saveScreenshot } from './ui-helpers'

const SLOW = 240_000

async function runBatch(page: Page, app: TestApp, folderName: string, count: number): Promise<void> {
  await page.getByTestId('drop-zone').waitFor()
  await dropOnWindow(page, [folderName])
  await expect.poll(() => page.getByTestId('queue-row').count()).toBe(count)
  await page.getByRole('button', { name: 'Start', exact: true }).click()
  await expect.poll(() => page.getByTestId('progress-summary').getAttribute('data-state'), { timeout: SLOW }).toBe('finished')
  expect(app.services.batch.items().every((item) => item.status === 'done')).toBe(true)
}

async function tiles(page: Page): Promise<Array<{ name: string; current: boolean; marked: boolean }>> {
  return page.getByTestId('review-tile').evaluateAll((nodes) =>
    nodes.map((node) => ({
      name: node.querySelector('.name')?.textContent ?? '',
      current: node.getAttribute('data-current') === 'true',
      marked: node.getAttribute('data-marked') === 'true',
    })),
  )
}

function itemNamed(app: TestApp, name: string): BatchItem {
  const item = app.services.batch.items().find((entry) => entry.name === name)
  if (!item) throw new Error(`no item ${name}`)
  return item
}

async function alphaOf(file: string): Promise<{ alpha: Buffer; rgb: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  const pixels = info.width * info.height
  const alpha = Buffer.alloc(pixels)
  const rgb = Buffer.alloc(pixels * 3)
  for (let i = 0; i < pixels; i++) {
    alpha[i] = data[i * 4 + 3]!
    rgb[i * 3] = data[i * 4]!
    rgb[i * 3 + 1] = data[i * 4 + 1]!
    rgb[i * 3 + 2] = data[i * 4 + 2]!
  }
  return { alpha, rgb, width: info.width, height: info.height }
}

const sha256 = async (file: string): Promise<string> => createHash('sha256').update(await fs.readFile(file)).digest('hex')

/** Distance from (px, py) to the segment a-b. */
function segmentDistance(px: number, py: number, a: { x: number; y: number }, b: { x: number; y: number }): number {
  const dx = b.x - a.x
  const dy = b.y - a.y
  const t = Math.max(0, Math.min(1, ((px - a.x) * dx + (py - a.y) * dy) / (dx * dx + dy * dy || 1)))
  return Math.hypot(px - (a.x + t * dx), py - (a.y + t * dy))
}

describe('the review grid and the touch-up editor', { timeout: 600_000 }, () => {
  let app: TestApp | undefined
  let ui: UiHarness | undefined
  let workDir: string | undefined
  closeAfterEachUiTest(
    () => ({ app, ui, workDir }),
    () => (app = ui = workDir = undefined),
  )

  it('shows flags, moves and marks by keyboard, opens a cutout, and redoes marked ones with another model', async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'koutu-ui-review-'))
    const photos = path.join(workDir, 'Shoot')
    await writePhoto(photos, 'a-cat.jpg', 'chelsea', { megapixels: 0.3 })
    await writePhoto(photos, 'b-cup.jpg', 'coffee', { megapixels: 0.3 })
    await writeTexture(photos, 'c-moss.jpg', 'grass', 0.3)
    await writePhoto(photos, 'd-bike.jpg', 'motorcycle', { megapixels: 0.3 })

    app = await createTestApp({ settings: { localModel: 'isnet-small' } })
    ui = await openUi({ table: app.table, droppedFilePaths: { Shoot: photos } })
    connectUi(app, ui)
    const { page } = ui
    await runBatch(page, app, 'Shoot', 4)

    // The moss close-up is flagged on its queue row.
    const mossRow = page.locator('[data-testid=queue-row]', { hasText: 'c-moss.jpg' })
    await expect.poll(() => mossRow.getByTestId('flag-badge').getAttribute('data-flag')).toBe('no-subject')
    expect(await page.locator('[data-testid=queue-row]', { hasText: 'b-cup.jpg' }).getByTestId('flag-badge').count()).toBe(0)

    await page.getByRole('button', { name: 'Review', exact: true }).click()
    await expect.poll(async () => (await tiles(page)).map((tile) => tile.name)).toEqual(['a-cat.jpg', 'b-cup.jpg', 'c-moss.jpg', 'd-bike.jpg'])
    await page.getByTestId('review-grid').focus()
    await page.keyboard.press('ArrowRight')
    await page.keyboard.press('ArrowRight')
    await expect.poll(async () => (await tiles(page)).find((tile) => tile.current)?.name).toBe('b-cup.jpg')
    await page.keyboard.press('Space')
    await page.keyboard.press('ArrowRight')
    await page.keyboard.press('Space')
    await page.keyboard.press('ArrowLeft')
    await expect.poll(async () => (await tiles(page)).filter((tile) => tile.marked).map((tile) => tile.name)).toEqual(['b-cup.jpg', 'c-moss.jpg'])
    expect((await tiles(page)).find((tile) => tile.current)?.name).toBe('b-cup.jpg')
    await expect.poll(() => page.getByTestId('marked-count').textContent()).toBe('2 marked')

    // Space again unmarks; the flag filter shows only the flagged cutout.
    await page.keyboard.press('Space')
    await page.keyboard.press('Space')
    await page.getByTestId('review-filter').selectOption('no-subject')
    await expect.poll(async () => (await tiles(page)).map((tile) => tile.name)).toEqual(['c-moss.jpg'])
    await page.getByTestId('review-filter').selectOption('all')

    // Enter opens the cutout beside its original; Escape goes back to the grid.
    await page.getByTestId('review-grid').focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => page.getByTestId('cutout-viewer').locator('h2').textContent()).toBe('b-cup.jpg')
    await expect.poll(() => page.getByTestId('cutout-viewer').locator('img').count()).toBe(2)
    await page.keyboard.press('ArrowRight')
    await expect.poll(() => page.getByTestId('cutout-viewer').locator('h2').textContent()).toBe('c-moss.jpg')
    await page.keyboard.press('Escape')
    await expect.poll(() => page.getByTestId('cutout-viewer').count()).toBe(0)

    await page.getByRole('button', { name: 'Black' }).click()
    await page.mouse.move(600, 600)
    await saveScreenshot(page, 'review-grid.png')

    // R redoes the marked cutouts: with ISNet medium (the other model), keeping both files.
    const cupBefore = await sha256(path.join(photos, 'b-cup-cutout.png'))
    await page.getByTestId('review-grid').focus()
    await page.keyboard.press('r')
    const dialog = page.getByTestId('redo-dialog')
    await expect.poll(() => dialog.locator('h2').textContent()).toBe('Redo 2 cutouts')
    await expect.poll(() => page.getByTestId('redo-cost').textContent()).toContain('Free')
    expect(await dialog.getByLabel('Model').inputValue()).toBe('isnet-medium')
    await dialog.getByLabel('Keep both').check()
    await dialog.getByRole('button', { name: 'Redo', exact: true }).click()
    await expect.poll(() => page.getByTestId('redo-result').textContent(), { timeout: SLOW }).toContain('Redid 2.')

    for (const name of ['b-cup', 'c-moss']) {
      const item = itemNamed(app, `${name}.jpg`)
      expect(item.outputPath).toBe(path.join(photos, `${name}-cutout (2).png`))
      expect(item.notes).toMatchObject({ model: 'isnet-medium', redoneWith: 'isnet-medium' })
      expect((await sharp(item.outputPath!).metadata()).hasAlpha).toBe(true)
    }
    // Kept both: the first cutout is still there, unchanged; the moss is still "no subject".
    expect(await sha256(path.join(photos, 'b-cup-cutout.png'))).toBe(cupBefore)
    expect(itemNamed(app, 'c-moss.jpg').flags).toEqual(['no-subject'])
    expect(itemNamed(app, 'a-cat.jpg').notes?.model).toBe('isnet-small')
    // The marks are cleared after a redo.
    await expect.poll(async () => (await tiles(page)).filter((tile) => tile.marked).length).toBe(0)

    // Replacing: redo the cat (under the cursor, nothing marked) with ISNet small over its cutout.
    await page.locator('[data-testid=review-tile]', { hasText: 'a-cat.jpg' }).click()
    await page.keyboard.press('r')
    await expect.poll(() => dialog.locator('h2').textContent()).toBe('Redo 1 cutouts')
    await dialog.getByLabel('Model').selectOption('isnet-small')
    await expect.poll(() => page.getByTestId('redo-cost').textContent()).toContain('Free')
    await dialog.getByRole('button', { name: 'Redo', exact: true }).click()
    await expect.poll(() => itemNamed(app!, 'a-cat.jpg').notes?.redoneWith, { timeout: SLOW }).toBe('isnet-small')
    expect(itemNamed(app, 'a-cat.jpg').outputPath).toBe(path.join(photos, 'a-cat-cutout.png'))

    await page.emulateMedia({ colorScheme: 'dark' })
    await page.getByRole('button', { name: 'Settings', exact: true }).click()
    await page.getByLabel('Theme').selectOption('dark')
    await page.getByRole('button', { name: 'Review', exact: true }).click()
    await page.getByRole('button', { name: 'Checkerboard' }).click()
    await page.mouse.move(600, 600)
    await saveScreenshot(page, 'review-grid-dark.png')
    expect(ui.problems).toEqual([])
  })

  it('erases and restores with the mouse, saves at full resolution, undoes to the earlier files and reopens with the strokes', async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'koutu-ui-touchup-'))
    const photos = path.join(workDir, 'Cups')
    // Larger than the editor's 1600 px preview, so the saved file is not the preview stretched.
    const input = await writePhoto(photos, 'cup.jpg', 'coffee', { megapixels: 3 })
    app = await createTestApp({ settings: { localModel: 'isnet-small' } })
    ui = await openUi({ table: app.table, droppedFilePaths: { Cups: photos }, viewport: { width: 1280, height: 860 } })
    connectUi(app, ui)
    const { page } = ui
    await runBatch(page, app, 'Cups', 1)
    const output = path.join(photos, 'cup-cutout.png')
    const engineBytes = await fs.readFile(output)
    const before = await alphaOf(output)
    const originalRgb = await sharp(input).rotate().removeAlpha().raw().toBuffer()

    await page.getByRole('button', { name: 'Review', exact: true }).click()
    await page.getByTestId('review-tile').first().click()
    await page.keyboard.press('e')
    const editor = page.getByTestId('touchup-editor')
    await expect.poll(() => editor.getAttribute('data-ready'), { timeout: 60_000 }).toBe('true')
    await editor.getByTestId('brush-size').fill('140')
    await editor.getByTestId('brush-softness').fill('0')
    const canvas = editor.getByTestId('touchup-canvas')
    const box = (await canvas.boundingBox())!
    const { width, height } = before
    const toPhoto = (sx: number, sy: number) => ({ x: ((sx - box.x) / box.width) * width, y: ((sy - box.y) / box.height) * height })
    const draw = async (from: [number, number], to: [number, number]): Promise<void> => {
      await page.mouse.move(box.x + from[0] * box.width, box.y + from[1] * box.height)
      await page.mouse.down()
      await page.mouse.move(box.x + to[0] * box.width, box.y + to[1] * box.height, { steps: 12 })
      await page.mouse.up()
    }
    // Erase across the middle of the cup; restore a strip of the table in the top left corner.
    const erase = { from: [0.4, 0.5] as [number, number], to: [0.6, 0.5] as [number, number] }
    const restore = { from: [0.06, 0.08] as [number, number], to: [0.3, 0.08] as [number, number] }
    await draw(erase.from, erase.to)
    await expect.poll(() => editor.getByTestId('stroke-count').textContent()).toBe('1 strokes')
    await editor.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => editor.getByTestId('editor-saved').count(), { timeout: 60_000 }).toBe(1)
    const afterErase = await fs.readFile(output)
    await editor.getByRole('button', { name: 'Restore' }).click()
    await draw(restore.from, restore.to)
    await expect.poll(() => editor.getByTestId('stroke-count').textContent()).toBe('2 strokes')
    await saveScreenshot(page, 'touchup-editor.png')
    await page.keyboard.press('Control+s')
    await expect.poll(async () => (await fs.readFile(output)).equals(afterErase), { timeout: 60_000 }).toBe(false)
    await expect.poll(() => editor.getByRole('button', { name: 'Save' }).isEnabled()).toBe(true)
    const afterBoth = await fs.readFile(output)

    // At full resolution: alpha changed inside the strokes, and nowhere else.
    const saved = await alphaOf(output)
    expect([saved.width, saved.height]).toEqual([width, height])
    const radius = (140 / 2) * 1
    const e0 = toPhoto(box.x + erase.from[0] * box.width, box.y + erase.from[1] * box.height)
    const e1 = toPhoto(box.x + erase.to[0] * box.width, box.y + erase.to[1] * box.height)
    const r0 = toPhoto(box.x + restore.from[0] * box.width, box.y + restore.from[1] * box.height)
    const r1 = toPhoto(box.x + restore.to[0] * box.width, box.y + restore.to[1] * box.height)
    let erasedChanged = 0
    let restoredChanged = 0
    let restoredColourError = 0
    let restoredCore = 0
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x
        const de = segmentDistance(x + 0.5, y + 0.5, e0, e1)
        const dr = segmentDistance(x + 0.5, y + 0.5, r0, r1)
        if (de < radius - 2) {
          expect(saved.alpha[i]).toBe(0)
          if (before.alpha[i]! > 0) erasedChanged++
        } else if (dr < radius - 2) {
          expect(saved.alpha[i]).toBe(255)
          if (before.alpha[i]! < 255) restoredChanged++
          if (before.alpha[i] === 0) {
            restoredCore++
            for (let c = 0; c < 3; c++) restoredColourError += Math.abs(saved.rgb[i * 3 + c]! - originalRgb[i * 3 + c]!)
          }
        } else if (de > radius + 2 && dr > radius + 2) {
          if (saved.alpha[i] !== before.alpha[i]) throw new Error(`alpha changed outside the strokes at ${x},${y}`)
        }
      }
    }
    // The strokes did real work: the cup was opaque there, the table transparent.
    expect(erasedChanged).toBeGreaterThan(radius * radius)
    expect(restoredChanged).toBeGreaterThan(radius * radius)
    // Restored pixels take the original photo's colours.
    expect(restoredColourError / Math.max(1, restoredCore * 3)).toBeLessThan(2)
    // The original is untouched.
    expect((await sharp(input).metadata()).hasAlpha).toBe(false)

    // Undo, save: the file is the one saved after the erase, byte for byte; undo again: the engine's.
    await page.keyboard.press('Control+z')
    await expect.poll(() => editor.getByTestId('stroke-count').textContent()).toBe('1 strokes')
    await editor.getByRole('button', { name: 'Save' }).click()
    await expect.poll(async () => (await fs.readFile(output)).equals(afterErase), { timeout: 60_000 }).toBe(true)
    await page.keyboard.press('Control+z')
    await editor.getByRole('button', { name: 'Save' }).click()
    await expect.poll(async () => (await fs.readFile(output)).equals(engineBytes), { timeout: 60_000 }).toBe(true)
    await expect.poll(() => itemNamed(app!, 'cup.jpg').touchedUp).toBeUndefined()
    // Redo both strokes, save: the two-stroke file again.
    await page.keyboard.press('Control+Shift+z')
    await page.keyboard.press('Control+Shift+z')
    await expect.poll(() => editor.getByTestId('stroke-count').textContent()).toBe('2 strokes')
    await editor.getByRole('button', { name: 'Save' }).click()
    await expect.poll(async () => (await fs.readFile(output)).equals(afterBoth), { timeout: 60_000 }).toBe(true)
    await expect.poll(() => itemNamed(app!, 'cup.jpg').touchedUp).toBe(true)

    // Close and reopen: the strokes are back, and the preview shows them.
    await editor.getByRole('button', { name: 'Close', exact: true }).click()
    await expect.poll(() => page.getByTestId('touchup-editor').count()).toBe(0)
    await expect.poll(() => page.getByTestId('review-tile').first().getByTestId('touched-up-badge').count()).toBe(1)
    await page.getByTestId('review-grid').focus()
    await page.keyboard.press('e')
    await expect.poll(() => page.getByTestId('touchup-editor').getAttribute('data-ready'), { timeout: 60_000 }).toBe('true')
    await expect.poll(() => page.getByTestId('stroke-count').textContent()).toBe('2 strokes')
    const previewAlpha = await page.getByTestId('touchup-canvas').evaluate((node, points) => {
      const element = node as HTMLCanvasElement
      const context = element.getContext('2d')!
      return points.map(([fx, fy]) => context.getImageData(Math.floor(fx! * element.width), Math.floor(fy! * element.height), 1, 1).data[3])
    }, [[0.5, 0.5], [0.18, 0.08]])
    expect(previewAlpha).toEqual([0, 255])
    // Before shows the engine's cutout (the cup is whole again); zoom keys scale the view.
    const reopened = page.getByTestId('touchup-editor')
    await reopened.getByRole('button', { name: 'Before' }).click()
    const beforeAlpha = await page.getByTestId('touchup-canvas').evaluate((node) => {
      const element = node as HTMLCanvasElement
      return element.getContext('2d')!.getImageData(Math.floor(element.width / 2), Math.floor(element.height / 2), 1, 1).data[3]
    })
    expect(beforeAlpha).toBe(255)
    await reopened.getByRole('button', { name: 'After' }).click()
    await page.keyboard.press('+')
    await expect.poll(() => reopened.getByTestId('editor-zoom').textContent()).toBe('125%')
    await page.keyboard.press('0')
    await expect.poll(() => reopened.getByTestId('editor-zoom').textContent()).toBe('100%')
    await page.getByTestId('touchup-editor').getByRole('button', { name: 'Close', exact: true }).click()

    // The queue row and the report say "touched up".
    await page.getByRole('button', { name: 'Queue', exact: true }).click()
    await expect.poll(() => page.getByTestId('queue-row').first().getByTestId('touched-up-badge').count()).toBe(1)
    await page.getByRole('button', { name: 'Reports', exact: true }).click()
    await page.getByTestId('report-flagged').locator('summary').click()
    await expect.poll(() => page.getByTestId('report-flagged').getByTestId('touched-up-badge').count()).toBe(1)

    // Redoing the edited photo asks first: nothing runs until the edits are given up knowingly.
    await page.getByRole('button', { name: 'Review', exact: true }).click()
    await page.getByTestId('review-tile').first().click()
    await page.keyboard.press('r')
    const dialog = page.getByTestId('redo-dialog')
    await expect.poll(() => page.getByTestId('redo-edited').textContent()).toContain('touched up by hand')
    expect(await dialog.getByRole('button', { name: 'Throw the edits away and redo' }).isDisabled()).toBe(true)
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    expect((await fs.readFile(output)).equals(afterBoth)).toBe(true)
    // Main refuses too, whatever the renderer sends.
    const refused = await app.services.redo.redo([itemNamed(app, 'cup.jpg').id], { engine: 'local', output: 'replace', discardEdits: false }).catch((error: { code: string }) => error.code)
    expect(refused).toBe('review.edits-would-be-lost')
    expect(ui.problems).toEqual([])
  })

  it('speaks Chinese in the grid and the editor, in the dark theme', async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'koutu-ui-review-zh-'))
    const photos = path.join(workDir, '照片')
    await writePhoto(photos, '杯子.jpg', 'coffee', { megapixels: 0.6 })
    await writeTexture(photos, '苔藓.jpg', 'grass', 0.4)
    app = await createTestApp({ appInfo: { systemLocale: 'zh-CN' }, settings: { localModel: 'isnet-small', theme: 'dark' } })
    ui = await openUi({ table: app.table, droppedFilePaths: { 照片: photos }, locale: 'zh-CN', colorScheme: 'dark' })
    connectUi(app, ui)
    const { page } = ui
    await page.getByTestId('drop-zone').waitFor()
    await dropOnWindow(page, ['照片'])
    await expect.poll(() => page.getByTestId('queue-row').count()).toBe(2)
    await page.getByRole('button', { name: '开始', exact: true }).click()
    await expect.poll(() => page.getByTestId('progress-summary').getAttribute('data-state'), { timeout: SLOW }).toBe('finished')
    await page.getByRole('button', { name: '检查', exact: true }).click()
    await expect.poll(() => page.locator('#review-title').textContent()).toBe('检查')
    await expect.poll(() => page.getByTestId('flag-badge').textContent()).toBe('未找到主体')
    await page.locator('[data-testid=review-tile]', { hasText: '杯子.jpg' }).click()
    await page.keyboard.press('e')
    const editor = page.getByTestId('touchup-editor')
    await expect.poll(() => editor.getAttribute('data-ready'), { timeout: 60_000 }).toBe('true')
    expect(await editor.locator('#editor-title').textContent()).toBe('修饰 杯子.jpg')
    await editor.getByRole('button', { name: '恢复', exact: true }).click()
    await editor.getByText('并排显示原图').click()
    const box = (await editor.getByTestId('touchup-canvas').boundingBox())!
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.1)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.15, { steps: 8 })
    await page.mouse.up()
    await expect.poll(() => editor.getByTestId('stroke-count').textContent()).toBe('1 笔')
    await saveScreenshot(page, 'touchup-editor-zh-dark.png')
    // At least 50 steps of undo and redo: 59 more dabs, all undone, all redone.
    for (let i = 0; i < 59; i += 1) await page.mouse.click(box.x + box.width * (0.05 + (i % 30) * 0.03), box.y + box.height * (i < 30 ? 0.85 : 0.92))
    await expect.poll(() => editor.getByTestId('stroke-count').textContent()).toBe('60 笔')
    for (let i = 0; i < 60; i += 1) await page.keyboard.press('Control+z')
    await expect.poll(() => editor.getByTestId('stroke-count').textContent()).toBe('0 笔')
    for (let i = 0; i < 60; i += 1) await page.keyboard.press('Control+Shift+z')
    await expect.poll(() => editor.getByTestId('stroke-count').textContent()).toBe('60 笔')
    expect(await editor.getByRole('button', { name: '重做', exact: true }).isDisabled()).toBe(true)
    expect(ui.problems).toEqual([])
  })

  it('keeps a 10,000-cutout grid to a few dozen tiles in the page, and the keyboard reaches the end', async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'koutu-ui-review-10k-'))
    const folder = path.join(workDir, 'many')
    await fs.mkdir(folder)
    const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#d0a060' } }).png().toBuffer()
    // Every original is the same 8x8 photo, so every cutout is the same: made once here rather
    // than decoded again 10,000 times (that was three quarters of this test's time).
    const cutout = { png: await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 208, g: 160, b: 96, alpha: 0.6 } } }).png().toBuffer(), width: 8, height: 8 }
    let finished = false
    await Promise.all(Array.from({ length: 10_000 }, (_, i) => fs.writeFile(path.join(folder, `img-${String(i).padStart(5, '0')}.png`), tiny)))
    // A quick engine: the test engine (no model) with its one cutout, every 100th file flagged.
    app = await createTestApp({
      settings: { engine: 'aipic', remoteConcurrency: 8 },
      // The batch is free; a redo with the same (aipic) engine then reports what it costs.
      createRemoteEngine: () =>
        createTestEngine({ kind: 'aipic', concurrency: 8, fixedOutput: cutout, flags: (file) => (/00\.png$/.test(file) ? ['uncertain'] : []), cost: finished ? { needed: 0, available: 50 } : null }),
    })
    ui = await openUi({ table: app.table, droppedFilePaths: { many: folder } })
    connectUi(app, ui)
    const { page } = ui
    await page.getByTestId('drop-zone').waitFor()
    await dropOnWindow(page, ['many'])
    await expect.poll(() => page.getByTestId('progress-counts').textContent(), { timeout: 60_000 }).toContain('10,000')
    await page.getByRole('button', { name: 'Start', exact: true }).click()
    await expect.poll(() => page.getByTestId('progress-summary').getAttribute('data-state'), { timeout: SLOW }).toBe('finished')
    finished = true

    await page.getByRole('button', { name: 'Review', exact: true }).click()
    await expect.poll(() => page.getByTestId('review-tile').count()).toBeGreaterThan(5)
    expect(await page.getByTestId('review-tile').count()).toBeLessThan(120)
    await page.getByTestId('review-grid').focus()
    // Down 40 rows: the cursor scrolls into view.
    const started = Date.now()
    for (let i = 0; i < 40; i += 1) await page.keyboard.press('ArrowDown')
    await expect.poll(async () => (await tiles(page)).some((tile) => tile.current)).toBe(true)
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(await page.getByTestId('review-filter').locator('option[value=flagged]').textContent()).toBe('Flagged (100)')
    await page.getByTestId('review-filter').selectOption('flagged')
    await expect.poll(async () => (await tiles(page))[0]?.name).toBe('img-00000.png')
    expect((await tiles(page)).map((tile) => tile.name)).not.toContain('img-00001.png')
    // Mark three flagged cutouts and ask to redo them with aipic: the cost comes first.
    await page.getByTestId('review-grid').focus()
    for (let i = 0; i < 3; i += 1) {
      await page.keyboard.press('Space')
      await page.keyboard.press('ArrowRight')
    }
    await page.keyboard.press('r')
    const dialog = page.getByTestId('redo-dialog')
    await dialog.getByLabel('Engine').selectOption('aipic')
    await expect.poll(() => page.getByTestId('redo-cost').textContent()).toContain('This uses 3 aipic credits (50 left).')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await expect.poll(() => dialog.count()).toBe(0)
    await page.getByTestId('review-filter').selectOption('all')
    // A new filter starts at the top of its list.
    await expect.poll(async () => (await tiles(page))[0]?.name).toBe('img-00000.png')
    await page.waitForTimeout(300)
    await page.locator('.review-list').evaluate((list) => list.scrollTo({ top: list.scrollHeight }))
    await expect.poll(() => page.getByText('img-09999.png').count()).toBe(1)
    expect(await page.getByTestId('review-tile').count()).toBeLessThan(120)
    expect(ui.problems).toEqual([])
  })
})
