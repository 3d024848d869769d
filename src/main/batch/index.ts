/** The batch engine's public surface: the queue service and the pieces the app and the CLI wire. */
export { BatchService, isEngineCrash, isOutcomeUnknown, outputOptionsOf, snapshotSettings } from './batch-service'
export type { BatchServiceOptions, ConfirmCost, EngineFactory } from './batch-service'
export type { BatchSettingsSnapshot } from './journal'
export { IMAGE_EXTENSIONS } from './file-kinds'
export { systemClock, type Clock } from './progress'
