/**
 * The error the aipic service itself reports (`status != 0` in its reply envelope), and the one
 * place that decides what such a reply means for the app (out of credit, session expired, or a
 * plain rejection whose message is shown as the server wrote it).
 *
 * [Note: aipic failure classification] The API document lists no error statuses, so the kind of
 * a failure is read from the server's `msg`, in Chinese or English. The stand-in
 * (test/standins/aipic-server.ts) uses messages of the same form. When real replies are
 * known, only `classifyAipicFailure` needs to change.
 */
import { KoutuError } from '../../shared/errors'

/** The codes an AipicError can carry. */
export type AipicFailureCode = 'aipic.rejected' | 'aipic.out-of-credit' | 'aipic.session-expired'

const OUT_OF_CREDIT = /额度|余额|次数不足|积分不足|点数不足|credit|balance/i
const SESSION_EXPIRED = /token|重新登录|重新登陆|未登录|未登陆|登录已|登陆已|unauthori[sz]ed|log ?in again|session/i

/** Endpoints that send a token: only their refusals can mean "session expired". */
const TOKEN_ENDPOINTS = new Set(['rm_pic_bg', 'get_rm_bg_list'])
/** Endpoints that spend credit: only their refusals can mean "out of credit". */
const SPENDING_ENDPOINTS = new Set(['rm_pic_bg', 'rm_pic_bg_with_uuid'])

/** What a `status != 0` reply from `endpoint` means, from its message. */
export function classifyAipicFailure(endpoint: string, message: string): AipicFailureCode {
  if (SPENDING_ENDPOINTS.has(endpoint) && OUT_OF_CREDIT.test(message)) return 'aipic.out-of-credit'
  if (TOKEN_ENDPOINTS.has(endpoint) && SESSION_EXPIRED.test(message)) return 'aipic.session-expired'
  return 'aipic.rejected'
}

/** A reply from the aipic service with `status != 0`: it carries the status and the server's `msg`. */
export class AipicError extends KoutuError {
  /** The envelope's `status`. */
  readonly status: number
  /** The envelope's `msg`, exactly as the server sent it (shown to the user as is). */
  readonly serverMessage: string
  readonly endpoint: string

  constructor(endpoint: string, status: number, serverMessage: string) {
    const code = classifyAipicFailure(endpoint, serverMessage)
    const shown = serverMessage.trim() === '' ? `status ${status}` : serverMessage
    super(code, `The aipic service refused ${endpoint}: ${shown}`, {
      detail: { endpoint, status, serverMessage },
    })
    this.status = status
    this.serverMessage = serverMessage
    this.endpoint = endpoint
  }
}
