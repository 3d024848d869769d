/**
 * A real WebGPU adapter for tests: SwiftShader, the Vulkan driver on the CPU that Debian's
 * `chromium` package ships, loaded by Debian's `libvulkan1` when VK_ICD_FILENAMES points at it.
 * onnxruntime-node's WebGPU provider (Dawn) then runs on it: slowly, and without `shader-f16`.
 */
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json'
const LIBVULKAN = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1']

/** The environment that gives a model process SwiftShader; throws naming the missing package. */
export function swiftShaderEnv(): Record<string, string> {
  if (!existsSync(SWIFTSHADER_ICD)) {
    throw new Error(`SwiftShader not found at ${SWIFTSHADER_ICD}: apt-get install -y --no-install-recommends chromium`)
  }
  if (!LIBVULKAN.some((path) => existsSync(path))) throw new Error('The Vulkan loader is missing: apt-get install -y --no-install-recommends libvulkan1')
  // Dawn wants a writable runtime folder for its caches.
  return { VK_ICD_FILENAMES: SWIFTSHADER_ICD, XDG_RUNTIME_DIR: mkdtempSync(join(tmpdir(), 'koutu-xdg-')) }
}
