// The command line's remote route end to end, as a real child process: photos uploaded to the
// litterbox stand-in, fetched from there by the aipic stand-in, results saved next to the
// originals; and no consent, no upload.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAipicStandin, type AipicStandin } from '../standins/aipic-server'
import { startLitterboxStandin, type FileHostStandin } from '../standins/hosts/litterbox'
import { writePhoto } from '../helpers/images'
import { runCli } from './helpers'

describe('koutu --engine aipic', () => {
  let aipic: AipicStandin
  let litterbox: FileHostStandin
  beforeAll(async () => {
    aipic = await startAipicStandin({ initialDeviceCredit: 10 })
    litterbox = await startLitterboxStandin()
  })
  afterAll(async () => {
    await aipic?.close()
    await litterbox?.close()
  })

  function remoteArgs(folder: string): string[] {
    return [folder, '--engine', 'aipic', '--api-base', aipic.url, '--host', 'litterbox', '--host-base', `litterbox=${litterbox.url}`]
  }

  it('uploads, cuts out and saves next to the originals, spending one device credit per photo', async () => {
    const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-cli-remote-'))
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-cli-remote-photos-'))
    await writePhoto(folder, 'cat.jpg', 'chelsea')
    await writePhoto(folder, '咖啡.jpg', 'coffee')
    const result = await runCli([...remoteArgs(folder), '--allow-upload', '--json'], userData)
    expect(result.stderr).not.toMatch(/Error/)
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout) as { ok: boolean; counts: { done: number } }
    expect(report).toMatchObject({ ok: true, counts: { done: 2 } })
    for (const name of ['cat-cutout.png', '咖啡-cutout.png']) {
      const meta = await sharp(path.join(folder, name)).metadata()
      expect(meta.format).toBe('png')
      expect(meta.hasAlpha).toBe(true)
    }
    expect(litterbox.uploads).toHaveLength(2)
    expect(aipic.state.fetchedImages).toHaveLength(2)
    const devices = [...aipic.state.devices.values()]
    expect(devices).toHaveLength(1)
    expect(devices[0]!.credit).toBe(8)
  })

  it('uploads nothing without consent and says how to give it', async () => {
    const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-cli-remote-'))
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-cli-remote-photos-'))
    await writePhoto(folder, 'rocket.jpg', 'rocket')
    const uploadsBefore = litterbox.uploads.length
    const result = await runCli(remoteArgs(folder), userData)
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/--allow-upload/)
    expect(litterbox.uploads.length).toBe(uploadsBefore)
    expect(fs.readdirSync(folder)).toEqual(['rocket.jpg'])
  })
})
