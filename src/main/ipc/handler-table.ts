/**
 * Builds the whole handler table from the app's services. A plain function with injected
 * services and no electron import: src/main/index.ts registers it with ipcMain.handle, and the
 * UI test harness serves the page from the very same table.
 */
import { createCoreHandlers, type CoreServices } from './core-handlers'
import type { HandlerTable } from './handler-types'

export type AppServices = CoreServices

export function createHandlerTable(services: AppServices): HandlerTable {
  return {
    ...createCoreHandlers(services),
  }
}
