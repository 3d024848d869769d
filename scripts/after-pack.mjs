/**
 * electron-builder's afterPack hook (electron-builder.yml): runs after the app folder is packed,
 * before the installer is made. On Windows it puts the Visual C++ runtime beside onnxruntime's
 * binaries (see [Note: Windows VC++ runtime] in windows-runtime.mjs) and fails the build if
 * they would still miss a DLL. Other platforms need nothing here.
 */
import { shipVcRuntime } from './windows-runtime.mjs'

/** electron-builder's Arch enum, by value. */
const ARCH_NAMES = { 0: 'ia32', 1: 'x64', 2: 'armv7l', 3: 'arm64', 4: 'universal' }

export default async function afterPack(context) {
  if (context.electronPlatformName !== 'win32') return
  const arch = ARCH_NAMES[context.arch]
  if (arch !== 'x64' && arch !== 'arm64') throw new Error(`Koutu's Windows build supports x64 and arm64, not ${arch}`)
  const shipped = shipVcRuntime({ appOutDir: context.appOutDir, arch })
  console.log(`  • Visual C++ runtime for ${arch} from ${shipped.source}: ${shipped.copied.join(', ')}`)
}
