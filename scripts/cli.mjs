#!/usr/bin/env node
/**
 * `npm run cli -- <paths…> [flags]` from a clone: builds with electron-vite when out/main/cli.js
 * is missing or older than anything in src/ (or the build config), then runs it under plain Node
 * with the given arguments, passing its exit code through. Build output goes to stderr so that
 * `npm run -s cli -- … --json` leaves stdout to the report.
 */
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const cli = path.join(root, 'out', 'main', 'cli.js')

/** Newest modification time under `dir` (0 when it does not exist). */
function newestMtime(dir) {
  let newest = 0
  let entries
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true })
  } catch {
    return 0
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full))
    else if (entry.isFile()) newest = Math.max(newest, fs.statSync(full).mtimeMs)
  }
  return newest
}

function needsBuild() {
  let built
  try {
    built = fs.statSync(cli).mtimeMs
  } catch {
    return true
  }
  const inputs = [newestMtime(path.join(root, 'src'))]
  for (const file of ['electron.vite.config.ts', 'package.json']) {
    try {
      inputs.push(fs.statSync(path.join(root, file)).mtimeMs)
    } catch {
      // a missing config is electron-vite's to report
    }
  }
  return Math.max(...inputs) > built
}

if (needsBuild()) {
  process.stderr.write('koutu: building (electron-vite build)…\n')
  const build = spawnSync('npx', ['electron-vite', 'build'], {
    cwd: root,
    // The build's stdout goes to our stderr: stdout is reserved for the command's --json report.
    stdio: ['ignore', process.stderr, 'inherit'],
    shell: process.platform === 'win32',
  })
  if (build.status !== 0) {
    process.stderr.write(`koutu: the build failed (${build.error?.message ?? `exit code ${build.status}`})\n`)
    process.exit(2)
  }
}

const child = spawn(process.execPath, [cli, ...process.argv.slice(2)], { stdio: 'inherit' })
// Ctrl-C reaches the child through the terminal; we only wait for it to finish its shutdown.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (signal === 'SIGTERM') child.kill('SIGTERM')
  })
}
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal)
  else process.exit(code ?? 1)
})
