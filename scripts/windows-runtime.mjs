/**
 * The Visual C++ runtime for onnxruntime on Windows, shipped app-local.
 *
 * [Note: Windows VC++ runtime] onnxruntime_binding.node and onnxruntime.dll are built against
 * the dynamic Visual C++ runtime and import MSVCP140.dll, MSVCP140_1.dll,
 * MSVCP140_ATOMIC_WAIT.dll, VCRUNTIME140.dll and (x64) VCRUNTIME140_1.dll (as read from
 * onnxruntime-node 1.30's binaries by peImports below), which Electron does not ship (it links its runtime statically) and a
 * clean Windows does not have: the model process would die at load with "The specified module
 * could not be found". Two ways out: run Microsoft's vc_redist from the installer, or put the
 * DLLs beside the binaries ("app-local" deployment, which Microsoft's redistribution terms for
 * the files in Visual Studio's Redist folder allow). Koutu ships them app-local: its NSIS
 * installer installs per user without an admin prompt, and vc_redist needs one; app-local also
 * covers a copied or unpacked app folder. Node loads a .node with LOAD_WITH_ALTERED_SEARCH_PATH,
 * so Windows looks for its dependencies in the module's own folder first: the DLLs go into
 * onnxruntime-node's bin/napi-v6/win32/<arch>/ in app.asar.unpacked.
 *
 * The DLLs are Microsoft's and are not in this repository: the Windows build takes them from
 * the Visual Studio installation on the build machine (GitHub's Windows runners have one), or
 * from KOUTU_VC_RUNTIME_DIR. A Windows build without them fails rather than ship an engine
 * that cannot load. After copying, every DLL the packed onnxruntime binaries import is checked
 * to be either beside them or part of Windows.
 *
 * Plain ESM JavaScript so electron-builder can load it (scripts/after-pack.mjs); the tests
 * import it too (test/packaging/windows-runtime.test.ts).
 */
import fs from 'node:fs'
import path from 'node:path'

/** The Visual C++ runtime's redistributable DLLs (the Microsoft.VC14x.CRT folder's files). */
const VC_RUNTIME_PATTERN = /^(msvcp140(_[a-z0-9_]+)?|vcruntime140(_[a-z0-9_]+)?|concrt140|vccorlib140)\.dll$/i

export function isVcRuntimeDll(name) {
  return VC_RUNTIME_PATTERN.test(name)
}

/**
 * DLLs every supported Windows (10 and 11) has in System32, or that the loading process
 * provides: what a packed binary may import without shipping it. `api-ms-win-*` and
 * `ext-ms-win-*` API sets are recognised by prefix.
 */
const WINDOWS_DLLS = new Set([
  'advapi32.dll', 'bcrypt.dll', 'cfgmgr32.dll', 'comctl32.dll', 'comdlg32.dll', 'crypt32.dll', 'd3d11.dll', 'd3d12.dll',
  'dbghelp.dll', 'dwmapi.dll', 'dxcore.dll', 'dxgi.dll', 'gdi32.dll', 'imm32.dll', 'iphlpapi.dll', 'kernel32.dll',
  'kernelbase.dll', 'mswsock.dll', 'ncrypt.dll', 'netapi32.dll', 'ntdll.dll', 'ole32.dll', 'oleaut32.dll', 'powrprof.dll',
  'psapi.dll', 'rpcrt4.dll', 'secur32.dll', 'setupapi.dll', 'shell32.dll', 'shlwapi.dll', 'ucrtbase.dll', 'user32.dll',
  'userenv.dll', 'uxtheme.dll', 'version.dll', 'winmm.dll', 'ws2_32.dll', 'wintrust.dll', 'dxva2.dll', 'mf.dll',
  'mfplat.dll', 'mfreadwrite.dll', 'opengl32.dll', 'dwrite.dll', 'd2d1.dll', 'propsys.dll', 'wldap32.dll',
  // Provided by the process that loads a Node-API module (Electron's delay-load hook maps it).
  'node.exe',
])

export function isWindowsDll(name) {
  const lower = name.toLowerCase()
  return WINDOWS_DLLS.has(lower) || lower.startsWith('api-ms-win-') || lower.startsWith('ext-ms-win-')
}

/**
 * The DLL names a PE file (a .dll, .exe or .node) imports, normal and delay-loaded, lower case.
 * Reads the import directory (data directory 1) and the delay-import directory (13).
 */
export function peImports(buffer) {
  const fail = (why) => {
    throw new Error(`not a PE file: ${why}`)
  }
  if (buffer.length < 64 || buffer.toString('latin1', 0, 2) !== 'MZ') fail('no MZ header')
  const pe = buffer.readUInt32LE(0x3c)
  if (buffer.toString('latin1', pe, pe + 4) !== 'PE\0\0') fail('no PE signature')
  const sectionCount = buffer.readUInt16LE(pe + 6)
  const optionalSize = buffer.readUInt16LE(pe + 20)
  const optional = pe + 24
  const magic = buffer.readUInt16LE(optional)
  if (magic !== 0x10b && magic !== 0x20b) fail(`unknown optional header 0x${magic.toString(16)}`)
  const directories = optional + (magic === 0x20b ? 112 : 96)
  const sections = []
  for (let index = 0, at = optional + optionalSize; index < sectionCount; index += 1, at += 40) {
    sections.push({
      virtualAddress: buffer.readUInt32LE(at + 12),
      virtualSize: Math.max(buffer.readUInt32LE(at + 8), buffer.readUInt32LE(at + 16)),
      rawOffset: buffer.readUInt32LE(at + 20),
    })
  }
  const offsetOf = (rva) => {
    const section = sections.find((candidate) => rva >= candidate.virtualAddress && rva < candidate.virtualAddress + candidate.virtualSize)
    if (!section) fail(`address 0x${rva.toString(16)} is in no section`)
    return rva - section.virtualAddress + section.rawOffset
  }
  const cString = (offset) => buffer.toString('latin1', offset, buffer.indexOf(0, offset))
  const names = new Set()
  const read = (directoryIndex, entrySize, nameField) => {
    const rva = buffer.readUInt32LE(directories + directoryIndex * 8)
    if (rva === 0) return
    for (let at = offsetOf(rva); ; at += entrySize) {
      const nameRva = buffer.readUInt32LE(at + nameField)
      if (nameRva === 0) break
      names.add(cString(offsetOf(nameRva)).toLowerCase())
    }
  }
  read(1, 20, 12)
  read(13, 32, 4)
  return [...names].sort()
}

