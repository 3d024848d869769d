/**
 * What each device's probe concluded, remembered so the probe runs once per (device, model) on
 * a machine, not at every start. Kept as one small JSON file (device-verdicts.json in the user
 * data folder; in memory for tests that give no folder).
 *
 * [Note: verdict keys] A verdict holds for one app version, one onnxruntime version, one OS and
 * one GPU (Electron's `app.getGPUInfo('basic')` in the app: vendor, device and driver): a driver
 * update or a new app may fix, or break, what the last probe saw, so any of them changing means
 * probing again. A `probing` entry is written before a probe starts and replaced by its verdict;
 * one still there at the next start means the probe took the whole app down with it (a GPU driver
 * can), and is read as `crashed`. A crashed device is never tried automatically again; Settings'
 * "Test again" clears the verdicts and the next batch probes afresh.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { DeviceReasons } from '../../../shared/device-status'
import type { DeviceKind, ModelVariant } from './devices'

/** What identifies "this machine as it is now" for the verdicts. */
export interface DeviceIdentity {
  app: string
  onnxruntime: string
  os: string
  /** The GPU and its driver, or 'unknown'. */
  gpu: string
}

export type VerdictStatus = 'passed' | 'rejected' | 'crashed' | 'probing'

export interface DeviceVerdict {
  status: VerdictStatus
  /** The weights that passed (null unless passed). */
  variant: ModelVariant | null
  /** Why it was rejected or crashed (a sentence in files written before reasons had codes). */
  reason: DeviceReasons | null
  /** Fastest probe run on the device, and on the CPU when measured (milliseconds). */
  msPerRun: number | null
  cpuMsPerRun: number | null
  /** The GPU's name as reported, for the display. */
  gpuName: string | null
  /** ISO time of the probe. */
  testedAt: string
}

/** A verdict with the device and model it is about (Settings lists these). */
export interface DeviceVerdictEntry extends DeviceVerdict {
  device: DeviceKind
  model: string
}

export interface VerdictStore {
  get(identity: DeviceIdentity, device: DeviceKind, model: string): Promise<DeviceVerdict | null>
  set(identity: DeviceIdentity, device: DeviceKind, model: string, verdict: DeviceVerdict): Promise<void>
  /** Forget one verdict (a probe that ended for reasons of its own, not the device's). */
  remove(identity: DeviceIdentity, device: DeviceKind, model: string): Promise<void>
  /** Verdicts for this identity (Settings shows them). */
  list(identity: DeviceIdentity): Promise<DeviceVerdictEntry[]>
  /** Forget every verdict ("Test again"). */
  clear(): Promise<void>
}

type StoredVerdicts = Record<string, DeviceVerdictEntry & { identity: string }>

export function identityKey(identity: DeviceIdentity): string {
  return [identity.app, identity.onnxruntime, identity.os, identity.gpu].join(' | ')
}

function entryKey(identity: DeviceIdentity, device: DeviceKind, model: string): string {
  return `${identityKey(identity)} | ${device} | ${model}`
}

/** Read a leftover `probing` entry as the crash it was (see the note). */
function settled(entry: DeviceVerdictEntry): DeviceVerdictEntry {
  if (entry.status !== 'probing') return entry
  return { ...entry, status: 'crashed', reason: entry.reason ?? [{ code: 'probe.appStopped' }] }
}

/**
 * A verdict store over a JSON file (null: in memory). `probing` entries found on disk when the
 * store is first read are from an earlier run and count as crashes.
 */
export function createVerdictStore(file: string | null): VerdictStore {
  let cache: StoredVerdicts | null = null
  let writing: Promise<void> = Promise.resolve()

  const load = async (): Promise<StoredVerdicts> => {
    if (cache) return cache
    let stored: StoredVerdicts = {}
    if (file) {
      try {
        const parsed = JSON.parse(await readFile(file, 'utf8')) as unknown
        if (parsed && typeof parsed === 'object') stored = parsed as StoredVerdicts
      } catch {
        // Missing or damaged: start over (the worst case is one more probe).
      }
    }
    cache = Object.fromEntries(Object.entries(stored).map(([key, entry]) => [key, { ...settled(entry), identity: entry.identity }]))
    return cache
  }

  const save = (): Promise<void> => {
    if (!file || !cache) return Promise.resolve()
    const text = JSON.stringify(cache, null, 2)
    // Writes are chained so an older state never lands after a newer one.
    writing = writing.then(async () => {
      await mkdir(dirname(file), { recursive: true })
      const partial = `${file}.${process.pid}.partial`
      await writeFile(partial, text)
      await rename(partial, file)
    })
    return writing
  }

  return {
    async get(identity, device, model) {
      const entry = (await load())[entryKey(identity, device, model)]
      if (!entry) return null
      const { device: _device, model: _model, identity: _identity, ...verdict } = entry
      return verdict
    },
    async set(identity, device, model, verdict) {
      ;(await load())[entryKey(identity, device, model)] = { ...verdict, device, model, identity: identityKey(identity) }
      await save()
    },
    async remove(identity, device, model) {
      delete (await load())[entryKey(identity, device, model)]
      await save()
    },
    async list(identity) {
      const key = identityKey(identity)
      return Object.values(await load())
        .filter((entry) => entry.identity === key)
        .map(({ identity: _identity, ...entry }) => entry)
    },
    async clear() {
      cache = {}
      await save()
    },
  }
}
