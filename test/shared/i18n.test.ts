/**
 * The dictionaries beyond what the type checker enforces (every key present in both): the
 * Chinese is actually translated, placeholders match between languages, and lookups resolve
 * keys that contain dots (error codes).
 */
import { describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../src/shared/error-codes'
import { en } from '../../src/shared/i18n/en'
import { languageForLocale, translate, type MessageKey } from '../../src/shared/i18n'
import { zhCN } from '../../src/shared/i18n/zh-cn'

function leaves(node: unknown, prefix = ''): Array<[string, string]> {
  if (typeof node === 'string') return [[prefix, node]]
  return Object.entries(node as Record<string, unknown>).flatMap(([key, value]) => leaves(value, prefix ? `${prefix}.${key}` : key))
}
const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!).sort()

/** Strings that are the same in both languages on purpose (names, formats, examples). */
const SAME_IN_BOTH = new Set(['tray.tooltip', 'settings.formatPng', 'settings.hostNames.uguu', 'settings.hostNames.tmpfiles', 'settings.s3AccessKey', 'settings.s3SecretKey'])

/** Chinese strings that need no Han characters (a name, a punctuation mark). */
const NO_HAN_NEEDED = new Set(['settings.hostNames.litterbox', 'notifications.countSeparator', 'device.variantReason', 'device.reasonSeparator'])

describe('the dictionaries', () => {
  const english = new Map(leaves(en))
  const chinese = new Map(leaves(zhCN))

  it('have the same keys, with the same placeholders', () => {
    expect([...chinese.keys()].sort()).toEqual([...english.keys()].sort())
    for (const [key, text] of english) expect(placeholders(chinese.get(key)!), key).toEqual(placeholders(text))
  })

  it('translate every string into Chinese', () => {
    const untranslated = [...english].filter(([key, text]) => chinese.get(key) === text && !SAME_IN_BOTH.has(key)).map(([key]) => key)
    expect(untranslated).toEqual([])
    const withoutHan = [...chinese].filter(([key, text]) => !/\p{Script=Han}/u.test(text) && !SAME_IN_BOTH.has(key) && !NO_HAN_NEEDED.has(key))
    expect(withoutHan.map(([key]) => key)).toEqual([])
  })

  it('give every error code words in both languages', () => {
    for (const code of ERROR_CODES) {
      const key = `errors.${code}` as MessageKey
      expect(translate('en', key)).not.toBe(key)
      expect(translate('zh-CN', key)).not.toBe(key)
    }
  })

  it('pick Chinese for zh locales and fill placeholders', () => {
    expect(languageForLocale('zh-TW')).toBe('zh-CN')
    expect(languageForLocale('en-GB')).toBe('en')
    expect(translate('zh-CN', 'queue.added', { count: 12 })).toBe('已将 12 张加入队列。')
    expect(translate('en', 'errors.image.too-large', { megapixels: 120, limit: 100 })).toContain('120 megapixels')
  })
})
