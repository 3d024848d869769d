/// <reference lib="dom" />
/**
 * The questions the main screen asks: the cost confirmation of a batch that spends credits, and
 * the resume prompt after a batch was interrupted by a quit, followed by its report.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app-services'
import { writePhoto } from '../helpers/images'
import { openUi, type UiHarness } from '../helpers/ui-harness'
import { createTestEngine } from '../main/batch/helpers/sharp-test-engine'
import { closeAfterEachUiTest, connectUi, dropOnWindow, queueRows } from './ui-helpers'

describe('batch questions', { timeout: 300_000 }, () => {
  let app: TestApp | undefined
  let ui: UiHarness | undefined
  let workDir: string | undefined
  closeAfterEachUiTest(
    () => ({ app, ui, workDir }),
    () => (app = ui = workDir = undefined),
  )

  it('asks before spending more credits than are left, and does nothing when declined', async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'koutu-ui-cost-'))
    const photos = path.join(workDir, 'photos')
    await writePhoto(photos, 'a.jpg', 'chelsea', { megapixels: 0.05 })
    await writePhoto(photos, 'b.jpg', 'coffee', { megapixels: 0.05 })
    await writePhoto(photos, 'c.jpg', 'rocket', { megapixels: 0.05 })
    // A credit-spending engine's estimate drives the question; the engine itself is a test engine.
    app = await createTestApp({
      // Nothing may leave the machine: aipic itself is pointed at a closed loopback port.
      settings: { engine: 'aipic', apiBaseUrl: 'http://127.0.0.1:9' },
      createRemoteEngine: () => createTestEngine({ kind: 'aipic', cost: { needed: 3, available: 2 } }),
    })
    ui = await openUi({ table: app.table, droppedFilePaths: { photos } })
    connectUi(app, ui)
    const { page } = ui
    await page.getByTestId('drop-zone').waitFor()
    await dropOnWindow(page, ['photos'])
    await expect.poll(() => page.getByTestId('queue-row').count()).toBe(3)
    await expect.poll(() => page.getByTestId('cost-line').textContent()).toContain('Needs 3 credits')

    await page.getByRole('button', { name: 'Start', exact: true }).click()
    const dialog = page.getByTestId('cost-dialog')
    await expect.poll(() => dialog.isVisible()).toBe(true)
    expect(await dialog.textContent()).toContain('needs 3 credits but only 2 are left')
    await page.getByRole('button', { name: 'Not now' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('you chose not to spend the credits')
    expect(await dialog.isVisible()).toBe(false)
    expect(await page.locator('[data-testid=queue-row][data-status=queued]').count()).toBe(3)

    await page.getByRole('button', { name: 'Start', exact: true }).click()
    await expect.poll(() => dialog.isVisible()).toBe(true)
    await page.getByRole('button', { name: 'Spend 3 credits' }).click()
    await expect.poll(() => page.locator('[data-testid=queue-row][data-status=done]').count(), { timeout: 30_000 }).toBe(3)
    expect(ui.problems).toEqual([])
  })

  it('offers to resume a batch interrupted by a quit, finishes it, and reports it', async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'koutu-ui-resume-'))
    const userDataDir = path.join(workDir, 'userdata')
    const photos = path.join(workDir, 'photos')
    await writePhoto(photos, 'cat.jpg', 'chelsea', { megapixels: 0.1 })
    await writePhoto(photos, 'cup.jpg', 'coffee', { megapixels: 0.1 })

    // The app quits with files still queued: the journal has no end.
    const before = await createTestApp({ userDataDir, settings: { localModel: 'isnet-small' } })
    await before.services.queue.addPaths([photos])
    await before.cleanup()

    app = await createTestApp({ userDataDir })
    ui = await openUi({ table: app.table })
    connectUi(app, ui)
    const { page } = ui
    await expect.poll(() => page.getByTestId('interrupted').textContent()).toContain('2 of 2 files left')
    await page.getByRole('button', { name: 'Resume it' }).click()
    await expect
      .poll(() => page.getByTestId('progress-summary').getAttribute('data-state'), { timeout: 180_000 })
      .toBe('finished')
    expect(await queueRows(page)).toMatchObject([
      { name: 'cat.jpg', status: 'done' },
      { name: 'cup.jpg', status: 'done' },
    ])
    expect(await page.getByTestId('interrupted').count()).toBe(0)
    await fs.access(path.join(photos, 'cat-cutout.png'))

    await page.getByRole('button', { name: 'Reports' }).click()
    await expect.poll(() => page.getByTestId('report').count()).toBe(1)
    expect(await page.getByTestId('report').textContent()).toContain('2 done · 0 skipped · 0 failed of 2')
    expect(await page.getByTestId('report').textContent()).toContain('Finished')
    expect(ui.problems).toEqual([])
  })
})
