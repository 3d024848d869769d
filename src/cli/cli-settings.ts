/**
 * The command line's settings: the app's settings file read read-only for defaults, then the
 * flags, validated by the same schema (a flag that the app would refuse is refused here too).
 * Nothing is ever written back: flags apply to this run only.
 */
import path from 'node:path'
import { KoutuError } from '../shared/errors'
import type { Logger } from '../shared/logger'
import { ENGINE_KINDS, LOCAL_MODEL_IDS, type EngineKind, type LocalModelId, type Settings } from '../shared/settings'
import { JsonFileStore } from '../main/settings/json-file-store'
import type { KeyValueStore } from '../main/settings/key-value-store'
import { SettingsService } from '../main/settings/settings-service'
import { CUSTOM_MODEL_PRESETS } from '../main/engine/local/model'

/** The flags of `koutu <paths…>` that map to settings (undefined: not given). */
export interface RunFlags {
  engine?: EngineKind
  out?: string
  suffix?: string
  recursive?: boolean
  onConflict?: Settings['onConflict']
  format?: Settings['outputFormat']
  concurrency?: number
  model?: string
  device?: Settings['localDevice']
}

/** A store over a snapshot of the settings file: reads what the app saved, keeps writes in memory. */
class OverlayStore implements KeyValueStore {
  private readonly data: Record<string, unknown>

  constructor(initial: Record<string, unknown>) {
    this.data = { ...initial }
  }

  get(key: string): unknown {
    return this.data[key]
  }

  set(key: string, value: unknown): void {
    this.data[key] = value
  }

  delete(key: string): void {
    delete this.data[key]
  }

  entries(): Record<string, unknown> {
    return { ...this.data }
  }
}

/** The app's settings (defaults where the file is missing or a key is invalid), never written. */
export function loadAppSettings(settingsFile: string, logger: Logger): SettingsService {
  const file = new JsonFileStore(settingsFile, logger, { readOnly: true })
  return new SettingsService(new OverlayStore(file.entries()), logger)
}

function isLocalModelId(value: string): value is LocalModelId {
  return (LOCAL_MODEL_IDS as readonly string[]).includes(value)
}

/**
 * The settings for this run: the app's, overridden by the flags. `--model` takes a model id
 * (isnet-medium, isnet-small, custom = the custom model configured in the app) or the path of an
 * .onnx file, run with the configured custom model's parameters or else ISNet's.
 */
export function applyFlags(settings: SettingsService, flags: RunFlags, cwd: string = process.cwd()): Settings {
  const set = (key: keyof Settings, value: unknown): void => {
    settings.set(key, value)
  }
  if (flags.engine !== undefined) {
    if (!(ENGINE_KINDS as readonly string[]).includes(flags.engine)) {
      throw new KoutuError('batch.invalid-options', `Unknown engine "${flags.engine}".`)
    }
    set('engine', flags.engine)
  }
  if (flags.out !== undefined) set('outputRoot', path.resolve(cwd, flags.out))
  if (flags.suffix !== undefined) set('outputSuffix', flags.suffix)
  if (flags.recursive !== undefined) set('recursive', flags.recursive)
  if (flags.onConflict !== undefined) set('onConflict', flags.onConflict)
  if (flags.format !== undefined) set('outputFormat', flags.format)
  if (flags.concurrency !== undefined) {
    set(settings.get().engine === 'local' ? 'localConcurrency' : 'remoteConcurrency', flags.concurrency)
  }
  if (flags.device !== undefined) set('localDevice', flags.device)
  if (flags.model !== undefined) {
    if (isLocalModelId(flags.model)) {
      if (flags.model === 'custom' && settings.get().customModel === null) {
        throw new KoutuError('batch.invalid-options', 'No custom model is configured in the app; pass the path of an .onnx file instead.')
      }
      set('localModel', flags.model)
    } else if (/\.onnx$/i.test(flags.model) || flags.model.includes('/') || flags.model.includes('\\')) {
      const configured = settings.get().customModel
      const parameters = configured ?? { ...CUSTOM_MODEL_PRESETS['isnet-general-use']! }
      set('customModel', { ...parameters, path: path.resolve(cwd, flags.model) })
      set('localModel', 'custom')
    } else {
      throw new KoutuError(
        'batch.invalid-options',
        `Unknown model "${flags.model}": use ${LOCAL_MODEL_IDS.join(', ')} or the path of an .onnx file.`,
      )
    }
  }
  return settings.get()
}
