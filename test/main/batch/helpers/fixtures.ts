/** Real image files for batch tests, made with sharp; and small file-system helpers. */
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'

export async function makeTempDir(prefix = 'koutu-batch-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix))
  return fs.realpath(dir)
}

/** A small photo-like image: a bright square on a dark background. */
export async function writeImage(
  filePath: string,
  options: { width?: number; height?: number; format?: 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff'; orientation?: number } = {},
): Promise<void> {
  const width = options.width ?? 48
  const height = options.height ?? 32
  const square = await sharp({ create: { width: Math.ceil(width / 2), height: Math.ceil(height / 2), channels: 3, background: '#f0e0d0' } })
    .png()
    .toBuffer()
  let image = sharp({ create: { width, height, channels: 3, background: '#202030' } }).composite([
    { input: square, left: Math.floor(width / 4), top: Math.floor(height / 4) },
  ])
  const format = options.format ?? (path.extname(filePath).toLowerCase() === '.png' ? 'png' : 'jpeg')
  if (options.orientation !== undefined) image = image.withMetadata({ orientation: options.orientation })
  await fs.mkdir(path.dirname(filePath), { recursive: true })
  await fs.writeFile(filePath, await image.toFormat(format).toBuffer())
}

export async function sha256(filePath: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(filePath))
    .digest('hex')
}

/** Every file under `dir` (relative paths, sorted), hidden ones included. */
export async function listTree(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort()
}
