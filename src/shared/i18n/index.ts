/**
 * Picks the dictionary (Simplified Chinese for zh locales, English otherwise) and formats
 * `{name}` placeholders. `translate(lang, 'settings.title')` is typed: only existing keys compile.
 */
import { en, type Dictionary } from './en'
import { zhCN } from './zh-cn'

export type Language = 'en' | 'zh-CN'

type Leaves<T, Prefix extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${Prefix}${K}` : Leaves<T[K], `${Prefix}${K}.`>
}[keyof T & string]
export type MessageKey = Leaves<Dictionary>

const DICTIONARIES: Record<Language, Dictionary> = { en, 'zh-CN': zhCN }

/** zh, zh-CN, zh-Hans, zh-TW… all get Chinese (the only Chinese we have is Simplified). */
export function languageForLocale(locale: string): Language {
  return /^zh\b/i.test(locale) ? 'zh-CN' : 'en'
}

export function resolveLanguage(setting: 'system' | Language, systemLocale: string): Language {
  return setting === 'system' ? languageForLocale(systemLocale) : setting
}

/** Walks `a.b.c`, allowing keys that themselves contain dots (error codes such as `image.too-large`). */
function lookup(node: unknown, key: string): unknown {
  if (node === null || typeof node !== 'object') return undefined
  const record = node as Record<string, unknown>
  if (key in record) return record[key]
  const dot = key.indexOf('.')
  return dot === -1 ? undefined : lookup(record[key.slice(0, dot)], key.slice(dot + 1))
}

export function translate(language: Language, key: MessageKey, params: Record<string, string | number | boolean> = {}): string {
  const found = lookup(DICTIONARIES[language], key)
  const template = typeof found === 'string' ? found : key
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole))
}
