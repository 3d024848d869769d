/**
 * Prepares the packaged app (electron-builder's unpacked output in release/<version>/) for the
 * Electron smoke test: a copy in a scratch folder with one fuse changed,
 * EnableNodeCliInspectArguments, because Playwright's `_electron.launch` drives the main process
 * through `--inspect=0`, which the release build refuses (electron-builder.yml's electronFuses).
 * Every other byte is the release's; the smoke test checks the other fuses are still as built.
 * The original stays untouched and is what the installers contain.
 *
 * Prints `KOUTU_SMOKE_APP=<executable>` and `KOUTU_SMOKE_RELEASE_APP=<original executable>`
 * (lines for $GITHUB_ENV).
 * Usage: tsx scripts/release/smoke-app.ts [--release-dir <dir>] [--out <dir>] [--platform <p>] [--arch <a>]
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { flipFuses, FuseV1Options, FuseVersion } from '@electron/fuses'

export interface PackagedApp {
  /** What electron-builder made: the folder (Windows, Linux) or the .app (macOS). */
  bundle: string
  executable: string
}

/** Where electron-builder puts the unpacked app for a platform and architecture, and its executable. */
export function locatePackagedApp(releaseDir: string, platform: NodeJS.Platform, arch: string, productName = 'Koutu', executableName = 'koutu'): PackagedApp {
  const suffix = arch === 'x64' ? '' : `-${arch}`
  if (platform === 'darwin') {
    const bundle = path.join(releaseDir, arch === 'x64' ? 'mac' : `mac-${arch}`, `${productName}.app`)
    return { bundle, executable: path.join(bundle, 'Contents', 'MacOS', productName) }
  }
  if (platform === 'win32') {
    const bundle = path.join(releaseDir, `win${suffix}-unpacked`)
    return { bundle, executable: path.join(bundle, `${productName}.exe`) }
  }
  const bundle = path.join(releaseDir, `linux${suffix}-unpacked`)
  return { bundle, executable: path.join(bundle, executableName) }
}

/** Copies the packaged app to `outDir` and turns on the inspector fuse in the copy only. */
export async function prepareSmokeApp(app: PackagedApp, outDir: string, platform: NodeJS.Platform): Promise<PackagedApp> {
  if (!fs.existsSync(app.executable)) throw new Error(`no packaged app at ${app.executable} (run npm run dist first)`)
  fs.rmSync(outDir, { recursive: true, force: true })
  fs.mkdirSync(outDir, { recursive: true })
  const bundle = path.join(outDir, path.basename(app.bundle))
  // verbatimSymlinks: a macOS bundle's frameworks are symlinks that must stay symlinks.
  fs.cpSync(app.bundle, bundle, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true })
  const copy = { bundle, executable: path.join(bundle, path.relative(app.bundle, app.executable)) }
  await flipFuses(platform === 'darwin' ? copy.bundle : copy.executable, {
    version: FuseVersion.V1,
    [FuseV1Options.EnableNodeCliInspectArguments]: true,
    // Changing the binary invalidates its signature; the copy is re-signed ad hoc so it starts.
    resetAdHocDarwinSignature: platform === 'darwin',
  })
  return copy
}

async function main(): Promise<void> {
  const root = path.resolve(import.meta.dirname, '../..')
  const { values } = parseArgs({
    options: {
      'release-dir': { type: 'string' },
      out: { type: 'string' },
      platform: { type: 'string' },
      arch: { type: 'string' },
    },
  })
  const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version
  const platform = (values.platform ?? process.platform) as NodeJS.Platform
  const releaseDir = values['release-dir'] ?? path.join(root, 'release', version)
  const outDir = values.out ?? path.join(process.env.RUNNER_TEMP ?? os.tmpdir(), 'koutu-smoke-app')
  const original = locatePackagedApp(releaseDir, platform, values.arch ?? process.arch)
  const copy = await prepareSmokeApp(original, outDir, platform)
  console.log(`KOUTU_SMOKE_APP=${copy.executable}`)
  console.log(`KOUTU_SMOKE_RELEASE_APP=${original.executable}`)
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) await main()
