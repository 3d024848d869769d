// The Visual C++ runtime on Windows (see [Note: Windows VC++ runtime] in scripts/windows-runtime.mjs):
// what onnxruntime-node's real Windows binaries import, read from their PE import tables; the
// afterPack hook copying the runtime beside them in a packed app folder found the three ways a
// build machine offers it; and the build failing, with a message that says what to install,
// when it is not there. Microsoft's DLLs cannot be downloaded here, so the "runtime" folders
// hold real PE files from onnxruntime-node (dxil.dll) under the runtime's names.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
// @ts-expect-error -- plain ESM JavaScript, loaded by electron-builder as well
import afterPack from '../../scripts/after-pack.mjs'
// @ts-expect-error -- plain ESM JavaScript, loaded by electron-builder as well
import * as runtime from '../../scripts/windows-runtime.mjs'

interface Runtime {
  peImports(buffer: Buffer): string[]
  isWindowsDll(name: string): boolean
  isVcRuntimeDll(name: string): boolean
  vcRuntimeDllsNeeded(dir: string): string[]
  missingDependencies(dir: string): string[]
  findVcRuntimeDir(arch: string, needed: string[], env: Record<string, string | undefined>): string | null
  onnxruntimeBinDir(appOutDir: string, arch: string): string
  shipVcRuntime(options: { appOutDir: string; arch: string; env?: Record<string, string | undefined> }): { source: string; copied: string[] }
}
const win = runtime as Runtime
const ORT_WIN32 = path.resolve(import.meta.dirname, '../../node_modules/onnxruntime-node/bin/napi-v6/win32')
const SOME_PE_FILE = path.join(ORT_WIN32, 'x64', 'dxil.dll')

const scratch: string[] = []
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-vcrt-'))
  scratch.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of scratch.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

/** A packed Windows app folder as electron-builder leaves it, with onnxruntime's real binaries. */
function packedApp(arch: 'x64' | 'arm64'): string {
  const appOutDir = tempDir()
  const target = win.onnxruntimeBinDir(appOutDir, arch)
  fs.mkdirSync(target, { recursive: true })
  for (const file of fs.readdirSync(path.join(ORT_WIN32, arch))) fs.copyFileSync(path.join(ORT_WIN32, arch, file), path.join(target, file))
  return appOutDir
}

/** A folder holding PE files under the runtime's names (all of `names`). */
function runtimeFolder(dir: string, names: string[]): string {
  fs.mkdirSync(dir, { recursive: true })
  for (const name of names) fs.copyFileSync(SOME_PE_FILE, path.join(dir, name))
  return dir
}

const X64_RUNTIME = ['msvcp140.dll', 'msvcp140_1.dll', 'msvcp140_atomic_wait.dll', 'vcruntime140.dll', 'vcruntime140_1.dll']

describe("onnxruntime-node's Windows binaries", () => {
  it('import the Visual C++ runtime, which Windows and Electron lack, and nothing else that is not beside them', () => {
    expect(win.vcRuntimeDllsNeeded(path.join(ORT_WIN32, 'x64'))).toEqual(X64_RUNTIME)
    expect(win.vcRuntimeDllsNeeded(path.join(ORT_WIN32, 'arm64'))).toEqual(['msvcp140.dll', 'msvcp140_1.dll', 'msvcp140_atomic_wait.dll', 'vcruntime140.dll'])
    for (const arch of ['x64', 'arm64']) {
      const missing = win.missingDependencies(path.join(ORT_WIN32, arch)).map((entry) => entry.split(' ')[0]!)
      expect(missing.length).toBeGreaterThan(0)
      expect(missing.every((name) => win.isVcRuntimeDll(name))).toBe(true)
    }
    const binding = win.peImports(fs.readFileSync(path.join(ORT_WIN32, 'x64', 'onnxruntime_binding.node')))
    expect(binding).toContain('onnxruntime.dll')
    expect(binding).toContain('kernel32.dll')
  })

  it('refuses to read a file that is not a PE image', () => {
    expect(() => win.peImports(Buffer.from('#!/bin/sh\necho not a dll\n'))).toThrow(/not a PE file/)
  })
})

