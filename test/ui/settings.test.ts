/// <reference lib="dom" />
/**
 * The settings screen and the language: every change is saved at once (to the settings file),
 * validated with the problem shown at the field, survives a reload and a restart; the output
 * folder comes from main's dialog; zh locales get Simplified Chinese.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app-services'
import { openUi, type UiHarness } from '../helpers/ui-harness'
import { closeAfterEachUiTest, connectUi, saveScreenshot } from './ui-helpers'

describe('settings and language', () => {
  let app: TestApp | undefined
  let ui: UiHarness | undefined
  let workDir: string | undefined
  closeAfterEachUiTest(
    () => ({ app, ui, workDir }),
    () => (app = ui = workDir = undefined),
  )

  it('saves each setting at once, explains a refused value, and keeps them across a reload and a restart', async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'koutu-ui-settings-'))
    const userDataDir = path.join(workDir, 'userdata')
    const outputRoot = path.join(workDir, 'cutouts')
    app = await createTestApp({ userDataDir })
    ui = await openUi({ table: app.table })
    connectUi(app, ui)
    const { page } = ui
    await page.getByRole('button', { name: 'Settings' }).click()

    const suffix = page.getByLabel('File name suffix')
    await suffix.fill('bad/suffix')
    await suffix.press('Enter')
    await expect.poll(() => page.getByTestId('setting-error').textContent()).toContain('not saved')
    expect(app.settingsOnDisk().outputSuffix).toBeUndefined()
    await suffix.fill('-nobg')
    await suffix.press('Enter')
    await expect.poll(() => app!.settingsOnDisk().outputSuffix).toBe('-nobg')
    expect(await page.getByTestId('setting-error').count()).toBe(0)

    await page.getByLabel('Format').selectOption('webp')
    await page.getByLabel('When the cutout already exists').selectOption('keep-both')
    await page.getByLabel('Include subfolders').uncheck()
    await page.getByLabel('Background', { exact: true }).selectOption('color')
    await page.getByLabel('Clean edges').uncheck()
    await page.getByLabel('Save the mask only').check()
    await page.getByLabel('Crop to the subject').check()
    await page.getByLabel('Margin in pixels').fill('40')
    await page.getByLabel('Margin in pixels').press('Enter')
    await expect.poll(() => app!.settingsOnDisk()).toMatchObject({ decontaminateEdges: false, maskOnly: true, cropMargin: 40 })
    app.answerNextDialog('folders', [outputRoot])
    await page.getByRole('button', { name: 'Choose folder…' }).click()
    await expect.poll(() => app!.settingsOnDisk().outputRoot).toBe(outputRoot)
    await page.getByLabel('Engine', { exact: true }).selectOption('aipic')
    await page.getByLabel('Allow sending photos to Uguu').check()
    await expect
      .poll(() => app!.settingsOnDisk())
      .toMatchObject({ outputFormat: 'webp', onConflict: 'keep-both', recursive: false, backgroundColor: '#ffffff', engine: 'aipic', uploadConsent: ['uguu'] })
    // The own bucket: a wrong endpoint is refused at the field; a complete one is saved.
    await page.getByLabel('Endpoint').fill('ftp://bucket.example')
    await page.getByLabel('Region').fill('us-east-1')
    await page.getByLabel('Bucket', { exact: true }).fill('photos')
    await page.getByLabel('Public link template').fill('https://cdn.example/{key}')
    await page.getByRole('button', { name: 'Save bucket' }).click()
    await expect.poll(() => page.getByTestId('setting-error').textContent()).toContain('http(s) URL')
    await page.getByLabel('Endpoint').fill('https://s3.example')
    await page.getByRole('button', { name: 'Save bucket' }).click()
    await expect
      .poll(() => app!.settingsOnDisk().s3)
      .toEqual({ endpoint: 'https://s3.example', region: 'us-east-1', bucket: 'photos', prefix: '', publicUrlTemplate: 'https://cdn.example/{key}' })
    expect(await page.getByTestId('setting-error').count()).toBe(0)

    await page.locator('.page').evaluate((element) => element.scrollTo({ top: 0 }))
    await saveScreenshot(page, 'settings.png')

    await ui.reload()
    await page.getByRole('button', { name: 'Settings' }).click()
    expect(await page.getByLabel('File name suffix').inputValue()).toBe('-nobg')
    expect(await page.getByLabel('Format').inputValue()).toBe('webp')
    expect(await page.getByLabel('Include subfolders').isChecked()).toBe(false)
    await expect.poll(() => page.getByText(outputRoot).count()).toBe(1)

    // A restart reads the same file.
    await ui.close()
    await app.cleanup()
    app = await createTestApp({ userDataDir })
    ui = await openUi({ table: app.table })
    await ui.page.getByRole('button', { name: 'Settings' }).click()
    expect(await ui.page.getByLabel('File name suffix').inputValue()).toBe('-nobg')
    expect(await ui.page.getByLabel('Engine', { exact: true }).inputValue()).toBe('aipic')
    expect(ui.problems).toEqual([])
  })

  it('speaks Simplified Chinese on a zh-CN system and switches language on request', async () => {
    app = await createTestApp({ appInfo: { systemLocale: 'zh-CN' } })
    ui = await openUi({ table: app.table, locale: 'zh-CN' })
    connectUi(app, ui)
    const { page } = ui
    await expect.poll(() => page.getByText('把文件夹或照片拖到这里').count()).toBe(1)
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN')
    expect(await page.getByRole('button', { name: '添加文件夹…' }).count()).toBeGreaterThan(0)
    await saveScreenshot(page, 'main-empty-zh.png')

    await page.getByRole('button', { name: '设置' }).click()
    await expect.poll(() => page.getByRole('heading', { name: '设置' }).count()).toBe(1)
    await page.getByLabel('主题').selectOption('dark')
    await saveScreenshot(page, 'settings-zh-dark.png')
    await page.getByRole('button', { name: '账户' }).click()
    await expect.poll(() => page.getByRole('heading', { name: 'aipic 账户' }).count()).toBe(1)
    await saveScreenshot(page, 'account-zh-dark.png')

    await page.getByRole('button', { name: '设置' }).click()
    await page.getByLabel('语言').selectOption('en')
    await expect.poll(() => page.getByRole('heading', { name: 'Settings' }).count()).toBe(1)
    expect(app.settingsOnDisk().language).toBe('en')
    expect(ui.problems).toEqual([])
  })
})
