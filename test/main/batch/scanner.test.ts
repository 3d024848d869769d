/** The scanner over real folders: what it finds, what it skips and why, and that it streams. */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ownOutputMatcher, tempNameFor } from '../../../src/main/batch/file-kinds'
import { scanPaths, type ScanChunk, type ScanOptions } from '../../../src/main/batch/scanner'
import { makeTempDir } from './helpers/fixtures'

const roots: string[] = []
afterEach(async () => {
  for (const root of roots.splice(0)) await fs.rm(root, { recursive: true, force: true })
})

async function tree(files: string[]): Promise<string> {
  const root = await makeTempDir('koutu-scan-')
  roots.push(root)
  for (const file of files) {
    await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true })
    await fs.writeFile(path.join(root, file), 'x')
  }
  return root
}

async function collect(paths: string[], options: Partial<ScanOptions> = {}): Promise<{ chunks: ScanChunk[]; merged: ScanChunk }> {
  const chunks: ScanChunk[] = []
  for await (const chunk of scanPaths(paths, { recursive: true, isOwnOutput: ownOutputMatcher('-cutout'), ...options })) chunks.push(chunk)
  return {
    chunks,
    merged: {
      files: chunks.flatMap((chunk) => chunk.files),
      problems: chunks.flatMap((chunk) => chunk.problems),
      staleTemps: chunks.flatMap((chunk) => chunk.staleTemps),
    },
  }
}

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''])
  return child.pid!
}

describe('scanPaths', () => {
  it('finds images by extension in any case, walks subfolders, and skips hidden files, outputs and non-images', async () => {
    const root = await tree([
      'a.JPG',
      'b.jpeg',
      'c.Png',
      'd.webp',
      'e.avif',
      'f.tif',
      'g.TIFF',
      'h.bmp',
      'i.gif',
      'j.HEIC',
      'k.heif',
      'sub/中文 照片 😀.jpg',
      'sub/deeper/x.png',
      'notes.txt',
      'raw.cr2',
      '.hidden.jpg',
      '.git/objects/y.png',
      'a-cutout.png',
      'a-cutout (2).webp',
      'sub/x-cutout.PNG',
    ])
    const { merged } = await collect([root])
    expect(merged.files.map((file) => path.relative(root, file.inputPath))).toEqual([
      'a.JPG',
      'b.jpeg',
      'c.Png',
      'd.webp',
      'e.avif',
      'f.tif',
      'g.TIFF',
      'h.bmp',
      'i.gif',
      'j.HEIC',
      'k.heif',
      'sub/中文 照片 😀.jpg',
      'sub/deeper/x.png',
    ])
    expect(merged.problems).toEqual([])
    for (const file of merged.files) {
      expect(file.key).toBe(file.inputPath)
      expect(file.base).toBe(path.dirname(root))
    }
    const flat = await collect([root], { recursive: false })
    expect(flat.merged.files.some((file) => file.inputPath.includes(`${path.sep}sub${path.sep}`))).toBe(false)
    expect(flat.merged.files).toHaveLength(11)
  })

  it('reports dropped paths that are missing or not images, and follows symlinks without looping', async () => {
    const root = await tree(['photos/p.jpg', 'elsewhere/q.jpg', 'photos/inner/r.jpg'])
    await fs.symlink(path.join(root, 'elsewhere'), path.join(root, 'photos', 'linked'))
    await fs.symlink(path.join(root, 'photos'), path.join(root, 'photos', 'inner', 'back-to-top'))
    await fs.symlink('nowhere.jpg', path.join(root, 'photos', 'broken.jpg'))
    await fs.symlink(path.join(root, 'photos', 'p.jpg'), path.join(root, 'photos', 'alias.jpg'))
    await fs.writeFile(path.join(root, 'notes.txt'), 'text')
    const { merged } = await collect([path.join(root, 'photos'), path.join(root, 'missing.jpg'), path.join(root, 'notes.txt')])
    const found = merged.files.map((file) => [path.relative(root, file.inputPath), path.relative(root, file.key)])
    expect(found).toEqual([
      ['photos/alias.jpg', 'photos/p.jpg'],
      ['photos/p.jpg', 'photos/p.jpg'],
      ['photos/inner/r.jpg', 'photos/inner/r.jpg'],
      ['photos/linked/q.jpg', 'elsewhere/q.jpg'],
    ])
    const problems = merged.problems.map((problem) => [path.relative(root, problem.inputPath), problem.status, problem.error.code])
    expect(problems).toEqual([
      ['photos/broken.jpg', 'skipped', 'batch.input-vanished'],
      ['photos/inner/back-to-top', 'skipped', 'batch.symlink-loop'],
      ['missing.jpg', 'skipped', 'batch.input-vanished'],
      ['notes.txt', 'skipped', 'batch.not-an-image'],
    ])
  })

  it('reports temp files of writers that are gone, and leaves those of running writers', async () => {
    const dead = tempNameFor('a-cutout.png', deadPid(), 'ab12')
    const live = tempNameFor('b-cutout.png', process.pid, 'cd34')
    const root = await tree(['a.jpg', dead, live, '.koutu-tmp-not-ours'])
    const { merged } = await collect([root])
    expect(merged.staleTemps).toEqual([path.join(root, dead)])
    expect(merged.files.map((file) => path.basename(file.inputPath))).toEqual(['a.jpg'])
  })

  it('streams a large folder in chunks without holding up the event loop', async () => {
    const root = await makeTempDir('koutu-scan-big-')
    roots.push(root)
    const count = 20_000
    for (let folder = 0; folder < 4; folder += 1) {
      const dir = path.join(root, `f${folder}`)
      await fs.mkdir(dir)
      await Promise.all(Array.from({ length: count / 4 }, (_, index) => fs.writeFile(path.join(dir, `img-${index}.jpg`), '')))
    }
    let maxGap = 0
    let last = performance.now()
    const timer = setInterval(() => {
      const now = performance.now()
      maxGap = Math.max(maxGap, now - last)
      last = now
    }, 5)
    const { chunks, merged } = await collect([root])
    clearInterval(timer)
    expect(merged.files).toHaveLength(count)
    expect(new Set(merged.files.map((file) => file.key)).size).toBe(count)
    expect(chunks.length).toBeGreaterThanOrEqual(count / 500)
    expect(Math.max(...chunks.map((chunk) => chunk.files.length))).toBeLessThanOrEqual(500)
    // The loop got a turn at least every few hundred ms, even on a busy shared CPU (a scan that
    // never yields holds it for the whole walk).
    expect(maxGap).toBeLessThan(400)
  })
})
