/// <reference lib="dom" />
/**
 * The app as the farm's console, in Chromium over the real handler table, against a real Redis
 * that wants a password: Settings → Farm saves the address and keeps the password out of the
 * settings file (in the secret vault), a wrong password is explained, folders dropped on the
 * Farm view become jobs, and the view follows a real worker process live: counts, the worker,
 * its pace, a failure with its reason, and "Retry failed".
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app-services'
import { openUi, type UiHarness } from '../helpers/ui-harness'
import { writeImage } from '../main/batch/helpers/fixtures'
import { startRedis, type RedisServer } from '../farm/helpers/redis-server'
import { startWorkerProcess, stopWorker, type WorkerProcess } from '../farm/helpers/workers'
import { closeAfterEachUiTest, connectUi, dropOnWindow, saveScreenshot } from './ui-helpers'

const PASSWORD = 'farm-secret-42'

describe('the Farm view', { timeout: 240_000 }, () => {
  let app: TestApp | undefined
  let ui: UiHarness | undefined
  let workDir: string | undefined
  let redis: RedisServer | undefined
  let worker: WorkerProcess | undefined
  closeAfterEachUiTest(
    () => ({ app, ui, workDir }),
    () => (app = ui = workDir = undefined),
  )

  it('connects with an encrypted password, sends dropped folders to the farm and follows a worker live', async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'koutu-ui-farm-'))
    redis = await startRedis({ password: PASSWORD })
    const studio = path.join(workDir, 'Studio')
    for (const name of ['shoe.jpg', 'bag.png', 'hat.jpg']) await writeImage(path.join(studio, name), { width: 60, height: 40 })
    await fs.writeFile(path.join(studio, 'broken.jpg'), 'not a photo')
    try {
      app = await createTestApp({ userDataDir: path.join(workDir, 'userdata') })
      ui = await openUi({ table: app.table, droppedFilePaths: { Studio: studio } })
      connectUi(app, ui)
      const { page } = ui

      await page.getByRole('button', { name: 'Farm' }).click()
      await expect.poll(() => page.getByText('No farm is set up').count()).toBe(1)
      await page.getByRole('button', { name: 'Open Settings' }).click()
      const farmSettings = page.getByTestId('farm-settings')
      await farmSettings.getByLabel('Redis address').fill(redis.url)
      await farmSettings.getByLabel('Redis password').fill('wrong-password')
      await farmSettings.getByRole('button', { name: 'Save' }).click()
      await expect.poll(() => app!.settingsOnDisk().farmRedisUrl).toBe(`${redis!.url}`)
      await page.getByRole('button', { name: 'Farm' }).click()
      await expect.poll(() => page.getByTestId('farm-unreachable').textContent(), { timeout: 20_000 }).toContain('cannot be reached')

      // The right password, this time inside the URL: it is moved out of it into the vault.
      await page.getByRole('button', { name: 'Settings' }).click()
      const withPassword = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`
      await page.getByTestId('farm-settings').getByLabel('Redis address').fill(withPassword)
      await page.getByTestId('farm-settings').getByRole('button', { name: 'Save' }).click()
      await expect.poll(() => page.getByTestId('farm-settings').textContent()).toContain('A password is stored.')
      expect(app.settingsOnDisk().farmRedisUrl).toBe(`redis://127.0.0.1:${redis.port}`)
      expect(await fs.readFile(app.layout.settingsFile, 'utf8')).not.toContain(PASSWORD)
      expect(await page.getByTestId('farm-settings').getByLabel('Redis password').inputValue()).toBe('')

      await page.getByRole('button', { name: 'Farm' }).click()
      await page.getByTestId('farm-counts').waitFor()
      expect(await page.getByTestId('farm-unreachable').count()).toBe(0)
      // Debian's redis-server started by the test keeps nothing on disk: the view says so.
      await expect.poll(() => page.getByTestId('farm-warning').allTextContents()).toEqual([expect.stringContaining('keeps nothing on disk')])

      await dropOnWindow(page, ['Studio'])
      await expect.poll(() => page.getByTestId('farm-sent').textContent()).toContain('4 new jobs')
      expect(app.events.some((event) => event.name === 'queueItemsAdded')).toBe(false)
      await expect.poll(() => countOf(page, 'waiting'), { timeout: 10_000 }).toBe('4')

      worker = startWorkerProcess({
        redisUrl: withPassword,
        queue: 'farm',
        concurrency: 1,
        lockMs: 5000,
        heartbeatMs: 500,
        engine: { kind: 'sharp', delayMs: 400 },
      })
      await expect.poll(() => page.getByTestId('farm-worker').count(), { timeout: 30_000 }).toBe(1)
      await expect.poll(() => countOf(page, 'done'), { timeout: 30_000 }).toBe('3')
      await expect.poll(() => countOf(page, 'failed')).toBe('1')
      await expect.poll(() => page.getByTestId('farm-failure').textContent()).toMatch(/broken\.jpg.*(damaged|cannot read)/)
      await expect.poll(() => page.getByTestId('farm-worker').textContent()).toMatch(/3 done · 1 failed/)
      expect(await page.getByTestId('farm-pace').textContent()).toMatch(/photos a minute/)
      for (const name of ['shoe', 'bag', 'hat']) await fs.access(path.join(studio, `${name}-cutout.png`))
      await saveScreenshot(page, 'farm.png')
      await page.emulateMedia({ colorScheme: 'dark' })
      await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark')
      await saveScreenshot(page, 'farm-dark.png')
      await page.emulateMedia({ colorScheme: 'light' })

      // Repaired on the share, then retried from the view.
      await writeImage(path.join(studio, 'broken.jpg'))
      await page.getByRole('button', { name: 'Retry failed' }).click()
      await expect.poll(() => page.getByRole('status').allTextContents()).toContain('1 jobs back in the queue.')
      await expect.poll(() => countOf(page, 'done'), { timeout: 30_000 }).toBe('4')
      await expect.poll(() => countOf(page, 'failed')).toBe('0')
      await fs.access(path.join(studio, 'broken-cutout.png'))
      expect(ui.problems).toEqual([])
    } finally {
      if (worker) await stopWorker(worker, 5000)
      await redis.stop()
    }
  })
})

function countOf(page: Page, key: string): Promise<string | null> {
  return page.locator(`[data-count=${key}] .value`).textContent()
}
