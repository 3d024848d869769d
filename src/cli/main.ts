#!/usr/bin/env node
/**
 * The `koutu` executable (package.json `bin`, built to out/main/cli.js; `npm run cli -- …` from a
 * clone). Plain Node, no Electron: it drives the same batch engine and settings as the app.
 */
import { createRequire } from 'node:module'
import { CommanderError } from 'commander'
import { createProgram } from './program'
import { EXIT_ERROR } from './run-batch'

function packageVersion(): string {
  try {
    // From out/main/cli.js or src/cli/main.ts the package file is two folders up.
    const pkg = createRequire(import.meta.url)('../../package.json') as { version?: string }
    return pkg.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}

try {
  await createProgram({ version: packageVersion() }).parseAsync(process.argv)
} catch (error) {
  // commander has already printed the usage problem; only the exit code is left to set.
  if (!(error instanceof CommanderError)) throw error
  process.exitCode = error.exitCode === 0 ? 0 : EXIT_ERROR
}