/** Orders folder names like 14.9.1 < 14.10.0 (numbers compared as numbers). */
const byVersion = (a, b) => a.localeCompare(b, 'en', { numeric: true })

/**
 * Where the Visual C++ runtime DLLs `needed` for `arch` ('x64' or 'arm64') are on this machine:
 * KOUTU_VC_RUNTIME_DIR, else the Redist folder of the Visual Studio whose developer prompt is
 * open (VCToolsRedistDir), else the newest Visual Studio under Program Files. Returns null
 * when none holds all of them.
 */
export function findVcRuntimeDir(arch, needed, env = process.env, exists = fs.existsSync, list = (dir) => fs.readdirSync(dir)) {
  const complete = (dir) => needed.every((file) => exists(path.join(dir, file)))
  const crtIn = (redistArchDir) => {
    if (!exists(redistArchDir)) return null
    const crt = list(redistArchDir)
      .filter((name) => /^Microsoft\.VC\d+\.CRT$/i.test(name))
      .sort()
      .reverse()
      .map((name) => path.join(redistArchDir, name))
      .find(complete)
    return crt ?? null
  }
  if (env.KOUTU_VC_RUNTIME_DIR) return complete(env.KOUTU_VC_RUNTIME_DIR) ? env.KOUTU_VC_RUNTIME_DIR : null
  if (env.VCToolsRedistDir) {
    const found = crtIn(path.join(env.VCToolsRedistDir, arch))
    if (found) return found
  }
  for (const programFiles of [env.ProgramFiles, env['ProgramFiles(x86)']].filter(Boolean)) {
    const vsRoot = path.join(programFiles, 'Microsoft Visual Studio')
    if (!exists(vsRoot)) continue
    for (const year of list(vsRoot).sort(byVersion).reverse()) {
      const yearDir = path.join(vsRoot, year)
      for (const edition of exists(yearDir) ? list(yearDir) : []) {
        const msvc = path.join(yearDir, edition, 'VC', 'Redist', 'MSVC')
        if (!exists(msvc)) continue
        for (const version of list(msvc).sort(byVersion).reverse()) {
          const found = crtIn(path.join(msvc, version, arch))
          if (found) return found
        }
      }
    }
  }
  return null
}

/** onnxruntime-node's binaries for `arch` inside a packed app folder (electron-builder's appOutDir). */
export function onnxruntimeBinDir(appOutDir, arch) {
  return path.join(appOutDir, 'resources', 'app.asar.unpacked', 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'win32', arch)
}

/** The PE files (.dll, .node) in `dir` and what each imports. */
function importsIn(dir) {
  return fs
    .readdirSync(dir)
    .filter((name) => /\.(dll|node)$/i.test(name))
    .map((file) => ({ file, imports: peImports(fs.readFileSync(path.join(dir, file))) }))
}

/** The Visual C++ runtime DLLs the binaries in `dir` import, lower case, sorted. */
export function vcRuntimeDllsNeeded(dir) {
  return [...new Set(importsIn(dir).flatMap(({ imports }) => imports.filter(isVcRuntimeDll)))].sort()
}

/** DLLs the PE files in `dir` import that are neither in `dir` nor part of Windows. */
export function missingDependencies(dir) {
  const present = new Set(fs.readdirSync(dir).map((name) => name.toLowerCase()))
  const missing = new Set()
  for (const { file, imports } of importsIn(dir)) {
    for (const imported of imports) {
      if (!present.has(imported) && !isWindowsDll(imported)) missing.add(`${imported} (imported by ${file})`)
    }
  }
  return [...missing].sort()
}

/**
 * Copies the Visual C++ runtime beside onnxruntime's binaries in a packed Windows app, then
 * checks nothing they import is missing. Throws (failing the build) when the DLLs cannot be
 * found or something is still missing.
 */
export function shipVcRuntime({ appOutDir, arch, env = process.env, findDir = findVcRuntimeDir }) {
  const target = onnxruntimeBinDir(appOutDir, arch)
  if (!fs.existsSync(target)) throw new Error(`onnxruntime-node's Windows ${arch} binaries are not in the package (${target})`)
  const needed = vcRuntimeDllsNeeded(target)
  const source = findDir(arch, needed, env)
  if (!source) {
    throw new Error(
      `The Visual C++ runtime DLLs (${needed.join(', ')}) for ${arch} were not found. Install Visual Studio 2022 ` +
        "with the 'Desktop development with C++' workload, run the build from its developer prompt, or set " +
        'KOUTU_VC_RUNTIME_DIR to a folder holding them (docs/installers.md, Windows).',
    )
  }
  for (const file of needed) fs.copyFileSync(path.join(source, file), path.join(target, file))
  const missing = missingDependencies(target)
  if (missing.length > 0) throw new Error(`onnxruntime's Windows binaries import DLLs the package does not carry: ${missing.join(', ')}`)
  return { source, target, copied: needed }
}
