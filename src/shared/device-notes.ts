/**
 * The local engine names its device in each file's notes (`device`: "GPU, WebGPU: …" or "CPU, 8
 * threads"; `deviceFallback` on the first file after a device failed mid-batch). Reports, the
 * command line's summary and --json read the batch's device from the files, so a resumed or
 * replayed batch says what really ran, file by file, without a field of its own in the journal.
 */

interface WithNotes {
  status?: string
  notes?: Record<string, string> | undefined
}

/** The device of the last finished file and the fallback message, when there was one. */
export function deviceOfItems(items: Iterable<WithNotes>): { device?: string; deviceFallback?: string } {
  let device: string | undefined
  let deviceFallback: string | undefined
  for (const item of items) {
    const notes = item.notes
    if (!notes) continue
    if (notes.device) device = notes.device
    if (notes.deviceFallback && deviceFallback === undefined) deviceFallback = notes.deviceFallback
  }
  return { ...(device !== undefined ? { device } : {}), ...(deviceFallback !== undefined ? { deviceFallback } : {}) }
}
