import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LaunchPathInbox, pathsFromArgv } from '../../../src/main/tray/launch-paths'
import { FakeClock } from './fake-timers'

let root: string
let photos: string
let photo: string
let spaced: string

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-launch-'))
  photos = path.join(root, 'photos')
  fs.mkdirSync(photos)
  photo = path.join(photos, 'cat.jpg')
  fs.writeFileSync(photo, 'not really a jpeg')
  spaced = path.join(root, 'holiday 2024 照片')
  fs.mkdirSync(spaced)
})

afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

describe('paths from argv', () => {
  it('takes existing paths after the executable, resolving relative ones against cwd', () => {
    const argv = ['/opt/Koutu/koutu', 'photos', photo, spaced, path.join(root, 'missing')]
    expect(pathsFromArgv(argv, { cwd: root, defaultApp: false })).toEqual([photos, photo, spaced])
  })

  it("skips the app folder when unpackaged, and switches (Chromium's, macOS's -psn_)", () => {
    const argv = ['/usr/lib/electron', '.', '--allow-file-access-from-files', '--original-process-start-time=1', '-psn_0_1234', photos]
    expect(pathsFromArgv(argv, { cwd: root, defaultApp: true })).toEqual([photos])
  })

  it('treats everything after -- as a path, accepts file:// URLs and ignores other URLs and duplicates', () => {
    const dashed = path.join(root, '-odd-name')
    fs.mkdirSync(dashed)
    const argv = ['koutu', pathToFileURL(spaced).href, 'https://example.com/a.jpg', photos, '--', '-odd-name', photos]
    expect(pathsFromArgv(argv, { cwd: root, defaultApp: false })).toEqual([spaced, photos, dashed])
  })

  it('uses the injected existence check', () => {
    const argv = ['koutu', '/a', '/b']
    expect(pathsFromArgv(argv, { cwd: '/', defaultApp: false, exists: (candidate) => candidate === '/b' })).toEqual(['/b'])
  })
})

describe('launch path inbox', () => {
  it('holds paths until a receiver attaches, then delivers a burst as one call', () => {
    const clock = new FakeClock()
    const inbox = new LaunchPathInbox({ timers: clock, burstMs: 100 })
    const received: string[][] = []
    inbox.add(['/a'])
    inbox.add(['/b', '/a'])
    clock.advance(1_000)
    expect(received).toEqual([])
    inbox.attach((paths) => received.push(paths))
    clock.advance(50)
    inbox.add(['/c'])
    clock.advance(99)
    expect(received).toEqual([])
    clock.advance(1)
    expect(received).toEqual([['/a', '/b', '/c']])
    inbox.add(['/d'])
    clock.advance(100)
    expect(received).toEqual([['/a', '/b', '/c'], ['/d']])
    inbox.add([])
    clock.advance(500)
    expect(received).toHaveLength(2)
  })
})
