/**
 * The local engine names its device in each file's notes (`device`, and `deviceFallback` on the
 * first file after a device failed mid-batch). Reports, the command line's summary and --json
 * read the batch's device from the files, so a resumed or replayed batch says what really ran,
 * file by file, without a field of its own in the journal.
 *
 * [Note: device notes] Notes are strings, so the facts are stored as JSON
 * (`{"kind":"cpu","gpu":false,"gpuName":null,"threads":8,"variant":"bundled"}`), to be worded
 * by whoever shows them (device-texts.ts). Versions before that stored an English sentence
 * ("CPU, 8 threads"; "… failed (…); continued on …"): a note that is not such JSON is read back
 * as that sentence and shown as it is.
 */
import { DEVICE_REASON_CODES, type DeviceFallbackView, type DeviceInUseView, type DeviceReason, type DeviceReasons } from './device-status'

interface WithNotes {
  status?: string
  notes?: Record<string, string> | undefined
}

/** Just the facts of a device (the engine's own record carries more). */
export function deviceFacts(device: DeviceInUseView): DeviceInUseView {
  return { kind: device.kind, gpu: device.gpu, gpuName: device.gpuName, threads: device.threads, variant: device.variant }
}

export function deviceNote(device: DeviceInUseView): string {
  return JSON.stringify(deviceFacts(device))
}

export function fallbackNote(fallback: DeviceFallbackView): string {
  return JSON.stringify({ from: deviceFacts(fallback.from), to: deviceFacts(fallback.to), reason: fallback.reason })
}

function parsed(note: string): unknown {
  if (!note.startsWith('{')) return undefined
  try {
    return JSON.parse(note) as unknown
  } catch {
    return undefined
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function isDeviceFacts(value: unknown): value is DeviceInUseView {
  return (
    isRecord(value) &&
    typeof value.kind === 'string' &&
    typeof value.gpu === 'boolean' &&
    (value.gpuName === null || typeof value.gpuName === 'string') &&
    typeof value.threads === 'number' &&
    (value.variant === 'bundled' || value.variant === 'fp32-twin')
  )
}

function isReason(value: unknown): value is DeviceReason {
  return isRecord(value) && (DEVICE_REASON_CODES as readonly unknown[]).includes(value.code) && (value.params === undefined || isRecord(value.params))
}

/**
 * A verdict's reasons as device-verdicts.json holds them: coded (this version), a sentence (older
 * versions), or null; anything else (a damaged file) reads as no reason.
 */
export function storedReasons(value: unknown): DeviceReasons | null {
  if (typeof value === 'string') return value
  return Array.isArray(value) && value.every(isReason) ? value : null
}

/** The device a note names, or the sentence an older version wrote. */
export function readDeviceNote(note: string): DeviceInUseView | string {
  const value = parsed(note)
  return isDeviceFacts(value) ? deviceFacts(value) : note
}

/** The fallback a note tells, or the sentence an older version wrote. */
export function readFallbackNote(note: string): DeviceFallbackView | string {
  const value = parsed(note)
  if (!isRecord(value) || !isDeviceFacts(value.from) || !isDeviceFacts(value.to) || !isReason(value.reason)) return note
  return { from: deviceFacts(value.from), to: deviceFacts(value.to), reason: value.reason }
}

/** The device of the last finished file and the fallback, when there was one. */
export function deviceOfItems(items: Iterable<WithNotes>): { device?: DeviceInUseView | string; deviceFallback?: DeviceFallbackView | string } {
  let device: string | undefined
  let deviceFallback: string | undefined
  for (const item of items) {
    const notes = item.notes
    if (!notes) continue
    if (notes.device) device = notes.device
    if (notes.deviceFallback && deviceFallback === undefined) deviceFallback = notes.deviceFallback
  }
  return {
    ...(device !== undefined ? { device: readDeviceNote(device) } : {}),
    ...(deviceFallback !== undefined ? { deviceFallback: readFallbackNote(deviceFallback) } : {}),
  }
}
