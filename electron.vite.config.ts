import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig } from 'electron-vite'

// Runtime dependencies (sharp, onnxruntime-node, the model carrier) stay external: they are
// native or data and ship unpacked from the asar. Everything in devDependencies (got, zod,
// electron-store, commander…) is bundled, so it is not packed twice.
// TODO(lead): drop the existence filter once the command line and the engine worker land.
function mainEntries(): Record<string, string> {
  const entries: Record<string, string> = {
    index: resolve('src/main/index.ts'),
    cli: resolve('src/cli/main.ts'),
    'engine-worker': resolve('src/main/engine/local/worker-main.ts'),
  }
  return Object.fromEntries(Object.entries(entries).filter(([, file]) => existsSync(file)))
}

export default defineConfig({
  main: {
    build: {
      rolldownOptions: {
        input: mainEntries(),
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload must be one self-contained CommonJS file.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    plugins: [svelte()],
    build: {
      rolldownOptions: { input: { index: resolve('src/renderer/index.html') } },
      reportCompressedSize: true,
    },
  },
})
