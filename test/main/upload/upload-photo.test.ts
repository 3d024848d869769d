/**
 * uploadPhoto end to end against the litterbox stand-in: a sideways, geotagged JPEG arrives
 * upright and without metadata at the host, and the temp file is gone afterwards, also when
 * every host fails.
 */
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { isKoutuError } from '../../../src/shared/errors'
import { uploadPhoto } from '../../../src/main/upload/upload-photo'
import { createUploader } from '../../../src/main/upload/uploader'
import { startLitterboxStandin, type FileHostStandin } from '../../standins/hosts/litterbox'
import { makeTempDir, TEST_USER_AGENT, type TempDir } from './fixtures'

let dir: TempDir
let temp: TempDir
let litterbox: FileHostStandin
let photoPath: string

beforeAll(async () => {
  ;[dir, temp, litterbox] = await Promise.all([makeTempDir(), makeTempDir('koutu-prepared-'), startLitterboxStandin()])
  // 80x40 stored, orientation 8 (displayed rotated 90° counter-clockwise): 40x80 upright.
  const raw = Buffer.alloc(80 * 40 * 3, 200)
  photoPath = join(dir.path, 'IMG_0001 (Grandma, Lyon).jpg')
  await writeFile(
    photoPath,
    await sharp(raw, { raw: { width: 80, height: 40, channels: 3 } })
      .jpeg()
      .withExif({ IFD0: { Make: 'KoutuCam' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '45/1 45/1 0/1' } })
      .withMetadata({ orientation: 8 })
      .toBuffer(),
  )
})

afterAll(async () => {
  await litterbox?.close()
  await Promise.all([dir?.remove(), temp?.remove()])
})

it('uploads the prepared photo and removes the temp file', async () => {
  const uploader = createUploader({ hosts: ['litterbox'], userAgent: TEST_USER_AGENT, baseUrls: { litterbox: litterbox.url } })
  const result = await uploadPhoto(photoPath, uploader, { prepare: { tempDir: temp.path } })
  expect(result.host).toBe('litterbox')
  expect(result.prepared.original).toMatchObject({ width: 40, height: 80, orientation: 8 })
  expect(result.prepared.actions).toEqual(['oriented', 'metadata-removed'])
  expect(result.prepared.scale).toBe(1)
  const sent = litterbox.uploads.at(-1)!.multipart.files[0]!
  expect(sent.name).not.toMatch(/Grandma|IMG/)
  const meta = await sharp(sent.data).metadata()
  expect([meta.width, meta.height, meta.exif]).toEqual([40, 80, undefined])
  const served = Buffer.from(await (await fetch(result.url)).arrayBuffer())
  expect(served.equals(sent.data)).toBe(true)
  expect(await readdir(temp.path)).toEqual([])
})

it('removes the temp file when the upload fails', async () => {
  litterbox.fault = { kind: 'status', status: 500 }
  try {
    const uploader = createUploader({ hosts: ['litterbox'], userAgent: TEST_USER_AGENT, baseUrls: { litterbox: litterbox.url } })
    const error = await uploadPhoto(photoPath, uploader, { prepare: { tempDir: temp.path } }).catch((caught: unknown) => caught)
    expect(isKoutuError(error, 'upload.all-hosts-failed')).toBe(true)
    expect(await readdir(temp.path)).toEqual([])
  } finally {
    litterbox.fault = { kind: 'none' }
  }
})
