/**
 * Builds the whole handler table from the app's services. A plain function with injected
 * services and no electron import: src/main/index.ts registers it with ipcMain.handle, and the
 * UI test harness serves the page from the very same table. The services themselves are built
 * by createAppServices (src/main/app-services.ts).
 */
import { createAccountHandlers, type AccountServices } from './account-handlers'
import { createBatchHandlers, type QueueServices } from './batch-handlers'
import { createCoreHandlers, type CoreServices } from './core-handlers'
import { createDesktopHandlers, type DesktopServices } from './desktop-handlers'
import { createFarmHandlers, type FarmServices } from './farm-handlers'
import { createDeviceHandlers, type DeviceServices } from './device-handlers'
import type { HandlerTable } from './handler-types'
import { createReviewHandlers, type ReviewServices } from './review-handlers'
import { createThumbnailHandlers, type ThumbnailServices } from './thumbnail-handlers'
import { createUpdateHandlers, type UpdateServices } from './update-handlers'

export type AppServices = CoreServices &
  QueueServices &
  ThumbnailServices &
  AccountServices &
  DesktopServices &
  FarmServices &
  ReviewServices &
  UpdateServices &
  DeviceServices

export function createHandlerTable(services: AppServices): HandlerTable {
  return {
    ...createCoreHandlers(services),
    ...createBatchHandlers(services),
    ...createThumbnailHandlers(services),
    ...createAccountHandlers(services),
    ...createDesktopHandlers(services),
    ...createFarmHandlers(services),
    ...createDeviceHandlers(services),
    ...createReviewHandlers(services),
    ...createUpdateHandlers(services),
  }
}
