/**
 * The local engine's device facts in words, in any language: the device in use, why a device was
 * rejected, and a fallback mid-batch. Main sends only facts and codes (device-status.ts); the
 * window words them in the person's language, the desktop notification in the app's, and the
 * command line and the log in English, all from the dictionary (`device.*`). A string where a
 * code is expected is what an older version stored: it is shown as it was written.
 */
import { translate, type MessageKey } from './i18n'
import { PROVIDER_NAMES, type DeviceFallbackView, type DeviceInUseView, type DeviceReason, type DeviceReasons } from './device-status'

/** Looks a key up in one language (appState.t in the window, the tray's `t` in main). */
export type Words = (key: MessageKey, params?: Record<string, string | number | boolean>) => string

/** English, for the command line and the log. */
export const inEnglish: Words = (key, params) => translate('en', key, params)

export function providerName(kind: string): string {
  return (PROVIDER_NAMES as Record<string, string>)[kind] ?? kind
}

/** "GPU, DirectML: NVIDIA GeForce …" / "CPU, 8 threads" / "CPU（WebAssembly），4 线程". */
export function describeDevice(t: Words, device: DeviceInUseView | string): string {
  if (typeof device === 'string') return device
  const threadsKey = device.kind === 'wasm' ? (device.threads === 1 ? 'device.wasmLineOne' : 'device.wasmLine') : device.threads === 1 ? 'device.cpuLineOne' : 'device.cpuLine'
  const line = device.gpu
    ? device.gpuName
      ? t('device.gpuLine', { provider: providerName(device.kind), name: device.gpuName })
      : t('device.gpuLineUnnamed', { provider: providerName(device.kind) })
    : t(threadsKey, { threads: device.threads })
  return device.variant === 'fp32-twin' ? t('device.fp32', { line }) : line
}

export function describeReason(t: Words, reason: DeviceReason): string {
  const params = reason.params ?? {}
  const key: MessageKey = `device.reason.${reason.code}`
  let text = t(key, params)
  if (params.exitCode !== undefined) text = t('device.withExitCode', { reason: text, exitCode: params.exitCode })
  return reason.variant ? t('device.variantReason', { variant: t(`device.variantName.${reason.variant}`), reason: text }) : text
}

/** Every reason, joined; a stored sentence from an older version as it is. */
export function describeReasons(t: Words, reasons: DeviceReasons): string {
  if (typeof reasons === 'string') return reasons
  return reasons.map((reason) => describeReason(t, reason)).join(t('device.reasonSeparator'))
}

/** The banner's and the notification's sentence; a stored sentence from an older version as it is. */
export function describeFallback(t: Words, fallback: DeviceFallbackView | string): string {
  if (typeof fallback === 'string') return fallback
  return t('device.fallback', { from: describeDevice(t, fallback.from), to: describeDevice(t, fallback.to), reason: describeReason(t, fallback.reason) })
}
