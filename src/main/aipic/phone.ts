/**
 * Phone numbers as people type them: `+86 138-0013-8000` becomes `13800138000`, and anything
 * that is not a mainland China mobile number is refused before a request is made (the service
 * only sends SMS codes to those).
 */
import { KoutuError } from '../../shared/errors'
import { isMainlandMobile, stripPhoneNumber } from '../../shared/phone'

/**
 * Strip spaces, dashes, dots, parentheses and a `+86`/`0086`/`86` country prefix, then check the
 * result is an 11-digit mainland mobile number. Throws `aipic.invalid-phone` otherwise.
 */
export function normalizePhone(input: string): string {
  const digits = stripPhoneNumber(input)
  if (!isMainlandMobile(digits)) {
    throw new KoutuError(
      'aipic.invalid-phone',
      `"${input}" is not a mainland China mobile number (11 digits starting with 1, optionally with +86).`,
      { detail: { field: 'phone' } },
    )
  }
  return digits
}

/** `13800138000` -> `138****8000`, for display and logs. */
export function maskPhone(phone: string): string {
  if (phone.length < 8) return '*'.repeat(phone.length)
  return `${phone.slice(0, 3)}${'*'.repeat(phone.length - 7)}${phone.slice(-4)}`
}

/** Throws `aipic.invalid-code` unless `code` is the 4 digits an SMS carries (spaces ignored). */
export function normalizeSmsCode(code: string): string {
  const trimmed = code.replace(/\s/g, '')
  if (!/^\d{4}$/.test(trimmed)) {
    throw new KoutuError('aipic.invalid-code', 'The SMS code is the 4 digits in the message you received.', {
      detail: { field: 'vcode' },
    })
  }
  return trimmed
}
