/// <reference lib="dom" />
import sharp from 'sharp'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app-services'
import { closeUiBrowser, openUi, type UiHarness } from '../helpers/ui-harness'

describe('the renderer over the real handler table', () => {
  let app: TestApp
  let ui: UiHarness
  afterEach(async () => {
    await ui?.close()
    await app?.cleanup()
  })
  afterAll(closeUiBrowser)

  it('shows the app name and version from the main process', async () => {
    app = await createTestApp({ appInfo: { version: '9.8.7' } })
    ui = await openUi({ table: app.table })
    await expect.poll(() => ui.page.getByTestId('app-version').textContent()).toContain('9.8.7')
    expect(ui.calls).toContain('getAppInfo')
    expect(ui.problems).toEqual([])
  })

  it('saves a setting changed in the page to the settings file on disk', async () => {
    app = await createTestApp()
    ui = await openUi({ table: app.table })
    await ui.page.getByRole('button', { name: 'Settings' }).click()
    await ui.page.getByLabel('Theme').selectOption('dark')
    await expect.poll(() => app.settingsOnDisk().theme).toBe('dark')
    await expect.poll(() => ui.page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark')
    expect(ui.problems).toEqual([])
  })

  it('follows the system appearance while the theme setting is "system"', async () => {
    app = await createTestApp()
    ui = await openUi({ table: app.table, colorScheme: 'dark' })
    await expect.poll(() => ui.page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark')
    await ui.page.emulateMedia({ colorScheme: 'light' })
    await expect.poll(() => ui.page.evaluate(() => document.documentElement.dataset.theme)).toBe('light')
    expect(ui.problems).toEqual([])
  })

  it('follows a settings change pushed from main', async () => {
    app = await createTestApp()
    ui = await openUi({ table: app.table })
    await ui.page.getByRole('button', { name: 'Settings' }).click()
    await expect.poll(() => ui.page.getByRole('heading', { name: 'Settings' }).count()).toBe(1)
    await ui.emit('settingsChanged', app.services.settings.set('language', 'zh-CN'))
    await expect.poll(() => ui.page.getByRole('heading', { name: '设置' }).count()).toBe(1)
  })

  it('renders a non-blank screen', async () => {
    app = await createTestApp()
    ui = await openUi({ table: app.table })
    await ui.page.getByTestId('app-version').waitFor()
    const png = await ui.page.screenshot()
    const stats = await sharp(png).stats()
    const spread = Math.max(...stats.channels.slice(0, 3).map((channel) => channel.stdev))
    expect(spread).toBeGreaterThan(5)
  })
})
