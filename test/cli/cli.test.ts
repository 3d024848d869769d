/**
 * The command line end to end, as a child process with the real local engine: outputs where
 * they belong (valid PNGs with alpha, upright, same size), originals byte-identical, settings
 * from the app's file with flags winning, the --json report, exit codes and usage errors.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CliReport } from '../../src/cli/run-batch'
import { listJournals } from '../../src/main/batch/journal'
import { listTree, makeTempDir, sha256, writeImage } from '../main/batch/helpers/fixtures'
import { runCli } from './helpers'

let root: string
let userData: string

beforeAll(async () => {
  root = await makeTempDir('koutu-cli-')
  userData = path.join(root, 'user data')
})

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true })
})

describe('koutu <paths…>', () => {
  it('documents every flag in --help', async () => {
    const result = await runCli(['--help'], userData)
    expect(result.code).toBe(0)
    for (const flag of ['--engine', '--out', '--suffix', '--no-recursive', '--on-conflict', '--format', '--concurrency', '--model', '--device', '--json', '--verbose']) {
      expect(result.stdout).toContain(flag)
    }
  })

  it('refuses what it cannot do with exit code 2 and a clear message, before touching anything', async () => {
    const photos = path.join(root, 'refused')
    await writeImage(path.join(photos, 'a.jpg'))
    const aipic = await runCli([photos, '--engine', 'aipic'], userData)
    expect(aipic.code).toBe(2)
    // No consent on a non-interactive run: nothing is uploaded and the message says how to agree.
    expect(aipic.stderr).toMatch(/Nothing was uploaded.*--allow-upload/s)
    const emptySuffix = await runCli([photos, '--suffix', '', '--json'], userData)
    expect(emptySuffix.code).toBe(2)
    expect(JSON.parse(emptySuffix.stdout)).toMatchObject({ ok: false, error: { code: 'batch.invalid-options' } })
    const badFlag = await runCli([photos, '--on-conflict', 'maybe'], userData)
    expect(badFlag.code).toBe(2)
    expect(badFlag.stderr).toMatch(/Allowed choices are skip, overwrite, keep-both/)
    const badModel = await runCli([photos, '--model', 'nonsense'], userData)
    expect(badModel.code).toBe(2)
    const badDevice = await runCli([photos, '--device', 'tpu'], userData)
    expect(badDevice.code).toBe(2)
    expect(badDevice.stderr).toMatch(/Allowed choices are auto, gpu, cpu/)
    expect(await listTree(photos)).toEqual(['a.jpg'])
    expect(listJournals(path.join(userData, 'journal'))).toEqual([])
  })

  it('processes a real folder tree with the app settings, and flags win', async () => {
    const photos = path.join(root, 'photos')
    await writeImage(path.join(photos, 'upright.jpg'), { width: 40, height: 24, orientation: 6 })
    await writeImage(path.join(photos, 'nested', '深层', '照片 一.jpg'), { width: 30, height: 20 })
    await writeImage(path.join(photos, 'nested', 'original.png'), { width: 20, height: 30 })
    await writeImage(path.join(photos, 'done-before.jpg'))
    // An output of an earlier run with the suffix the app is set to: skipped, not overwritten.
    await fs.writeFile(path.join(photos, 'done-before-bg.png'), 'earlier output')
    await fs.mkdir(userData, { recursive: true })
    await fs.writeFile(path.join(userData, 'settings.json'), JSON.stringify({ $version: 1, outputSuffix: '-bg', localConcurrency: 2 }))
    const originals = ['upright.jpg', 'nested/深层/照片 一.jpg', 'nested/original.png', 'done-before.jpg']
    const hashes = await Promise.all(originals.map((name) => sha256(path.join(photos, name))))

    const result = await runCli([photos, '--json'], userData)
    expect(result.stderr).not.toMatch(/\[error\]/)
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout) as CliReport
    expect(report).toMatchObject({ ok: true, outcome: 'finished', resumed: false, counts: { total: 4, done: 3, skipped: 1, failed: 0 } })
    expect(report.items.find((item) => item.status === 'skipped')?.error?.code).toBe('batch.output-exists')
    // Automatic on a machine without a usable GPU: the CPU, named in the report and the summary.
    expect(report.device).toMatch(/^CPU, \d+ threads/)
    expect(result.stderr).toContain(`Device: ${report.device}`)
    const expected: Array<[string, string, number, number]> = [
      ['upright.jpg', 'upright-bg.png', 24, 40],
      ['nested/深层/照片 一.jpg', 'nested/深层/照片 一-bg.png', 30, 20],
      ['nested/original.png', 'nested/original-bg.png', 20, 30],
    ]
    for (const [input, output, width, height] of expected) {
      expect(report.items.find((item) => item.inputPath === path.join(photos, input))?.outputPath).toBe(path.join(photos, output))
      const meta = await sharp(path.join(photos, output)).metadata()
      expect([meta.format, meta.hasAlpha, meta.width, meta.height, meta.orientation ?? 1], output).toEqual(['png', true, width, height, 1])
    }
    // The rotated photo's cutout is upright: its bright square is where the upright original has it.
    const original = await sharp(path.join(photos, 'upright.jpg')).rotate().removeAlpha().greyscale().raw().toBuffer()
    const cutout = await sharp(path.join(photos, 'upright-bg.png')).removeAlpha().greyscale().raw().toBuffer()
    let difference = 0
    for (let index = 0; index < original.length; index += 1) difference += Math.abs(original[index]! - cutout[index]!)
    expect(difference / original.length).toBeLessThan(40)
    expect(await fs.readFile(path.join(photos, 'done-before-bg.png'), 'utf8')).toBe('earlier output')
    expect(await Promise.all(originals.map((name) => sha256(path.join(photos, name))))).toEqual(hashes)

    // Flags override the settings file: mirrored tree, empty suffix, WebP, no recursion; a broken file fails → exit 1.
    const out = path.join(root, 'out')
    await fs.writeFile(path.join(root, 'broken.jpg'), 'not a jpeg')
    const flagged = await runCli([path.join(photos, 'nested'), path.join(root, 'broken.jpg'), '--out', out, '--suffix', '', '--format', 'webp', '--no-recursive', '--device', 'cpu', '--json'], userData)
    expect(flagged.code).toBe(1)
    const flaggedReport = JSON.parse(flagged.stdout) as CliReport
    expect(flaggedReport.counts).toMatchObject({ total: 2, done: 1, failed: 1 })
    expect(flaggedReport.device).toMatch(/^CPU, \d+ threads/)
    expect(flaggedReport.items.find((item) => item.status === 'failed')?.error?.code).toBe('image.unreadable')
    expect(await listTree(out)).toEqual(['nested/original.webp'])
    expect((await sharp(path.join(out, 'nested/original.webp')).metadata()).hasAlpha).toBe(true)
    expect(flagged.stderr).toMatch(/1 failed/)
  })
})
