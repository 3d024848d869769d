/** Bridge handlers for app information, settings and external links. */
import { z } from 'zod'
import type { AppInfo } from '../../shared/bridge'
import { KoutuError } from '../../shared/errors'
import { settingsSchema, type SettingKey } from '../../shared/settings'
import type { SettingsService } from '../settings/settings-service'
import type { HandlerSlice } from './handler-types'

export interface CoreServices {
  appInfo: AppInfo
  settings: SettingsService
  /** Opens a URL in the system browser (Electron's shell.openExternal in the app). */
  openExternal: (url: string) => Promise<void>
}

const settingKeySchema = z.enum(Object.keys(settingsSchema.shape) as [SettingKey, ...SettingKey[]])

/** True for absolute http(s) URLs, the only kind Koutu ever opens outside the app. */
export function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false
  const protocol = new URL(value).protocol
  return protocol === 'http:' || protocol === 'https:'
}

export function createCoreHandlers(services: CoreServices): HandlerSlice<'getAppInfo' | 'getSettings' | 'setSetting' | 'openExternal'> {
  return {
    getAppInfo: { args: z.tuple([]), run: () => services.appInfo },
    getSettings: { args: z.tuple([]), run: () => services.settings.get() },
    setSetting: {
      args: z.tuple([settingKeySchema, z.unknown()]),
      run: (key, value) => {
        // Paths to write to or load code from are chosen in main's own dialogs (chooseOutputRoot,
        // chooseCustomModel); from the renderer they can only be cleared.
        if ((key === 'outputRoot' || key === 'customModel') && value !== null) {
          throw new KoutuError('ipc.invalid-argument', `"${key}" is chosen through its dialog; it can only be cleared here.`, {
            detail: { key },
          })
        }
        return services.settings.set(key, value)
      },
    },
    openExternal: {
      args: z.tuple([z.string().max(4096)]),
      run: async (url) => {
        if (!isHttpUrl(url)) {
          throw new KoutuError('ipc.invalid-argument', 'Only http and https links can be opened.', { detail: { url } })
        }
        await services.openExternal(url)
      },
    },
  }
}
