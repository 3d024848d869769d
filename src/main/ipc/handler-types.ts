/**
 * Types for the handler table: for every bridge method, a zod schema for its argument tuple
 * (the renderer is untrusted, so arguments are validated at run time) and the function that
 * serves it. Capabilities each build their slice (`HandlerSlice<'getSettings' | …>`).
 */
import type { z } from 'zod'
import type { BridgeMethodName, BridgeMethods } from '../../shared/bridge'

export interface MethodHandler<M extends BridgeMethodName> {
  args: z.ZodType<BridgeMethods[M]['args']>
  run: (...args: BridgeMethods[M]['args']) => Promise<BridgeMethods[M]['result']> | BridgeMethods[M]['result']
}

export type HandlerTable = { [M in BridgeMethodName]: MethodHandler<M> }
export type HandlerSlice<M extends BridgeMethodName> = Pick<HandlerTable, M>

/** Who sent an IPC call: the glue fills this from `IpcMainInvokeEvent`. */
export interface SenderInfo {
  webContentsId: number
  /** URL of the frame that sent the call; '' when unknown. */
  frameUrl: string
  /** False when the call came from a subframe. */
  isMainFrame: boolean
}
