/**
 * Redaction of log entries: the last line of defence that keeps secrets out of the log file
 * even when a caller slips (services are told never to log secrets; see src/shared/logger.ts).
 * Removes session tokens and bearer credentials, SMS codes, S3 secrets and signatures, and
 * masks phone numbers to `138****5678`, both in object fields (by key) and inside free text
 * (URLs, headers, JSON, error messages).
 *
 * [Note: redaction is best effort] Patterns cannot know every secret; they are tuned to what
 * this app handles (aipic tokens and codes, mainland mobile numbers, AWS-style keys). A new
 * secret-bearing field should use one of the key names below, or be added here with a test.
 */

export const REDACTED = '[redacted]'

/** Field names whose value is always secret (compared lowercased, without `-` and `_`). */
const SECRET_KEY_PARTS = [
  'token',
  'secret',
  'password',
  'passwd',
  'authorization',
  'cookie',
  'signature',
  'credential',
  'apikey',
  'accesskey',
  'privatekey',
  'smscode',
  'vcode',
  'verifycode',
  'verificationcode',
  'captcha',
  'sessionid',
]

/** Field names that hold an SMS code when their value is a short run of digits. */
const CODE_KEYS = new Set(['code', 'smscode', 'vcode', 'otp'])

/** Names that contain a secret word but hold none (how the token is stored, not the token). */
const NOT_SECRET_KEYS = new Set(['tokenstorage', 'tokenstoragereason'])

const PHONE_KEYS = new Set(['phone', 'mobile', 'tel', 'telephone', 'phonenumber'])

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_\s]/g, '')
}

/** True when a field of this name must never be logged. */
export function isSecretKey(key: string): boolean {
  const normalized = normalizeKey(key)
  if (NOT_SECRET_KEYS.has(normalized)) return false
  return SECRET_KEY_PARTS.some((part) => normalized.includes(part))
}

/** `13812345678` -> `138****5678`; also with a `+86`/`86` prefix, which is kept. */
const PHONE_PATTERN = /(?<![\d.])((?:\+?86[-\s]?)?)(1\d{2})\d{4}(\d{4})(?![\d.])/g

const TEXT_RULES: Array<[RegExp, string]> = [
  // JSON Web Tokens and similar three-part tokens.
  [/\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]{4,}/g, REDACTED],
  // HTTP auth schemes: `Bearer abc…`, `Basic dXNlcjpwYXNz`.
  [/\b(Bearer|Basic|Token)\s+[\w.~+/=-]{6,}/gi, `$1 ${REDACTED}`],
  // AWS access key ids (long-term AKIA…, temporary ASIA…).
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, REDACTED],
  // name=value / "name": "value" / name: value, for secret-bearing names, in URLs, headers, JSON.
  [
    /((?:access[-_]?token|refresh[-_]?token|token|secret[-_]?access[-_]?key|secret|password|passwd|x-amz-signature|x-amz-credential|x-amz-security-token|signature|credential|authorization|cookie|api[-_]?key|sms[-_]?code|v[-_]?code|verify[-_]?code)["']?\s*[:=]\s*["']?)(?!\[redacted\])(?:Bearer\s+|Basic\s+)?[^"'&\s,;}\]]+/gi,
    `$1${REDACTED}`,
  ],
  // `code=123456`, `"code": "123456"`: digits only, so error codes such as `aipic.timeout` stay.
  [/(\bcode["']?\s*[:=]\s*["']?)\d{4,8}\b/gi, `$1${REDACTED}`],
  // A 40-character mixed-case base64 run is the shape of an AWS secret access key (a sha1 in
  // hex is lowercase and stays).
  [/(?<![\w/+=])(?=[\w/+]*[A-Z])(?=[\w/+]*[a-z])(?=[\w/+]*\d)[A-Za-z0-9/+]{40}(?![\w/+=])/g, REDACTED],
]

/** Masks phone numbers and removes secrets from free text. */
export function redactText(text: string): string {
  let result = text
  for (const [pattern, replacement] of TEXT_RULES) result = result.replace(pattern, replacement)
  return result.replace(PHONE_PATTERN, '$1$2****$3')
}

function redactField(key: string, value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || value === undefined) return value
  const normalized = normalizeKey(key)
  if (CODE_KEYS.has(normalized)) {
    if ((typeof value === 'string' && /^\s*\d{4,8}\s*$/.test(value)) || (typeof value === 'number' && Number.isInteger(value))) {
      return REDACTED
    }
  }
  if (isSecretKey(key)) return typeof value === 'boolean' ? value : REDACTED
  if (PHONE_KEYS.has(normalized) && (typeof value === 'string' || typeof value === 'number')) {
    return redactText(String(value))
  }
  return redactInner(value, depth, seen)
}

function redactInner(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactText(value)
  if (value === null || typeof value !== 'object') return value
  if (seen.has(value)) return '[circular]'
  if (depth <= 0) return '[too deep]'
  seen.add(value)
  if (value instanceof Error) {
    // Errors become text: their message and stack are where a request URL with a token ends up.
    return redactText(value.stack ?? `${value.name}: ${value.message}`)
  }
  if (Array.isArray(value)) return value.map((item) => redactInner(item, depth - 1, seen))
  if (value instanceof Date) return value
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`
  const result: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) result[key] = redactField(key, item, depth - 1, seen)
  return result
}

/**
 * A copy of `value` safe to log: strings redacted, secret fields replaced, phone fields masked,
 * errors turned into redacted text. Objects deeper than `maxDepth` are cut off.
 */
export function redactValue(value: unknown, maxDepth = 8): unknown {
  return redactInner(value, maxDepth, new WeakSet())
}
