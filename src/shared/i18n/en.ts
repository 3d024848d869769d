/**
 * The English dictionary: the reference set of keys. Every other language is typed as
 * `Dictionary`, so a key missing from a translation is a compile error. Error codes are keys too
 * (`errors`), typed from ErrorCode, so every code a person can meet has words.
 */
import type { ErrorCode } from '../error-codes'

export const en = {
  app: {
    tagline: 'Batch background removal',
    version: 'Version {version}',
  },
  settings: {
    title: 'Settings',
    language: 'Language',
    languageHint: 'The language of the interface. "System" follows your computer.',
    languageSystem: 'System',
    theme: 'Theme',
    themeHint: 'Light or dark; "System" follows your computer.',
    themeSystem: 'System',
    themeLight: 'Light',
    themeDark: 'Dark',
    saved: 'Saved',
  },
  errors: {
    'internal.unexpected': 'Something unexpected went wrong: {message}',
    'job.aborted': 'Stopped before it finished.',
    'ipc.invalid-argument': 'The app sent an invalid request: {message}',
    'ipc.forbidden-sender': 'A request from outside Koutu was refused.',
    'settings.invalid': 'That value was not saved: {problem}',
  } satisfies Record<ErrorCode, string>,
}

type Widen<T> = { [K in keyof T]: T[K] extends string ? string : Widen<T[K]> }
export type Dictionary = Widen<typeof en>
