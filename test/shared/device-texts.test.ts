/**
 * The device in words (src/shared/device-texts.ts) and as the files' notes store it
 * (src/shared/device-notes.ts): the same facts and codes worded in English and Chinese, and
 * what an older version stored (English sentences) shown as it was written.
 */
import { describe, expect, it } from 'vitest'
import { deviceNote, deviceOfItems, fallbackNote, readDeviceNote, readFallbackNote, storedReasons } from '../../src/shared/device-notes'
import type { DeviceFallbackView, DeviceInUseView, DeviceReason } from '../../src/shared/device-status'
import { describeDevice, describeFallback, describeReasons, inEnglish, type Words } from '../../src/shared/device-texts'
import { translate } from '../../src/shared/i18n'

const inChinese: Words = (key, params) => translate('zh-CN', key, params)

const rtx: DeviceInUseView = { kind: 'dml', gpu: true, gpuName: 'NVIDIA GeForce RTX 3060', threads: 2, variant: 'bundled' }
const swiftShader: DeviceInUseView = { kind: 'webgpu', gpu: true, gpuName: 'SwiftShader', threads: 2, variant: 'fp32-twin' }
const cpu: DeviceInUseView = { kind: 'cpu', gpu: false, gpuName: null, threads: 8, variant: 'bundled' }
const fallback: DeviceFallbackView = { from: swiftShader, to: { ...cpu, threads: 2 }, reason: { code: 'batch.crashed', params: { exitCode: 139 } } }
const f16Rejection: DeviceReason[] = [
  { code: 'probe.f16Missing', variant: 'bundled', params: { message: 'Program Transpose requires f16 but the device does not support it' } },
  { code: 'probe.maskDiffers', variant: 'fp32-twin', params: { meanDifference: 0.0312, iou: 0.912 } },
]

describe('the device in words', () => {
  it('names the device the way the sidebar, the reports and the CLI show it, in English and Chinese', () => {
    expect(describeDevice(inEnglish, rtx)).toBe('GPU, DirectML: NVIDIA GeForce RTX 3060')
    expect(describeDevice(inEnglish, { ...rtx, kind: 'coreml', gpuName: null })).toBe('GPU, Core ML')
    expect(describeDevice(inEnglish, cpu)).toBe('CPU, 8 threads')
    expect(describeDevice(inEnglish, swiftShader)).toBe('GPU, WebGPU: SwiftShader, fp32 model')
    expect(describeDevice(inEnglish, { ...cpu, kind: 'wasm', threads: 1 })).toBe('CPU (WebAssembly), 1 thread')
    expect(describeDevice(inChinese, rtx)).toBe('显卡，DirectML：NVIDIA GeForce RTX 3060')
    expect(describeDevice(inChinese, cpu)).toBe('CPU，8 线程')
    expect(describeDevice(inChinese, swiftShader)).toBe('显卡，WebGPU：SwiftShader，fp32 模型')
    expect(describeDevice(inChinese, 'CPU, 4 threads')).toBe('CPU, 4 threads')
  })

  it('words a rejected probe per variant, with onnxruntime left out of the f16 case', () => {
    expect(describeReasons(inEnglish, f16Rejection)).toBe(
      'bundled model: the graphics card cannot compute with 16-bit floats (no shader-f16); ' +
        'fp32 model: its mask differs from the processor’s (mean difference 0.0312, IoU 0.912)',
    )
    expect(describeReasons(inChinese, f16Rejection)).toBe(
      '内置模型：显卡不支持 16 位浮点运算（缺少 shader-f16）；fp32 模型：蒙版与处理器的结果不一致（平均差 0.0312，IoU 0.912）',
    )
    expect(describeReasons(inChinese, [{ code: 'probe.hung', params: { seconds: 180 } }])).toBe('180 秒内无响应')
    expect(describeReasons(inChinese, [{ code: 'probe.crashed', params: { exitCode: 139 } }])).toBe('测试期间模型进程意外退出，退出码 139')
    expect(describeReasons(inChinese, [{ code: 'probe.crashed' }])).toBe('测试期间模型进程意外退出')
    expect(describeReasons(inChinese, 'bundled: NaN (an older version)')).toBe('bundled: NaN (an older version)')
  })

  it('words a fallback for the banner and the notification', () => {
    expect(describeFallback(inEnglish, fallback)).toBe(
      'GPU, WebGPU: SwiftShader, fp32 model stopped working (the model process stopped during a batch, exit code 139). The batch goes on with CPU, 2 threads.',
    )
    expect(describeFallback(inChinese, fallback)).toBe(
      '显卡，WebGPU：SwiftShader，fp32 模型 停止工作（批处理中模型进程意外退出，退出码 139）。批处理改用 CPU，2 线程 继续。',
    )
    const failed: DeviceFallbackView = { ...fallback, reason: { code: 'batch.failed', params: { message: 'Non-zero status code returned while running Conv node' } } }
    expect(describeFallback(inChinese, failed)).toContain('批处理中模型运行失败：Non-zero status code returned while running Conv node')
  })
})

describe('the device in the files\' notes', () => {
  it('stores facts that read back as they were, and the first fallback of the batch', () => {
    const items: Array<{ notes: Record<string, string> }> = [
      { notes: { inferMs: '900', device: deviceNote({ ...swiftShader, notes: ['left out'] } as DeviceInUseView) } },
      { notes: { device: deviceNote(fallback.to), deviceFallback: fallbackNote(fallback) } },
      { notes: { device: deviceNote(fallback.to), deviceFallback: fallbackNote({ ...fallback, reason: { code: 'batch.failed', params: { message: 'later' } } }) } },
    ]
    expect(JSON.parse(items[0]!.notes.device!)).toEqual(swiftShader)
    expect(readDeviceNote(items[0]!.notes.device!)).toEqual(swiftShader)
    expect(deviceOfItems(items)).toEqual({ device: fallback.to, deviceFallback: fallback })
  })

  it('reads what an older version wrote (sentences) as those sentences', () => {
    const older = [{ notes: { device: 'GPU, WebGPU: SwiftShader', deviceFallback: 'GPU, WebGPU: SwiftShader failed (exit code 139); continued on CPU, 2 threads' } }]
    expect(deviceOfItems(older)).toEqual({ device: 'GPU, WebGPU: SwiftShader', deviceFallback: older[0]!.notes.deviceFallback })
    expect(readFallbackNote('{"from":{"kind":"webgpu"},"to":null}')).toBe('{"from":{"kind":"webgpu"},"to":null}')
    expect(describeFallback(inChinese, readFallbackNote(older[0]!.notes.deviceFallback))).toBe(older[0]!.notes.deviceFallback)
  })

  it('takes a verdict\'s reasons from the file only when they are coded reasons or a sentence', () => {
    expect(storedReasons(f16Rejection)).toEqual(f16Rejection)
    expect(storedReasons('bundled: NaN')).toBe('bundled: NaN')
    expect(storedReasons([{ code: 'not.a.code' }])).toBeNull()
    expect(storedReasons(42)).toBeNull()
  })
})
