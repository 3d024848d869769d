import { defineConfig } from 'vitest/config'

// Tests run under plain Node. Files that need the Electron binary never run here (see
// docs/testing.md); UI tests drive Debian's Chromium on the built renderer (test/ui).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ['default'],
    // electron-store imports electron; inlining it lets a test's vi.mock('electron') apply.
    server: { deps: { inline: ['electron-store'] } },
  },
})
