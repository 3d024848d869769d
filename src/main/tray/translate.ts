/**
 * The translation function the tray and the notifications take by injection: the shared
 * dictionary (src/shared/i18n) bound to the app's current language. Injected rather than
 * imported so the menu follows a language change without the tray knowing about settings.
 */
import { translate, type Language, type MessageKey } from '../../shared/i18n'

/** Looks up a dictionary key and fills its `{name}` placeholders. */
export type Translate = (key: MessageKey, params?: Record<string, string | number | boolean>) => string

/** A Translate for one language, e.g. `translatorFor(resolveLanguage(settings.language, locale))`. */
export function translatorFor(language: Language): Translate {
  return (key, params) => translate(language, key, params)
}

/** The words of a native notification. */
export interface Notice {
  title: string
  body: string
}
