/// <reference lib="dom" />
/**
 * The device in the UI: the sidebar names what the local engine runs on once a batch started,
 * Settings → Engine → Processing saves Automatic / GPU / CPU, lists this computer's device test
 * verdicts (here WebGPU fails for want of a Vulkan driver: the test process sets none) and "Test
 * again" forgets them. A tiny ONNX model made by the test keeps the batch fast.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/app-services'
import { writePhoto } from '../helpers/images'
import { tinyFp32Model } from '../helpers/tiny-models'
import { openUi, type UiHarness } from '../helpers/ui-harness'
import { closeAfterEachUiTest, connectUi, dropOnWindow, saveScreenshot } from './ui-helpers'

describe('the device in the UI', { timeout: 300_000 }, () => {
  let app: TestApp | undefined
  let ui: UiHarness | undefined
  let workDir: string | undefined
  closeAfterEachUiTest(
    () => ({ app, ui, workDir }),
    () => (app = ui = workDir = undefined),
  )

  it('names the device in the sidebar and Settings, saves the Processing choice, and tests again on request', async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'koutu-ui-device-'))
    const photos = path.join(workDir, 'Shoot')
    await writePhoto(photos, 'cat.jpg', 'chelsea')
    await writePhoto(photos, 'coffee.jpg', 'coffee')
    const modelPath = path.join(workDir, 'tiny.onnx')
    await fs.writeFile(modelPath, tinyFp32Model(64))
    const customModel = { path: modelPath, inputSize: 64, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], applySigmoid: false }
    app = await createTestApp({ settings: { localModel: 'custom', customModel, localDevice: 'auto' } as never })
    ui = await openUi({ table: app.table, droppedFilePaths: { Shoot: photos } })
    connectUi(app, ui)
    const { page } = ui
    expect(await page.getByTestId('sidebar-device').count()).toBe(0)

    await dropOnWindow(page, ['Shoot'])
    await expect.poll(() => page.getByTestId('queue-row').count()).toBe(2)
    await page.getByRole('button', { name: 'Start', exact: true }).click()
    await expect.poll(() => page.getByTestId('progress-summary').getAttribute('data-state'), { timeout: 120_000 }).toBe('finished')
    await expect.poll(() => page.getByTestId('sidebar-device').textContent()).toMatch(/^CPU, \d+ threads/)

    await page.getByRole('button', { name: 'Settings' }).click()
    await expect.poll(() => page.getByTestId('device-in-use').textContent()).toMatch(/^CPU, \d+ threads/)
    const verdict = page.getByTestId('device-verdict')
    await expect.poll(() => verdict.count()).toBeGreaterThan(0)
    await expect.poll(() => page.getByTestId('device-tests').textContent()).toContain('WebGPU · tiny.onnx')
    await expect.poll(() => page.getByTestId('device-tests').textContent()).toContain('failed')
    await page.getByTestId('device-tests').scrollIntoViewIfNeeded()
    await saveScreenshot(page, 'settings-device.png')

    await page.getByLabel('Processing').selectOption('gpu')
    await expect.poll(() => app!.settingsOnDisk().localDevice).toBe('gpu')
    await page.getByTestId('device-test-again').click()
    await expect.poll(() => verdict.count()).toBe(0)
    expect(await page.getByTestId('device-tests').textContent()).toContain('No device tested yet.')
    const onDisk = JSON.parse(await fs.readFile(app.layout.deviceVerdictsFile, 'utf8')) as Record<string, unknown>
    expect(Object.keys(onDisk)).toHaveLength(0)

    // In Chinese too.
    await page.getByLabel('Language').selectOption('zh-CN')
    await expect.poll(() => page.getByTestId('device-in-use').textContent()).toMatch(/^CPU，\d+ 线程/)
    expect(await page.getByTestId('device-tests').textContent()).toContain('尚未测试任何设备')
  })
})
