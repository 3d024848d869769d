/// <reference lib="dom" />
/**
 * Updates in the window, end to end: the page's bridge calls go to the handler table, the
 * UpdateController and electron-updater's real Linux updater, which talks to a loopback feed.
 * Settings shows the version, channel and last check; "Check now" finds a new version, "Download"
 * fetches and verifies it, and "Restart to update" waits for the batch. A package-manager
 * install links the releases page; a build without an updater says it does not update itself.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/shared/logger'
import { RELEASES_URL, UpdateController } from '../../src/main/updates/update-controller'
import { createTestApp, type TestApp } from '../helpers/app-services'
import { openUi, type UiHarness } from '../helpers/ui-harness'
import { createLoopbackUpdater, startUpdateFeed, type UpdateFeed } from '../helpers/update-feed'
import { closeAfterEachUiTest, connectUi, saveScreenshot } from './ui-helpers'

describe('updates in the window', () => {
  let app: TestApp | undefined
  let ui: UiHarness | undefined
  let workDir: string | undefined
  let controller: UpdateController | undefined
  closeAfterEachUiTest(
    () => ({ app, ui, workDir }),
    () => {
      controller?.stop()
      app = ui = workDir = controller = undefined
    },
  )
  let feed: UpdateFeed
  beforeAll(async () => {
    feed = await startUpdateFeed({ version: '0.1.0', file: Buffer.alloc(0) })
  })
  afterAll(() => feed.close())

  async function openWithUpdates(limit: 'package-manager' | null): Promise<{ installs: Array<[boolean | undefined, boolean | undefined]>; pendingDir: string }> {
    workDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'koutu-ui-updates-'))
    const loopback = createLoopbackUpdater({ feedUrl: feed.url, dir: workDir, version: '0.1.0' })
    controller = new UpdateController({
      updater: loopback.updater,
      currentVersion: '0.1.0',
      limit,
      releasesUrl: RELEASES_URL,
      getMode: () => app?.services.settings.get().updateMode ?? 'ask',
      logger: silentLogger,
      onStatus: (status) => void ui?.emit('updateStatusChanged', status),
      startDelayMs: 60_000,
    })
    app = await createTestApp({ appInfo: { version: '0.1.0' }, settings: { updateMode: 'ask' }, updates: controller })
    const current = controller
    app.handle.settings.onChange(() => current.modeChanged())
    ui = await openUi({ table: app.table })
    connectUi(app, ui)
    return loopback
  }

  it("'ask': Check now finds the new version, Download fetches it, Restart to update waits for the batch", async () => {
    feed.requests.length = 0
    feed.content = { version: '0.2.0', file: randomBytes(600_000), chunk: 32 * 1024, pauseMs: 10 }
    const { installs, pendingDir } = await openWithUpdates(null)
    const page = ui!.page
    await page.getByRole('button', { name: 'Settings' }).click()
    const section = page.getByTestId('update-section')
    await section.scrollIntoViewIfNeeded()
    await expect.poll(() => section.getByTestId('update-version').textContent()).toBe('Version 0.1.0, channel “latest”')
    expect(await section.getByTestId('update-last-check').textContent()).toContain('not yet')
    expect(await page.getByLabel('Install updates').inputValue()).toBe('ask')
    expect(feed.requests).toEqual([])

    await section.getByRole('button', { name: 'Check now' }).click()
    await expect.poll(() => section.getByTestId('update-status').textContent()).toBe('Koutu 0.2.0 is available.')
    expect(await section.getByTestId('update-last-check').textContent()).not.toContain('not yet')
    expect(feed.requests).toEqual(['/latest-linux.yml'])
    expect(await page.getByTestId('update-banner').count()).toBe(0)

    await section.getByRole('button', { name: 'Download 0.2.0' }).click()
    const banner = page.getByTestId('update-banner')
    await expect.poll(() => banner.count(), { timeout: 15_000 }).toBe(1)
    expect(await banner.textContent()).toContain('Koutu 0.2.0 is ready to install.')
    expect(await section.getByTestId('update-status').textContent()).toBe('Koutu 0.2.0 is downloaded and verified.')
    const downloaded = fs.readdirSync(pendingDir).filter((name) => name.endsWith('.AppImage'))
    expect(fs.readFileSync(path.join(pendingDir, downloaded[0]!)).equals(feed.content.file)).toBe(true)

    // A batch starts (index.ts reports every batch state change): the restart must wait.
    controller!.setBatchActive(true)
    await expect.poll(() => banner.textContent()).toContain('A batch is running: restart when it has finished.')
    expect(await banner.getByRole('button', { name: 'Restart to update' }).isDisabled()).toBe(true)
    await saveScreenshot(page, 'updates-ready-batch-light.png')
    expect(installs).toEqual([])

    controller!.setBatchActive(false)
    await expect.poll(() => banner.getByRole('button', { name: 'Restart to update' }).isDisabled()).toBe(false)
    await banner.getByRole('button', { name: 'Restart to update' }).click()
    await expect.poll(() => installs).toEqual([[false, true]])

    await page.getByLabel('Install updates').selectOption('never')
    await expect.poll(() => app!.settingsOnDisk().updateMode).toBe('never')
    await page.getByLabel('Theme').selectOption('dark')
    await saveScreenshot(page, 'updates-ready-dark.png')
    expect(ui!.problems).toEqual([])
  })

  it('a package-manager install gets the news and a link to the releases page, nothing downloaded', async () => {
    feed.requests.length = 0
    feed.content = { version: '0.3.0', file: randomBytes(2000) }
    await openWithUpdates('package-manager')
    const page = ui!.page
    await page.getByRole('button', { name: 'Settings' }).click()
    const section = page.getByTestId('update-section')
    expect(await section.getByTestId('update-limit').textContent()).toContain('Installed from a package')
    await section.getByRole('button', { name: 'Check now' }).click()
    const banner = page.getByTestId('update-banner')
    await expect.poll(() => banner.textContent()).toContain('Koutu 0.3.0 is available.')
    expect(await section.getByRole('button', { name: /^Download/ }).count()).toBe(0)
    await banner.getByRole('button', { name: 'Open the releases page' }).click()
    await expect.poll(() => app!.openedUrls).toEqual([RELEASES_URL])
    expect(feed.requests).toEqual(['/latest-linux.yml'])
  })

  it('a build without an updater says it does not update itself, in English and Chinese', async () => {
    workDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'koutu-ui-updates-'))
    app = await createTestApp({ appInfo: { version: '0.1.0' } })
    ui = await openUi({ table: app.table })
    connectUi(app, ui)
    const page = ui.page
    await page.getByRole('button', { name: 'Settings' }).click()
    const section = page.getByTestId('update-section')
    await expect.poll(() => section.getByTestId('update-limit').textContent()).toBe('This build (development or unpacked) does not update itself.')
    expect(await section.getByRole('button', { name: 'Check now' }).count()).toBe(0)
    await page.getByLabel('Language').selectOption('zh-CN')
    await expect.poll(() => section.getByTestId('update-limit').textContent()).toBe('此版本（开发版或未打包版）不会自行更新。')
    expect(await section.locator('h3').textContent()).toBe('更新')
  })
})
