/**
 * The quality flags on the command line, as a child process with the real local engine (ISNet
 * small, for speed): a close-up of grass with no subject is reported as "no subject found" in the
 * text summary and as `"flags": ["no-subject"]` in --json; a clean shot of a cup has `"flags": []`.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CliReport } from '../../src/cli/run-batch'
import { makeTempDir } from '../main/batch/helpers/fixtures'
import { writePhoto, writeTexture } from '../helpers/images'
import { runCli } from './helpers'

let root: string

beforeAll(async () => {
  root = await makeTempDir('koutu-cli-flags-')
})

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true })
})

describe('koutu reports quality flags', { timeout: 240_000 }, () => {
  it('in --json and in the text summary', async () => {
    const photos = path.join(root, 'photos')
    await writeTexture(photos, 'moss.jpg', 'grass', 0.8)
    await writePhoto(photos, 'cup.jpg', 'coffee', { megapixels: 0.8 })

    const json = await runCli([photos, '--model', 'isnet-small', '--json'], path.join(root, 'user data 1'))
    expect(json.code).toBe(0)
    const report = JSON.parse(json.stdout) as CliReport
    const byName = (name: string) => report.items.find((item) => path.basename(item.inputPath) === name)
    expect(byName('moss.jpg')).toMatchObject({ status: 'done', flags: ['no-subject'] })
    expect(byName('cup.jpg')).toMatchObject({ status: 'done', flags: [] })
    // The summary goes to stderr with --json, and names the file to check.
    expect(json.stderr).toMatch(/1 cutout to check:\n {2}no subject found: .*moss-cutout\.png/)

    const text = await runCli([photos, '--model', 'isnet-small', '--on-conflict', 'overwrite'], path.join(root, 'user data 2'))
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/Finished: 2 done/)
    expect(text.stdout).toMatch(/1 cutout to check:\n {2}no subject found: .*moss-cutout\.png/)
    expect(text.stdout).not.toMatch(/cup-cutout\.png/)
  })
})
