// The committed icons in resources/ are what scripts/make-icons.ts makes from its SVG artwork
// (so they can be regenerated rather than edited as binaries), and each has the form its
// platform needs.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readIcoDirectory } from '../../scripts/ico'
import { ICON_FILES, makeIcons } from '../../scripts/make-icons'

const resources = path.resolve(import.meta.dirname, '../../resources')
let fresh: string

beforeAll(async () => {
  fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-icons-'))
  await makeIcons(fresh)
})
afterAll(() => fs.rmSync(fresh, { recursive: true, force: true }))

async function pixels(file: string) {
  return sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
}

describe('icons', () => {
  it('are committed exactly as scripts/make-icons.ts makes them (npm run icons)', () => {
    for (const file of ICON_FILES) {
      const committed = path.join(resources, file)
      expect(fs.existsSync(committed), `${file} is missing: run npm run icons`).toBe(true)
      expect(fs.readFileSync(committed).equals(fs.readFileSync(path.join(fresh, file))), `${file} differs from the script's output`).toBe(true)
    }
  })

  it('has a square 1024 and 512 app icon with a transparent margin and an opaque body', async () => {
    for (const [file, size] of [['icon.png', 1024], ['icon-512.png', 512]] as const) {
      const { data, info } = await pixels(path.join(resources, file))
      expect([info.width, info.height]).toEqual([size, size])
      const alphaAt = (x: number, y: number) => data[(y * size + x) * 4 + 3]
      expect(alphaAt(0, 0)).toBe(0)
      expect(alphaAt(size / 2, size / 2)).toBe(255)
    }
  })

  it('has macOS tray templates that are black with alpha only, at 16 and 32 px', async () => {
    for (const [file, size] of [['tray/trayTemplate.png', 16], ['tray/trayTemplate@2x.png', 32]] as const) {
      const { data, info } = await pixels(path.join(resources, file))
      expect([info.width, info.height]).toEqual([size, size])
      let drawn = 0
      let colour = 0
      for (let index = 0; index < data.length; index += 4) {
        colour += data[index]! + data[index + 1]! + data[index + 2]!
        if (data[index + 3]! > 0) drawn += 1
      }
      expect(colour).toBe(0)
      // Enough of the glyph is drawn to be seen, and it is not a filled square.
      expect(drawn).toBeGreaterThan(size * size * 0.2)
      expect(drawn).toBeLessThan(size * size * 0.8)
    }
  })

  it('has a coloured Linux tray PNG', async () => {
    const { data, info } = await pixels(path.join(resources, 'tray/tray.png'))
    expect([info.width, info.height]).toEqual([32, 32])
    const stats = await sharp(data, { raw: info }).stats()
    expect(stats.channels.slice(0, 3).some((channel) => channel.stdev > 10)).toBe(true)
  })

  it('has Windows .ico files with every size, bitmaps below 256 and PNG at 256', async () => {
    const app = readIcoDirectory(fs.readFileSync(path.join(resources, 'icon.ico')))
    expect(app.map((entry) => entry.size)).toEqual([16, 24, 32, 48, 64, 128, 256])
    const tray = readIcoDirectory(fs.readFileSync(path.join(resources, 'tray/tray.ico')))
    expect(tray.map((entry) => entry.size)).toEqual([16, 20, 24, 32, 40, 48, 64])
    for (const entry of [...app, ...tray]) {
      expect(entry.bitCount).toBe(32)
      expect(entry.format).toBe(entry.size === 256 ? 'png' : 'bmp')
      if (entry.format === 'png') {
        const meta = await sharp(entry.data).metadata()
        expect([meta.width, meta.height]).toEqual([256, 256])
      } else {
        // BITMAPINFOHEADER: 40 bytes, width, doubled height (colour + mask), 32 bits per pixel.
        expect(entry.data.readUInt32LE(0)).toBe(40)
        expect(entry.data.readInt32LE(4)).toBe(entry.size)
        expect(entry.data.readInt32LE(8)).toBe(entry.size * 2)
        expect(entry.data.readUInt16LE(14)).toBe(32)
        const maskRow = Math.ceil(entry.size / 32) * 4
        expect(entry.data.length).toBe(40 + entry.size * entry.size * 4 + maskRow * entry.size)
      }
    }
  })

  it('stores the same picture in the .ico bitmap as in a PNG of that size (colour order, row order)', async () => {
    const [entry16] = readIcoDirectory(fs.readFileSync(path.join(resources, 'tray/tray.ico')))
    const { data: expected } = await pixels(path.join(resources, 'tray/tray.png'))
    const reference = await sharp(expected, { raw: { width: 32, height: 32, channels: 4 } }).resize(16, 16).raw().toBuffer()
    // Top-left pixel of the picture is the first pixel of the last stored row (bitmaps are bottom-up).
    const size = entry16!.size
    let difference = 0
    for (let y = 0; y < size; y += 1) {
      for (let x = 0; x < size; x += 1) {
        const stored = 40 + ((size - 1 - y) * size + x) * 4
        const want = (y * size + x) * 4
        difference += Math.abs(entry16!.data[stored + 2]! - reference[want]!) // red
        difference += Math.abs(entry16!.data[stored]! - reference[want + 2]!) // blue
        difference += Math.abs(entry16!.data[stored + 3]! - reference[want + 3]!) // alpha
      }
    }
    // Rendered at 16 vs downscaled from 32: close, not identical.
    expect(difference / (size * size * 3)).toBeLessThan(30)
  })
})