describe('the afterPack hook', () => {
  it("copies the runtime beside onnxruntime from Visual Studio's Redist folder and leaves nothing missing", async () => {
    const programFiles = tempDir()
    const msvc = path.join(programFiles, 'Microsoft Visual Studio', '2022', 'Enterprise', 'VC', 'Redist', 'MSVC')
    runtimeFolder(path.join(msvc, '14.38.33135', 'x64', 'Microsoft.VC143.CRT'), X64_RUNTIME)
    runtimeFolder(path.join(msvc, '14.42.34433', 'x64', 'Microsoft.VC143.CRT'), X64_RUNTIME)
    // An older toolset without the atomic-wait DLL is passed over.
    runtimeFolder(path.join(msvc, '14.50.0', 'x64', 'Microsoft.VC143.CRT'), X64_RUNTIME.slice(0, 2))
    const appOutDir = packedApp('x64')
    const shipped = win.shipVcRuntime({ appOutDir, arch: 'x64', env: { ProgramFiles: programFiles } })
    expect(shipped.source).toBe(path.join(msvc, '14.42.34433', 'x64', 'Microsoft.VC143.CRT'))
    expect(shipped.copied).toEqual(X64_RUNTIME)
    const target = win.onnxruntimeBinDir(appOutDir, 'x64')
    for (const file of X64_RUNTIME) expect(fs.existsSync(path.join(target, file))).toBe(true)
    expect(win.missingDependencies(target)).toEqual([])
  })

  it('takes the folder of an open developer prompt or KOUTU_VC_RUNTIME_DIR', () => {
    const redist = tempDir()
    const arm64 = ['msvcp140.dll', 'msvcp140_1.dll', 'msvcp140_atomic_wait.dll', 'vcruntime140.dll']
    const crt = runtimeFolder(path.join(redist, 'arm64', 'Microsoft.VC143.CRT'), arm64)
    expect(win.findVcRuntimeDir('arm64', arm64, { VCToolsRedistDir: redist })).toBe(crt)
    expect(win.findVcRuntimeDir('x64', X64_RUNTIME, { VCToolsRedistDir: redist })).toBeNull()
    const own = runtimeFolder(path.join(tempDir(), 'vcrt'), X64_RUNTIME)
    expect(win.findVcRuntimeDir('x64', X64_RUNTIME, { KOUTU_VC_RUNTIME_DIR: own, VCToolsRedistDir: redist })).toBe(own)
  })

  it('fails the Windows build, saying what to install, when the runtime is not on the machine', () => {
    const appOutDir = packedApp('x64')
    expect(() => win.shipVcRuntime({ appOutDir, arch: 'x64', env: { ProgramFiles: tempDir() } })).toThrow(
      /msvcp140_atomic_wait\.dll.*not found.*Desktop development with C\+\+.*KOUTU_VC_RUNTIME_DIR/s,
    )
    expect(win.missingDependencies(win.onnxruntimeBinDir(appOutDir, 'x64')).length).toBeGreaterThan(0)
  })

  it('runs for Windows builds only, with electron-builder.yml pointing at it', async () => {
    const yml = fs.readFileSync(path.resolve(import.meta.dirname, '../../electron-builder.yml'), 'utf8')
    expect(/^afterPack: (.+)$/m.exec(yml)?.[1]).toBe('./scripts/after-pack.mjs')
    const appOutDir = packedApp('x64')
    await (afterPack as (context: unknown) => Promise<void>)({ electronPlatformName: 'linux', arch: 1, appOutDir })
    expect(fs.existsSync(path.join(win.onnxruntimeBinDir(appOutDir, 'x64'), 'msvcp140.dll'))).toBe(false)
    const own = runtimeFolder(path.join(tempDir(), 'vcrt'), X64_RUNTIME)
    process.env.KOUTU_VC_RUNTIME_DIR = own
    try {
      await (afterPack as (context: unknown) => Promise<void>)({ electronPlatformName: 'win32', arch: 1, appOutDir })
    } finally {
      delete process.env.KOUTU_VC_RUNTIME_DIR
    }
    expect(win.missingDependencies(win.onnxruntimeBinDir(appOutDir, 'x64'))).toEqual([])
  })
})
