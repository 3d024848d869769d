/**
 * `npm run cli` as a user runs it from a clone: scripts/cli.mjs builds when the bundle is stale
 * (under `npm test` the build has just run) and runs out/main/cli.js, whose model process is the
 * bundled out/main/engine-worker.js: the production path, under plain Node.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CliReport } from '../../src/cli/run-batch'
import { makeTempDir, writeImage } from '../main/batch/helpers/fixtures'
import { REPO } from './helpers'

let root: string

beforeAll(async () => {
  root = await makeTempDir('koutu-cli-script-')
})

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true })
})

function runScript(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO, 'scripts', 'cli.mjs'), ...args], {
      cwd: root,
      env: { ...process.env, KOUTU_USER_DATA: path.join(root, 'userdata') },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('npm run cli', () => {
  it('runs the built command line with the bundled model process', async () => {
    await writeImage(path.join(root, 'in', 'photo.jpg'), { width: 50, height: 40 })
    // Relative paths are resolved against the caller's working directory.
    const result = await runScript(['in', '--json'])
    expect(result.code, result.stderr).toBe(0)
    const report = JSON.parse(result.stdout) as CliReport
    expect(report.counts).toMatchObject({ total: 1, done: 1 })
    const output = path.join(root, 'in', 'photo-cutout.png')
    expect(report.items[0]?.outputPath).toBe(output)
    const meta = await sharp(output).metadata()
    expect([meta.hasAlpha, meta.width, meta.height]).toEqual([true, 50, 40])
    const built = await fs.stat(path.join(REPO, 'out', 'main', 'cli.js'))
    expect(built.isFile()).toBe(true)
  })
})
