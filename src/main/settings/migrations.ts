/**
 * Settings migrations, one step per version bump. Each step takes the raw stored object of
 * version N and returns that of version N+1. Version 1 is the first, so there are none yet.
 */
type RawSettings = Record<string, unknown>
type MigrationStep = (raw: RawSettings) => RawSettings

const STEPS: Record<number, MigrationStep> = {}

export function migrateSettings(raw: RawSettings, fromVersion: number): RawSettings {
  let current = { ...raw }
  for (let version = fromVersion; STEPS[version] !== undefined; version += 1) {
    current = STEPS[version]!(current)
  }
  return current
}
