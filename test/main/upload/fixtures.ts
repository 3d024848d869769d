/** Test files for the upload tests: real JPEGs made with sharp, written to a temp folder. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import type { PreparedUpload } from '../../../src/main/upload/types'

export interface TempDir {
  path: string
  remove(): Promise<void>
}

export async function makeTempDir(prefix = 'koutu-upload-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}

/** A noisy JPEG (noise keeps it from compressing to nothing) of about width*height*0.5 bytes. */
export async function noisyJpeg(width: number, height: number): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3)
  for (let i = 0; i < raw.length; i++) raw[i] = Math.imul(i, 2654435761) >>> 24
  return sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer()
}

/** Writes `data` under a telling (private) file name and describes it as a prepared upload. */
export async function fileUpload(dir: string, data: Buffer, name = 'Holiday photo of Grandma.jpg'): Promise<PreparedUpload> {
  const path = join(dir, name)
  await writeFile(path, data)
  return { kind: 'file', path, size: data.length, mimeType: 'image/jpeg', extension: 'jpg' }
}

export const TEST_USER_AGENT = 'Koutu/0.1.0-test (+https://github.com/koutu/koutu)'
