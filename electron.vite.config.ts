import { resolve } from 'node:path'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig } from 'electron-vite'
import type { Plugin } from 'vite'
import { CONTENT_SECURITY_POLICY, DEV_SERVER_CONTENT_SECURITY_POLICY, metaPolicy } from './src/main/csp'

// Runtime dependencies (sharp, onnxruntime-node, the model carrier) stay external: they are
// native or data and ship unpacked from the asar. Everything in devDependencies (got, zod,
// electron-store, commander…) is bundled, so it is not packed twice.
// Main-side bundles: the app, the command line, the local engine's model process and its
// finishing thread, and the aipic engine's compositing thread.
function mainEntries(): Record<string, string> {
  return {
    index: resolve('src/main/index.ts'),
    cli: resolve('src/cli/main.ts'),
    'engine-worker': resolve('src/main/engine/local/worker-main.ts'),
    // The model process's finishing thread: its own small entry, without onnxruntime-node.
    'local-finish-thread': resolve('src/main/engine/local/finish-thread.ts'),
    // The aipic engine's compositing thread (see [Note: finish worker path]).
    'aipic-finish-worker': resolve('src/main/engine/aipic/finish-worker.ts'),
  }
}

/**
 * The dev server's page gets the dev policy in its <meta> tag (src/main/csp.ts: inline styles,
 * which the dev server injects); the built page keeps index.html's strict one.
 */
export function devServerCsp(): Plugin {
  return {
    name: 'koutu-dev-server-csp',
    apply: 'serve',
    transformIndexHtml(html) {
      const meta = metaPolicy(CONTENT_SECURITY_POLICY)
      if (!html.includes(meta)) throw new Error('src/renderer/index.html does not carry the CSP of src/main/csp.ts')
      return html.replace(meta, metaPolicy(DEV_SERVER_CONTENT_SECURITY_POLICY))
    },
  }
}

export default defineConfig({
  main: {
    build: {
      rolldownOptions: {
        input: mainEntries(),
        // Shared chunks sit beside the entries, so code that finds a sibling bundle through
        // import.meta.url (the model process, the compositing thread) finds it from any chunk.
        output: { chunkFileNames: '[name]-[hash].js' },
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
    plugins: [svelte(), devServerCsp()],
    build: {
      rolldownOptions: { input: { index: resolve('src/renderer/index.html') } },
      // electron-vite leaves bundles unminified; the renderer is loaded on every start, so minify it.
      minify: true,
      reportCompressedSize: true,
    },
  },
})
