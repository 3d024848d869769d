/** Phone numbers and SMS codes as people type them. */
import { describe, expect, it } from 'vitest'
import { maskPhone, normalizePhone, normalizeSmsCode } from '../../../src/main/aipic/phone'
import { isKoutuError } from '../../../src/shared/errors'

describe('normalizePhone', () => {
  it.each([
    ['13800138000', '13800138000'],
    ['+86 138 0013 8000', '13800138000'],
    ['+86-138-0013-8000', '13800138000'],
    ['0086 19912345678', '19912345678'],
    ['86 15012345678', '15012345678'],
    [' 150 1234 5678 ', '15012345678'],
  ])('%s -> %s', (typed, expected) => {
    expect(normalizePhone(typed)).toBe(expected)
  })

  it.each(['', '1380013800', '138001380001', '12800138000', '+1 415 555 0100', '1380013800a', '+8613800138000x'])('refuses %j', (typed) => {
    let thrown: unknown
    try {
      normalizePhone(typed)
    } catch (error) {
      thrown = error
    }
    expect(isKoutuError(thrown, 'aipic.invalid-phone')).toBe(true)
  })
})

describe('maskPhone and normalizeSmsCode', () => {
  it('masks the middle digits', () => {
    expect(maskPhone('13800138000')).toBe('138****8000')
  })
  it('accepts 4 digits only', () => {
    expect(normalizeSmsCode(' 12 34')).toBe('1234')
    for (const bad of ['123', '12345', 'abcd', '']) expect(() => normalizeSmsCode(bad)).toThrow(/4 digits/)
  })
})
