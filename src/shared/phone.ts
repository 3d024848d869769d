/**
 * Phone numbers as people type them, shared by main (which refuses bad numbers before any
 * request) and the login form (which says what is wrong while the user types).
 */

/**
 * Strip spaces, dashes, dots, parentheses and a `+86`/`0086`/`86` country prefix:
 * `+86 138-0013-8000` becomes `13800138000`.
 */
export function stripPhoneNumber(input: string): string {
  let digits = input.trim().replace(/[\s\-.()\u00a0]/g, '')
  if (digits.startsWith('+86')) digits = digits.slice(3)
  else if (digits.startsWith('0086')) digits = digits.slice(4)
  else if (digits.length === 13 && digits.startsWith('86')) digits = digits.slice(2)
  return digits
}

/** An 11-digit mainland China mobile number (the only numbers the service sends SMS codes to). */
export function isMainlandMobile(digits: string): boolean {
  return /^1[3-9]\d{9}$/.test(digits)
}
