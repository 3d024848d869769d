/** Hostile inputs for batch tests: broken, odd and huge image files, made here, and a read-only folder. */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import zlib from 'node:zlib'
import sharp from 'sharp'

function crc32(buffer: Buffer): number {
  let crc = 0xffffffff
  for (const byte of buffer) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'ascii')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0)
  return Buffer.concat([head, data, crc])
}

/**
 * A valid, fully decodable 1-bit grayscale PNG of width × height: 20000 × 20000 (400 MP) is
 * ~50 KB on disk, so a test can hold a real image far beyond the pixel limit without making one.
 */
export function hugePng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 1 // bit depth
  ihdr[9] = 0 // grayscale
  const row = Buffer.alloc(1 + Math.ceil(width / 8))
  const raw = Buffer.alloc(row.length * height)
  const idat = zlib.deflateSync(raw, { level: 9 })
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ])
}

const base = (width = 40, height = 30) =>
  sharp({ create: { width, height, channels: 3, background: '#c08040' } }).composite([
    {
      input: { create: { width: Math.floor(width / 2), height: Math.floor(height / 2), channels: 3, background: '#1030a0' } },
      left: Math.floor(width / 4),
      top: Math.floor(height / 4),
    },
  ])

/** Writes the hostile folder's files into `dir`; returns their names by kind. */
export async function writeHostileFiles(dir: string): Promise<Record<string, string>> {
  await fs.mkdir(dir, { recursive: true })
  const files: Record<string, string> = {
    zeroByte: 'zero-byte.jpg',
    truncated: 'truncated.jpg',
    textAsPng: 'text-as.png',
    sixteenBit: 'sixteen-bit.png',
    cmyk: 'cmyk.jpg',
    gray: 'gray.jpg',
    palette: 'palette.png',
    animated: 'animated.gif',
    huge: 'huge-20000.png',
    good: 'good.jpg',
  }
  await fs.writeFile(path.join(dir, files.zeroByte!), Buffer.alloc(0))
  const jpeg = await base(64, 48).jpeg({ quality: 90 }).toBuffer()
  await fs.writeFile(path.join(dir, files.truncated!), jpeg.subarray(0, Math.floor(jpeg.length / 2)))
  await fs.writeFile(path.join(dir, files.textAsPng!), 'this is a text file, not a PNG\n')
  await base().toColourspace('rgb16').png().toFile(path.join(dir, files.sixteenBit!))
  await base().toColourspace('cmyk').jpeg().toFile(path.join(dir, files.cmyk!))
  await base().greyscale().jpeg().toFile(path.join(dir, files.gray!))
  await base().ensureAlpha(0.5).png({ palette: true, colours: 8 }).toFile(path.join(dir, files.palette!))
  const frames = await Promise.all([base(32, 24).raw().toBuffer(), base(32, 24).negate().raw().toBuffer()])
  await sharp(Buffer.concat(frames), { raw: { width: 32, height: 48, channels: 3, pageHeight: 24 } })
    .gif({ loop: 0, delay: [100, 100] })
    .toFile(path.join(dir, files.animated!))
  await fs.writeFile(path.join(dir, files.huge!), hugePng(20000, 20000))
  await base().jpeg().toFile(path.join(dir, files.good!))
  return files
}

/**
 * Makes a folder unwritable, also for root (tests run as root on CI), where mode bits do not
 * stop writes: there the immutable attribute does. Returns the undo.
 */
export async function makeReadOnlyFolder(dir: string): Promise<() => Promise<void>> {
  if (process.getuid?.() === 0) {
    execFileSync('chattr', ['+i', dir])
    return async () => {
      execFileSync('chattr', ['-i', dir])
    }
  }
  await fs.chmod(dir, 0o555)
  return async () => {
    await fs.chmod(dir, 0o755)
  }
}
