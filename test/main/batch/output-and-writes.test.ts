/** Output naming, the own-output matcher, atomic writes and stale temp cleanup, on real files. */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { removeStaleTemps, writeFileAtomic } from '../../../src/main/batch/atomic-write'
import { ownOutputMatcher, tempNameFor } from '../../../src/main/batch/file-kinds'
import { baseOutputPath, numberedPath } from '../../../src/main/batch/output-planner'
import { silentLogger } from '../../../src/shared/logger'
import { listTree, makeTempDir } from './helpers/fixtures'
import { makeReadOnlyFolder } from './helpers/hostile'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function dir(): Promise<string> {
  const root = await makeTempDir('koutu-write-')
  cleanups.push(() => fs.rm(root, { recursive: true, force: true }))
  return root
}

describe('output naming', () => {
  it('names outputs next to the original or mirrored under the output root', () => {
    const layout = { suffix: '-cutout', format: 'png' as const, outputRoot: null, onConflict: 'skip' as const }
    expect(baseOutputPath({ inputPath: '/p/shoot/a b.JPG', base: '/p' }, layout)).toBe('/p/shoot/a b-cutout.png')
    expect(baseOutputPath({ inputPath: '/p/shoot/x/y.heic', base: '/p' }, { ...layout, outputRoot: '/out', suffix: '', format: 'webp' })).toBe(
      '/out/shoot/x/y.webp',
    )
    expect(numberedPath('/p/a-cutout.png', 2)).toBe('/p/a-cutout (2).png')
    expect(numberedPath('/p/a-cutout.png', 1)).toBe('/p/a-cutout.png')
  })

  it('recognises its own outputs by suffix, numbered or not, in either format', () => {
    const isOutput = ownOutputMatcher('-cutout')
    expect(['a-cutout.png', 'a-cutout (12).PNG', 'a-cutout.webp'].map(isOutput)).toEqual([true, true, true])
    expect(['a.png', 'a-cutout.jpg', 'a-cutoutx.png', 'a-cutout (x).png'].map(isOutput)).toEqual([false, false, false, false])
    expect(ownOutputMatcher('')('a.png')).toBe(false)
    expect(ownOutputMatcher('.bg (1)')('a.bg (1).png')).toBe(true)
  })
})

describe('writeFileAtomic', () => {
  it('publishes complete files and never replaces an existing one unless told to', async () => {
    const root = await dir()
    const target = path.join(root, 'deep', 'a-cutout.png')
    expect(await writeFileAtomic(target, Buffer.from('first'), { replace: false })).toBe(true)
    expect(await writeFileAtomic(target, Buffer.from('second'), { replace: false })).toBe(false)
    expect(await fs.readFile(target, 'utf8')).toBe('first')
    expect(await writeFileAtomic(target, Buffer.from('third'), { replace: true })).toBe(true)
    expect(await fs.readFile(target, 'utf8')).toBe('third')
    expect(await listTree(root)).toEqual(['deep/a-cutout.png'])
  })

  it('fails with a clear reason in a folder that cannot be written, leaving nothing behind', async () => {
    const root = await dir()
    const locked = path.join(root, 'locked')
    await fs.mkdir(locked)
    cleanups.push(await makeReadOnlyFolder(locked))
    await expect(writeFileAtomic(path.join(locked, 'a-cutout.png'), Buffer.from('x'), { replace: false })).rejects.toMatchObject({
      code: 'batch.output-unwritable',
      detail: { outputPath: path.join(locked, 'a-cutout.png') },
    })
    expect(await listTree(root)).toEqual([])
  })

  it('removes temp files whose writer is gone and keeps everything else', async () => {
    const root = await dir()
    const gone = spawnSync(process.execPath, ['-e', '']).pid!
    const stale = tempNameFor('a-cutout.png', gone, 'ff00')
    const mine = tempNameFor('b-cutout.png', process.pid, 'ee11')
    for (const name of [stale, mine, 'a-cutout.png', '.other']) await fs.writeFile(path.join(root, name), 'x')
    expect(await removeStaleTemps(root, silentLogger)).toBe(1)
    expect(await listTree(root)).toEqual(['.other', mine, 'a-cutout.png'].sort())
  })
})
