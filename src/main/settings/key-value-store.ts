/**
 * The storage a settings or account service needs: electron-store in the app, JsonFileStore on
 * the command line and in tests. Values are plain JSON.
 */
export interface KeyValueStore {
  get(key: string): unknown
  set(key: string, value: unknown): void
  delete(key: string): void
  /** A snapshot of everything stored. */
  entries(): Record<string, unknown>
}
