/**
 * Bridge handlers that reach the desktop through main's own dialogs: the output folder and a
 * custom model are chosen in main's pickers (the renderer never names a path to write or load),
 * own-bucket keys go into the secret vault and never come back, and the logs folder opens in the
 * file manager.
 */
import { z } from 'zod'
import { KoutuError } from '../../shared/errors'
import type { Settings } from '../../shared/settings'
import type { DesktopShell } from '../desktop-shell'
import type { SettingsService } from '../settings/settings-service'
import type { HandlerSlice } from './handler-types'

/** Own-bucket keys, stored through the secret vault. */
export interface S3KeyStore {
  save(accessKeyId: string, secretAccessKey: string): Promise<void>
  clear(): Promise<void>
  isConfigured(): Promise<boolean>
}

export interface DesktopServices {
  desktop: DesktopShell
  settings: SettingsService
  s3Keys: S3KeyStore
  logsDir: string
  /** Known custom model families (input size, normalisation), by name. */
  customModelPresets: Readonly<Record<string, Omit<NonNullable<Settings['customModel']>, 'path'>>>
}

type DesktopMethods = 'chooseOutputRoot' | 'chooseCustomModel' | 'setS3Credentials' | 'getS3CredentialsState' | 'openLogsFolder'

export function createDesktopHandlers(services: DesktopServices): HandlerSlice<DesktopMethods> {
  const { desktop, settings, s3Keys } = services
  return {
    chooseOutputRoot: {
      args: z.tuple([]),
      run: async () => {
        const [folder] = await desktop.chooseFolders({ multiple: false, titleKey: 'outputRoot' })
        return folder === undefined ? settings.get() : settings.set('outputRoot', folder)
      },
    },
    chooseCustomModel: {
      args: z.tuple([z.string().max(64)]),
      run: async (preset) => {
        const parameters = Object.hasOwn(services.customModelPresets, preset) ? services.customModelPresets[preset] : undefined
        if (parameters === undefined) {
          throw new KoutuError('ipc.invalid-argument', `Unknown model family "${preset}".`, { detail: { preset } })
        }
        const [file] = await desktop.chooseFiles({ multiple: false, filter: 'onnx' })
        if (file === undefined) return settings.get()
        settings.set('customModel', { path: file, ...parameters })
        return settings.set('localModel', 'custom')
      },
    },
    setS3Credentials: {
      args: z.tuple([z.string().trim().max(256), z.string().trim().max(256)]),
      run: async (accessKeyId, secretAccessKey) => {
        if (accessKeyId === '' && secretAccessKey === '') await s3Keys.clear()
        else if (accessKeyId === '' || secretAccessKey === '') {
          throw new KoutuError('ipc.invalid-argument', 'Both the access key ID and the secret access key are needed.', {
            detail: { field: accessKeyId === '' ? 'accessKeyId' : 'secretAccessKey' },
          })
        } else await s3Keys.save(accessKeyId, secretAccessKey)
        return { configured: await s3Keys.isConfigured() }
      },
    },
    getS3CredentialsState: { args: z.tuple([]), run: async () => ({ configured: await s3Keys.isConfigured() }) },
    openLogsFolder: { args: z.tuple([]), run: () => desktop.openFolder(services.logsDir) },
  }
}
