/**
 * The renderer's client for `window.koutu`: unwraps BridgeResults (see [Note: bridge results]
 * in src/shared/bridge.ts) so callers get values or a thrown BridgeCallError with a stable code.
 */
import type { BridgeEventName, BridgeEvents, BridgeMethodName, BridgeMethods, BridgeResult } from '../../../shared/bridge'
import { subscriberName } from '../../../shared/bridge'
import type { ErrorCode } from '../../../shared/error-codes'
import type { ErrorDetail, SerializedError } from '../../../shared/errors'

export class BridgeCallError extends Error {
  override readonly name = 'BridgeCallError'
  readonly code: ErrorCode
  readonly detail: ErrorDetail
  constructor(error: SerializedError) {
    super(error.message)
    this.code = error.code
    this.detail = error.detail
  }
}

export async function call<M extends BridgeMethodName>(
  method: M,
  ...args: BridgeMethods[M]['args']
): Promise<BridgeMethods[M]['result']> {
  const fn = window.koutu[method] as (...a: BridgeMethods[M]['args']) => Promise<BridgeResult<BridgeMethods[M]['result']>>
  const result = await fn(...args)
  if (!result.ok) throw new BridgeCallError(result.error)
  return result.value
}

/**
 * Listens to a main-to-renderer event. The listener's return value is dropped here: the
 * contextBridge copies whatever a page function returns back into the preload's world, and an
 * arrow such as `(s) => (this.#status = s)` returns a Svelte $state Proxy, which it cannot
 * clone ("An object could not be cloned", thrown in the preload's ipcRenderer listener).
 */
export function subscribe<E extends BridgeEventName>(event: E, listener: (payload: BridgeEvents[E]) => void): () => void {
  const on = window.koutu[subscriberName(event)] as (l: (payload: BridgeEvents[E]) => void) => () => void
  return on((payload) => {
    listener(payload)
  })
}
