/// <reference lib="dom" />
/**
 * The device in the UI: the sidebar names what the local engine runs on once a batch started,
 * Settings → Engine → Processing saves Automatic / GPU / CPU, lists this computer's device test
 * verdicts (here WebGPU fails for want of a Vulkan driver: the test process sets none) and "Test
 * again" forgets them; Reports names the device each batch ran on and a fallback during it. A
 * tiny ONNX model made by the test keeps the batch fast. Main sends the device, a fallback and the
 * verdicts' reasons as codes: a Chinese window words them in Chinese.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { createVerdictStore } from '../../src/main/engine/local'
import { hostIdentity } from '../../src/main/engine/local/host'
import { JournalWriter } from '../../src/main/batch/journal'
import { userDataLayout } from '../../src/main/paths'
import { silentLogger } from '../../src/shared/logger'
import { snapshotSettings } from '../../src/main/batch/batch-settings'
import { DEFAULT_SETTINGS } from '../../src/shared/settings'
import { deviceNote, fallbackNote } from '../../src/shared/device-notes'
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
    // The batch's report names the device its files ran on; no fallback happened.
    await page.getByRole('button', { name: 'Reports' }).click()
    await expect.poll(() => page.getByTestId('report').count()).toBe(1)
    expect(await page.getByTestId('report-device').textContent()).toMatch(/^CPU, \d+ threads/)
    expect(await page.getByTestId('report-fallback').count()).toBe(0)

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

  it('words a fallback, a batch report\'s device and a rejected probe in Chinese, and shows an older version\'s reason as it was written', async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'koutu-ui-device-zh-'))
    const userDataDir = path.join(workDir, 'user-data')
    const identity = hostIdentity('koutu test')
    // The verdicts on this computer: one from this version (coded), one an older version wrote (a sentence).
    const verdicts = createVerdictStore(userDataLayout(userDataDir).deviceVerdictsFile)
    const tested = { variant: null, msPerRun: null, cpuMsPerRun: null, gpuName: 'SwiftShader', testedAt: '2026-12-03T10:00:00.000Z' }
    await verdicts.set(identity, 'webgpu', 'isnet-medium', {
      ...tested,
      status: 'rejected',
      reason: [{ code: 'probe.f16Missing', variant: 'bundled', params: { message: 'Program Transpose requires f16 but the device does not support it' } }],
    })
    await verdicts.set(identity, 'dml', 'isnet-small', { ...tested, status: 'rejected', reason: 'bundled: the model returned NaN or infinite values' })
    const onWebgpu = { kind: 'webgpu', gpu: true, gpuName: 'SwiftShader', threads: 2, variant: 'fp32-twin' } as const
    const onCpu = { kind: 'cpu', gpu: false, gpuName: null, threads: 2, variant: 'bundled' } as const
    const at = '2026-12-03T11:00:00.000Z'
    const journal = JournalWriter.create(
      userDataLayout(userDataDir).journalDir,
      { type: 'batch', v: 1, id: 'gpu-batch', at, pid: process.pid, host: os.hostname(), origin: 'test', settings: snapshotSettings(DEFAULT_SETTINGS) },
      silentLogger,
    )
    journal.append({ type: 'queued', items: [[1, '/photos/a.jpg', '/photos'], [2, '/photos/b.jpg', '/photos']] })
    journal.append({ type: 'outcome', id: 1, status: 'done', at, outputPath: '/photos/a-cutout.png', notes: { device: deviceNote(onWebgpu) } })
    const fallback = fallbackNote({ from: onWebgpu, to: onCpu, reason: { code: 'batch.crashed', params: { exitCode: 139 } } })
    journal.append({ type: 'outcome', id: 2, status: 'done', at, outputPath: '/photos/b-cutout.png', notes: { device: deviceNote(onCpu), deviceFallback: fallback } })
    journal.append({ type: 'end', at, reason: 'finished' })
    journal.close()
    app = await createTestApp({ userDataDir, appInfo: { systemLocale: 'zh-CN' } })
    ui = await openUi({ table: app.table, locale: 'zh-CN' })
    connectUi(app, ui)
    const { page } = ui

    // What the engine tells the app when WebGPU dies mid-batch and the CPU goes on.
    const cpu = { kind: 'cpu', gpu: false, gpuName: null, threads: 2, variant: 'bundled' } as const
    app.services.devices.engineStarted({ ...cpu, notes: [] }, identity)
    app.services.devices.fellBack({
      from: { kind: 'webgpu', gpu: true, gpuName: 'SwiftShader', threads: 2, variant: 'fp32-twin' },
      to: cpu,
      reason: { code: 'batch.crashed', params: { exitCode: 139 } },
    })
    const banner = page.getByTestId('device-fallback')
    await expect.poll(() => banner.count()).toBe(1)
    expect(await banner.locator('p').textContent()).toBe(
      '显卡，WebGPU：SwiftShader，fp32 模型 停止工作（批处理中模型进程意外退出，退出码 139）。批处理改用 CPU，2 线程 继续。',
    )

    await page.getByRole('button', { name: '设置' }).click()
    await expect.poll(() => page.getByTestId('device-in-use').textContent()).toBe('CPU，2 线程')
    const reasons = page.getByTestId('device-verdict-reason')
    await expect.poll(() => reasons.count()).toBe(2)
    const verdictTexts = await page.getByTestId('device-verdict').allTextContents()
    const webgpu = verdictTexts.find((text) => text.startsWith('WebGPU'))
    expect(webgpu).toContain('未通过')
    expect(webgpu).toContain('内置模型：显卡不支持 16 位浮点运算（缺少 shader-f16）')
    expect(webgpu).not.toContain('Program Transpose')
    expect(verdictTexts.find((text) => text.startsWith('DirectML'))).toContain('bundled: the model returned NaN or infinite values')

    // A past batch (from its journal) whose files ran on WebGPU, then on the CPU after WebGPU
    // failed: its report names the device and the fallback, in Chinese.
    await page.getByRole('button', { name: '记录', exact: true }).click()
    const report = page.getByTestId('report')
    await expect.poll(() => report.count()).toBe(1)
    expect(await report.getByTestId('report-device').textContent()).toBe('CPU，2 线程')
    expect(await report.getByTestId('report-fallback').textContent()).toBe(
      '显卡，WebGPU：SwiftShader，fp32 模型 停止工作（批处理中模型进程意外退出，退出码 139）。批处理改用 CPU，2 线程 继续。',
    )

    // Switched to English, the same facts in English.
    await page.getByRole('button', { name: '设置' }).click()
    await page.getByLabel('语言').selectOption('en')
    await expect.poll(() => page.getByTestId('device-tests').textContent()).toContain('bundled model: the graphics card cannot compute with 16-bit floats (no shader-f16)')
    expect(ui.problems).toEqual([])
  })
})
