/**
 * The aipic wire format, as schemas: the documented request limits (checked before anything is
 * sent) and the replies (parsed tolerantly: numbers may come as numeric strings, optional fields
 * may be null or absent, unknown fields are ignored). Field names here are the wire names.
 *
 * Source: docs of the service, /work/shared/api/aipic-api.md (copied into docs/aipic.md).
 */
import { z } from 'zod'

/** The eight documented endpoints, by their path segment under /make_pic/api/. */
export const AIPIC_ENDPOINTS = [
  'send_sms_vcode',
  'login_with_phone_and_vcode',
  'rm_pic_bg',
  'rm_pic_bg_with_uuid',
  'get_rm_bg_list',
  'get_left_credit_by_phone',
  'get_left_credit_by_unikey',
  'get_one_ad',
] as const
export type AipicEndpoint = (typeof AIPIC_ENDPOINTS)[number]

/** The path of an endpoint, relative to the base URL. */
export function endpointPath(endpoint: AipicEndpoint): string {
  return `/make_pic/api/${endpoint}/`
}

// ---- requests: the limits in the document's tables -------------------------------------------

const text = (max: number, exact?: boolean) =>
  exact
    ? z.string().length(max, `must be exactly ${max} characters`)
    : z.string().min(1, 'is required').max(max, `must be at most ${max} characters`)
const httpUrl = text(128).refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), 'must be an http(s) URL')
const positiveInt = z.number().int('must be a whole number').min(1, 'must be at least 1').max(2_147_483_647)

export const requestSchemas = {
  send_sms_vcode: z.strictObject({ phone: text(32) }),
  login_with_phone_and_vcode: z.strictObject({ phone: text(32), vcode: text(4, true) }),
  rm_pic_bg: z.strictObject({ customer_id: text(11), token: text(64), img_url: httpUrl }),
  rm_pic_bg_with_uuid: z.strictObject({ uuid: text(128), img_url: httpUrl }),
  get_rm_bg_list: z.strictObject({ customer_id: text(11), token: text(64), page: positiveInt, size: positiveInt }),
  get_left_credit_by_phone: z.strictObject({ phone: text(32) }),
  get_left_credit_by_unikey: z.strictObject({ unikey: text(128) }),
  get_one_ad: z.strictObject({}),
} satisfies Record<AipicEndpoint, z.ZodType>

export type AipicRequest<E extends AipicEndpoint> = z.input<(typeof requestSchemas)[E]>

// ---- replies ----------------------------------------------------------------------------------

// [Note: tolerant aipic replies] Backends like this one serialise loosely: any number may come
// as a string ("status": "0", "credit": "5"), any string field as null, a phone as a number.
// Replies accept every such form; what Koutu sends stays exactly as the document types it
// (requestSchemas above). Ids are opaque: kept and compared as strings, never as numbers.

/** An integer, as a number or as a numeric string ("100001", " 5 "). */
const looseInt = z.union([
  z.number().int(),
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'expected a whole number')
    .transform(Number),
])
/** An id: a number or a non-empty string, kept as the string later calls send and compare. */
const looseId = z.union([z.number().int().transform(String), z.string().trim().min(1).max(64)])
/** A string that may be null, absent, or sent as a number; null when missing. */
const nullableString = z
  .union([z.string(), z.number().transform(String)])
  .nullish()
  .transform((value) => value ?? null)
const resultUrl = z.string().trim().refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), 'must be an http(s) URL')

/** `{status, msg, data}`; `status` may be missing (the SMS endpoint's first documented shape). */
export const envelopeSchema = z.looseObject({
  status: looseInt.optional(),
  msg: nullableString.optional(),
  data: z.unknown().optional(),
})

export const replySchemas = {
  // Both documented shapes: `{phone}` bare, or the envelope with `data: {result, desc}`.
  send_sms_vcode: z.unknown(),
  login_with_phone_and_vcode: z.looseObject({
    id: looseId,
    token: z.string().trim().min(1).max(256),
    phone: nullableString,
    credit: looseInt.nullish().transform((value) => value ?? null),
  }),
  rm_pic_bg: z.looseObject({ rm_bg_pic_url: resultUrl }),
  rm_pic_bg_with_uuid: z.looseObject({ rm_bg_pic_url: resultUrl }),
  get_rm_bg_list: z.looseObject({
    list: z
      .array(
        z.looseObject({
          id: looseId,
          img_url: nullableString,
          rmbg_img_url: nullableString,
          remark: nullableString,
          created_at: nullableString.transform((value) => value ?? ''),
        }),
      )
      .nullish()
      .transform((value) => value ?? []),
    page: looseInt,
    size: looseInt,
    total_count: looseInt,
  }),
  get_left_credit_by_phone: z.looseObject({ credit: looseInt }),
  get_left_credit_by_unikey: z.looseObject({ credit: looseInt }),
  get_one_ad: z.looseObject({
    ad: z
      .looseObject({ id: looseId, pic_url: nullableString, link_url: nullableString })
      .nullish()
      .transform((value) => value ?? null),
  }),
} satisfies Record<AipicEndpoint, z.ZodType>

export type AipicReply<E extends AipicEndpoint> = z.output<(typeof replySchemas)[E]>

/** "data.list[0].img_url: expected string" from a zod error, for messages a person can act on. */
export function describeIssues(error: z.ZodError, prefix: string): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter((part) => part !== '').join('.')
      return `${path || '(body)'}: ${issue.message}`
    })
    .join('; ')
}
