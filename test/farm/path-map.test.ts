/** `--map FROM=TO`: the share seen from a Mac, a Linux machine and Windows. */
import { describe, expect, it } from 'vitest'
import { mapPath, parsePathMapping } from '../../src/main/farm/path-map'

describe('path mappings', () => {
  it('rewrites the longest prefix at a segment boundary, and only that', () => {
    const maps = ['/Volumes/Shoot=/mnt/shoot', '/Volumes/Shoot/raw=/srv/raw'].map(parsePathMapping)
    expect(mapPath('/Volumes/Shoot/day 1/a.jpg', maps)).toBe('/mnt/shoot/day 1/a.jpg')
    expect(mapPath('/Volumes/Shoot/raw/b.tif', maps)).toBe('/srv/raw/b.tif')
    expect(mapPath('/Volumes/Shoot', maps)).toBe('/mnt/shoot')
    // A sibling whose name starts the same is not inside the share.
    expect(mapPath('/Volumes/Shooting/c.jpg', maps)).toBe('/Volumes/Shooting/c.jpg')
    expect(mapPath('/elsewhere/d.jpg', maps)).toBe('/elsewhere/d.jpg')
    // POSIX to POSIX: a backslash in a file name stays.
    expect(mapPath('/Volumes/Shoot/odd\\name.jpg', maps)).toBe('/mnt/shoot/odd\\name.jpg')
  })

  it('maps between POSIX and Windows paths, drive letters without case', () => {
    const toWindows = [parsePathMapping('/Volumes/Shoot=S:\\')]
    expect(mapPath('/Volumes/Shoot/客户 A/a.jpg', toWindows)).toBe('S:\\客户 A\\a.jpg')
    const fromWindows = [parsePathMapping('S:\\Shoot\\=/mnt/shoot/')]
    expect(mapPath('s:\\shoot\\day1\\b.png', fromWindows)).toBe('/mnt/shoot/day1/b.png')
    const unc = [parsePathMapping('\\\\nas\\shoot=/mnt/shoot')]
    expect(mapPath('\\\\nas\\shoot\\c.jpg', unc)).toBe('/mnt/shoot/c.jpg')
    expect(mapPath('/', [parsePathMapping('/=/mnt/root')])).toBe('/mnt/root')
    expect(mapPath('/a/b.jpg', [parsePathMapping('/=/mnt/root')])).toBe('/mnt/root/a/b.jpg')
  })

  it('refuses a mapping that is not FROM=TO with absolute paths', () => {
    for (const bad of ['relative=/x', '/x=relative', '/x', '=/x', '/x=']) {
      expect(() => parsePathMapping(bad), bad).toThrow(expect.objectContaining({ code: 'farm.invalid-map' }))
    }
  })
})
