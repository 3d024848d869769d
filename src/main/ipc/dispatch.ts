/**
 * Runs one bridge call: rejects foreign senders and malformed arguments, then calls the
 * handler, and always resolves to a BridgeResult (see [Note: bridge results] in
 * src/shared/bridge.ts). The glue registers this for each method with `ipcMain.handle`; the UI
 * test harness calls it from Playwright bindings, so both run exactly this code.
 */
import { z } from 'zod'
import type { BridgeMethodName, BridgeResult } from '../../shared/bridge'
import { BRIDGE_METHOD_NAMES } from '../../shared/bridge'
import { KoutuError, serializeError } from '../../shared/errors'
import type { Logger } from '../../shared/logger'
import type { HandlerTable, MethodHandler, SenderInfo } from './handler-types'

export type SenderCheck = (sender: SenderInfo) => boolean

export async function dispatchBridgeCall(
  table: HandlerTable,
  name: string,
  rawArgs: readonly unknown[],
  sender: SenderInfo,
  isTrustedSender: SenderCheck,
  logger: Logger,
): Promise<BridgeResult<unknown>> {
  try {
    if (!isTrustedSender(sender)) {
      logger.warn('refused a bridge call from a foreign sender', { method: name, frameUrl: sender.frameUrl })
      throw new KoutuError('ipc.forbidden-sender', `The call "${name}" did not come from Koutu's own window.`, {
        detail: { method: name },
      })
    }
    if (!(BRIDGE_METHOD_NAMES as string[]).includes(name)) {
      throw new KoutuError('ipc.invalid-argument', `There is no bridge method "${name}".`, { detail: { method: name } })
    }
    const handler = table[name as BridgeMethodName] as unknown as MethodHandler<BridgeMethodName>
    const parsed = handler.args.safeParse([...rawArgs])
    if (!parsed.success) {
      const problem = z.prettifyError(parsed.error).replace(/\s+/g, ' ').trim()
      throw new KoutuError('ipc.invalid-argument', `Invalid arguments for "${name}": ${problem}`, {
        detail: { method: name, problem },
      })
    }
    const value = await (handler.run as (...args: unknown[]) => unknown)(...(parsed.data as unknown[]))
    return { ok: true, value }
  } catch (error) {
    if (!(error instanceof KoutuError)) logger.error('bridge handler failed', { method: name, error: String(error) })
    return { ok: false, error: serializeError(error) }
  }
}

/**
 * The sender check used by the app: only the main frame of the app's own window, showing the
 * app's own page. `expectedWebContentsId` returns null while no window exists.
 */
export function createSenderCheck(expectedWebContentsId: () => number | null, isAppUrl: (url: string) => boolean): SenderCheck {
  return (sender) =>
    sender.isMainFrame && sender.webContentsId === expectedWebContentsId() && isAppUrl(sender.frameUrl)
}
