/** The command line's settings: the app's file read (never written), flags on top, validated. */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyFlags, loadAppSettings } from '../../src/cli/cli-settings'
import { silentLogger } from '../../src/shared/logger'
import { makeTempDir } from '../main/batch/helpers/fixtures'

let root: string
let settingsFile: string
const saved = { $version: 1, outputSuffix: '-bg', engine: 'local', remoteConcurrency: 3, onConflict: 'overwrite', maxMegapixels: 'lots' }

beforeAll(async () => {
  root = await makeTempDir('koutu-cli-settings-')
  settingsFile = path.join(root, 'settings.json')
  await fs.writeFile(settingsFile, JSON.stringify(saved))
})

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true })
})

describe('command-line settings', () => {
  it('starts from the app settings, lets flags win, and never writes the file', async () => {
    const before = await fs.readFile(settingsFile, 'utf8')
    const settings = applyFlags(loadAppSettings(settingsFile, silentLogger), { format: 'webp', concurrency: 5, out: 'cutouts', recursive: false }, root)
    expect(settings).toMatchObject({
      outputSuffix: '-bg',
      onConflict: 'overwrite',
      outputFormat: 'webp',
      localConcurrency: 5,
      outputRoot: path.join(root, 'cutouts'),
      recursive: false,
      // An invalid stored value falls back to the default.
      maxMegapixels: 100,
    })
    const remote = applyFlags(loadAppSettings(settingsFile, silentLogger), { engine: 'aipic', concurrency: 7, suffix: '' }, root)
    expect(remote).toMatchObject({ engine: 'aipic', remoteConcurrency: 7, outputSuffix: '' })
    expect(await fs.readFile(settingsFile, 'utf8')).toBe(before)
    // A missing file is defaults, and is not created.
    const missing = path.join(root, 'none', 'settings.json')
    expect(applyFlags(loadAppSettings(missing, silentLogger), {})).toMatchObject({ outputSuffix: '-cutout', engine: 'local' })
    await expect(fs.stat(missing)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('takes a model id or the path of an .onnx file, and refuses anything else', () => {
    const byId = applyFlags(loadAppSettings(settingsFile, silentLogger), { model: 'isnet-small' }, root)
    expect(byId.localModel).toBe('isnet-small')
    expect(applyFlags(loadAppSettings(settingsFile, silentLogger), { device: 'gpu' }, root).localDevice).toBe('gpu')
    expect(applyFlags(loadAppSettings(settingsFile, silentLogger), {}, root).localDevice).toBe('auto')
    const byPath = applyFlags(loadAppSettings(settingsFile, silentLogger), { model: 'models/u2net.onnx' }, root)
    expect(byPath.localModel).toBe('custom')
    expect(byPath.customModel).toMatchObject({ path: path.join(root, 'models/u2net.onnx'), inputSize: 1024 })
    expect(() => applyFlags(loadAppSettings(settingsFile, silentLogger), { model: 'custom' }, root)).toThrow(/No custom model is configured/)
    expect(() => applyFlags(loadAppSettings(settingsFile, silentLogger), { model: 'bigmodel' }, root)).toThrow(/Unknown model/)
    expect(() => applyFlags(loadAppSettings(settingsFile, silentLogger), { suffix: 'a/b' }, root)).toThrow(/outputSuffix/)
  })
})
