/// <reference lib="dom" />
/**
 * The main screen end to end: the built renderer in Chromium over the real handler table, the
 * real batch service and the real local engine (ISNet small in a forked worker), on real photos.
 * Dropping goes through the page's own drop handler and the preload's path lookup (stood in by
 * the harness), exactly as in the app.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app-services'
import { writePhoto } from '../helpers/images'
import { openUi, type UiHarness } from '../helpers/ui-harness'
import { closeAfterEachUiTest, connectUi, dropOnWindow, queueRows, saveScreenshot } from './ui-helpers'

/** The model runs on a shared 2-core machine: waits for files to be processed are generous. */
const SLOW = 180_000

describe('the queue screen', { timeout: 400_000 }, () => {
  let app: TestApp | undefined
  let ui: UiHarness | undefined
  let workDir: string | undefined
  closeAfterEachUiTest(
    () => ({ app, ui, workDir }),
    () => (app = ui = workDir = undefined),
  )

  it('turns a dropped folder into cutouts, lists them, explains a failure and retries it once fixed', async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'koutu-ui-queue-'))
    const photos = path.join(workDir, 'Holiday photos')
    await writePhoto(photos, 'cat.jpg', 'chelsea')
    await writePhoto(photos, 'coffee.jpg', 'coffee')
    const broken = path.join(photos, 'broken.jpg')
    await fs.writeFile(broken, Buffer.from('this is not a JPEG at all'))

    app = await createTestApp({ settings: { localModel: 'isnet-small' } })
    ui = await openUi({ table: app.table, droppedFilePaths: { 'Holiday photos': photos } })
    connectUi(app, ui)
    const { page } = ui

    await page.getByTestId('drop-zone').waitFor()
    await saveScreenshot(page, 'main-empty.png')

    await dropOnWindow(page, ['Holiday photos'])
    await expect.poll(() => page.getByTestId('queue-row').count()).toBe(3)
    expect(ui.calls).toContain('addPaths')

    await page.getByRole('button', { name: 'Start', exact: true }).click()
    await expect.poll(() => page.locator('[data-testid=queue-row][data-status=working]').count(), { timeout: SLOW }).toBeGreaterThan(0)
    await page.locator('[data-testid=queue-row]', { hasText: 'coffee.jpg' }).click()
    await saveScreenshot(page, 'main-running.png')

    await expect
      .poll(() => page.getByTestId('progress-summary').getAttribute('data-state'), { timeout: SLOW })
      .toBe('finished')
    await expect
      .poll(() => queueRows(page))
      .toMatchObject([
        { name: 'broken.jpg', status: 'failed' },
        { name: 'cat.jpg', status: 'done' },
        { name: 'coffee.jpg', status: 'done' },
      ])

    // The outputs are on disk next to the originals, with real transparency, and listed.
    for (const name of ['cat', 'coffee']) {
      const output = path.join(photos, `${name}-cutout.png`)
      const meta = await sharp(output).metadata()
      expect(meta.hasAlpha).toBe(true)
      const alpha = await sharp(output).extractChannel(3).stats()
      expect(alpha.channels[0]!.min).toBeLessThan(20)
      expect(alpha.channels[0]!.max).toBeGreaterThan(128)
      await expect.poll(() => page.getByText(`${name}-cutout.png`).count()).toBe(1)
    }

    // The failure says why, in the row and in the preview.
    const failedRow = page.locator('[data-testid=queue-row][data-status=failed]')
    await expect.poll(() => failedRow.count()).toBe(1)
    await expect.poll(() => failedRow.getByTestId('item-reason').textContent()).toContain('damaged')
    await failedRow.click()
    await expect.poll(() => page.getByTestId('preview-reason').textContent()).toContain('damaged')

    // The preview compares the original with its cutout, and reveals the output in the file manager.
    await page.locator('[data-testid=queue-row]', { hasText: 'cat.jpg' }).click()
    await expect.poll(() => page.getByTestId('preview').locator('img').count()).toBe(2)
    await page.getByRole('button', { name: 'Side by side' }).click()
    await page.getByRole('button', { name: 'Show in folder' }).click()
    await expect.poll(() => app!.shownInFolder).toEqual([path.join(photos, 'cat-cutout.png')])
    await page.getByRole('button', { name: 'Slider' }).click()
    await saveScreenshot(page, 'main-done.png')

    // Fix the cause, retry: the file is processed.
    await writePhoto(photos, 'broken.jpg', 'astronaut')
    await page.getByRole('button', { name: 'Retry failed' }).click()
    await expect
      .poll(() => queueRows(page), { timeout: SLOW })
      .toMatchObject([
        { name: 'broken.jpg', status: 'done' },
        { name: 'cat.jpg', status: 'done' },
        { name: 'coffee.jpg', status: 'done' },
      ])
    expect((await sharp(path.join(photos, 'broken-cutout.png')).metadata()).hasAlpha).toBe(true)

    await page.emulateMedia({ colorScheme: 'dark' })
    await page.getByRole('button', { name: 'Settings' }).click()
    await page.getByLabel('Theme').selectOption('dark')
    await page.getByRole('button', { name: 'Queue' }).click()
    await page.locator('[data-testid=queue-row]', { hasText: 'coffee.jpg' }).click()
    await expect.poll(() => page.getByTestId('preview').locator('img').count()).toBe(2)
    await saveScreenshot(page, 'main-done-dark.png')
    expect(ui.problems).toEqual([])
  })

  it('pauses between files and resumes where it stopped', async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'koutu-ui-pause-'))
    const photos = path.join(workDir, 'photos')
    const names = ['chelsea', 'coffee', 'rocket', 'astronaut'] as const
    for (const name of names) await writePhoto(photos, `${name}.jpg`, name, { megapixels: 0.15 })

    app = await createTestApp({ settings: { localModel: 'isnet-small', localConcurrency: 1 } })
    ui = await openUi({ table: app.table })
    connectUi(app, ui)
    const { page } = ui
    await page.getByTestId('drop-zone').waitFor()

    // "Add folder…" goes through main's own dialog.
    app.answerNextDialog('folders', [photos])
    await page.getByRole('button', { name: 'Add folder…' }).first().click()
    await expect.poll(() => page.getByTestId('queue-row').count()).toBe(4)
    expect(app.dialogsOpened).toEqual(['folders:addFolders'])

    await page.getByRole('button', { name: 'Start', exact: true }).click()
    await expect.poll(() => page.locator('[data-testid=queue-row][data-status=done]').count(), { timeout: SLOW }).toBeGreaterThan(0)
    await page.getByRole('button', { name: 'Pause', exact: true }).click()
    await expect.poll(() => page.getByTestId('progress-summary').getAttribute('data-state')).toBe('paused')
    // The file in flight may finish; after that nothing more is taken while paused.
    await expect.poll(() => page.locator('[data-testid=queue-row][data-status=working]').count(), { timeout: SLOW }).toBe(0)
    const doneWhilePaused = await page.locator('[data-testid=queue-row][data-status=done]').count()
    expect(doneWhilePaused).toBeLessThan(4)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(await page.locator('[data-testid=queue-row][data-status=done]').count()).toBe(doneWhilePaused)
    expect(app.services.batch.progress().state).toBe('paused')

    await page.getByRole('button', { name: 'Resume', exact: true }).click()
    await expect
      .poll(() => page.getByTestId('progress-summary').getAttribute('data-state'), { timeout: SLOW })
      .toBe('finished')
    expect(await queueRows(page)).toMatchObject([...names].sort().map((name) => ({ name: `${name}.jpg`, status: 'done' })))
    for (const name of names) await fs.access(path.join(photos, `${name}-cutout.png`))
    expect(ui.problems).toEqual([])
  })

  it('keeps a 10,000-file queue to a couple of hundred rows in the page', async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'koutu-ui-10k-'))
    const folder = path.join(workDir, 'many')
    await fs.mkdir(folder)
    const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#3366cc' } }).png().toBuffer()
    await Promise.all(Array.from({ length: 10_000 }, (_, i) => fs.writeFile(path.join(folder, `img-${String(i).padStart(5, '0')}.png`), tiny)))

    app = await createTestApp()
    ui = await openUi({ table: app.table, droppedFilePaths: { many: folder } })
    connectUi(app, ui)
    const { page } = ui
    await page.getByTestId('drop-zone').waitFor()
    await dropOnWindow(page, ['many'])
    await expect.poll(() => page.getByTestId('progress-counts').textContent(), { timeout: 60_000 }).toContain('10,000')
    const rows = await page.getByTestId('queue-row').count()
    expect(rows).toBeGreaterThan(5)
    expect(rows).toBeLessThan(200)

    // The keyboard moves the selection; the preview follows.
    await page.locator('[data-testid=queue-row]', { hasText: 'img-00000.png' }).click()
    for (let i = 0; i < 3; i += 1) await page.keyboard.press('ArrowDown')
    await expect.poll(() => page.getByTestId('preview').locator('.name').textContent()).toBe('img-00003.png')
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-item-id'))).toBe('4')

    // Scrolling to the end shows the last file, still with few rows in the page.
    await page.locator('.queue-list').evaluate((list) => list.scrollTo({ top: list.scrollHeight }))
    await expect.poll(() => page.getByText('img-09999.png').count()).toBe(1)
    expect(await page.getByTestId('queue-row').count()).toBeLessThan(200)
    expect(ui.problems).toEqual([])
  })
})
