// The model process's finishing thread: its BUILT entry (out/main/local-finish-thread.js) never
// loads onnxruntime-node, neither in its import graph nor at run time (the native libraries a
// process running only that thread has loaded), while it finishes a real photo; and a thread
// that cannot start leaves finishing to the calling thread instead of failing the photo.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createThreadFinisher, type FinishJob } from '../../../../src/main/engine/local/finish'
import { featheredDisc, writePhoto } from '../../../helpers/images'

const OUT_MAIN = path.resolve(import.meta.dirname, '../../../../out/main')
const FINISH_ENTRY = path.join(OUT_MAIN, 'local-finish-thread.js')
const MODEL_ENTRY = path.join(OUT_MAIN, 'engine-worker.js')

/** Every module a built file pulls in statically: relative files followed, bare names collected. */
function importGraph(entry: string): { files: string[]; packages: Set<string> } {
  const files: string[] = []
  const packages = new Set<string>()
  const visit = (file: string): void => {
    if (files.includes(file)) return
    files.push(file)
    const source = fs.readFileSync(file, 'utf8')
    const specifiers = [
      ...source.matchAll(/\bimport\s*(?:[^'"()]*?\bfrom\s*)?["']([^"']+)["']/g),
      ...source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
      ...source.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g),
    ].map((match) => match[1]!)
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier))
      else packages.add(specifier)
    }
  }
  visit(entry)
  return { files, packages }
}

let dir = ''
let photo = ''
let size = { width: 0, height: 0 }

beforeAll(async () => {
  if (!fs.existsSync(FINISH_ENTRY)) throw new Error('out/main is missing: run "npm run build" first (npm test does).')
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-finish-thread-'))
  photo = await writePhoto(dir, 'chelsea.jpg', 'chelsea')
  const metadata = await sharp(photo).metadata()
  size = { width: metadata.width!, height: metadata.height! }
})

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

function job(): FinishJob {
  return {
    inputPath: photo,
    mask: featheredDisc(64, 24, 6),
    maskSize: 64,
    width: size.width,
    height: size.height,
    options: { format: 'png', backgroundColor: null, maskOnly: false, cropMargin: null, decontaminateEdges: true, maxMegapixels: 100 },
  }
}

/**
 * Runs `entry` as a worker thread in a fresh Node process, gives it one finishing job when it
 * says it is ready, and reports the result and which onnxruntime libraries the process loaded.
 */
function runThreadInFreshProcess(entry: string): Promise<{ ready: boolean; result?: { width: number; height: number; bytes: number }; onnxLibraries: string[] }> {
  const script = `
    import { Worker } from 'node:worker_threads'
    const [entry, jobJson] = process.argv.slice(2)
    const job = JSON.parse(jobJson)
    job.mask = Uint8Array.from(job.mask)
    const report = (ready, result) => {
      const onnxLibraries = process.report.getReport().sharedObjects.filter((file) => /onnxruntime/i.test(file))
      process.stdout.write(JSON.stringify({ ready, result, onnxLibraries }))
      process.exit(0)
    }
    let ready = false
    const worker = new Worker(new URL(entry))
    worker.on('message', (message) => {
      if (message.ready) {
        ready = true
        worker.postMessage({ id: 1, job })
      } else if (message.result) {
        report(ready, { width: message.result.width, height: message.result.height, bytes: message.result.data.byteLength })
      } else report(ready, { error: message.error })
    })
    worker.on('error', (error) => report(ready, { error: String(error) }))
    worker.on('exit', () => report(ready, undefined))
  `
  const scriptFile = path.join(dir, `run-thread-${path.basename(entry)}.mjs`)
  fs.writeFileSync(scriptFile, script)
  const { mask, ...rest } = job()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [scriptFile, pathToFileURL(entry).href, JSON.stringify({ ...rest, mask: Array.from(mask) })], {
      cwd: path.dirname(OUT_MAIN),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    child.on('close', () => {
      try {
        resolve(JSON.parse(stdout))
      } catch {
        reject(new Error(`no report from the child: ${stderr}`))
      }
    })
  })
}

describe('the local finishing thread', () => {
  it('is built as its own entry whose imports never reach onnxruntime-node (the model entry does)', () => {
    const finishing = importGraph(FINISH_ENTRY)
    expect(finishing.packages).toContain('sharp')
    expect(finishing.packages).not.toContain('onnxruntime-node')
    expect(finishing.files.map((file) => path.basename(file))).not.toContain('engine-worker.js')
    // The same walk finds onnxruntime-node from the model process's entry, so it can see it.
    expect(importGraph(MODEL_ENTRY).packages).toContain('onnxruntime-node')
  })

  it('finishes a real photo in a process that never loads onnxruntime', async () => {
    const run = await runThreadInFreshProcess(FINISH_ENTRY)
    expect(run.ready).toBe(true)
    expect(run.result).toMatchObject({ width: size.width, height: size.height })
    expect(run.result!.bytes).toBeGreaterThan(1000)
    expect(run.onnxLibraries).toEqual([])
    // The check can see onnxruntime: a thread started on onnxruntime-node's own entry loads its
    // binding. (The model entry itself now loads onnxruntime-node only when it creates a session,
    // see [Note: WebAssembly runtime] in session.ts, so starting it as a thread no longer would.)
    const onnxAsThread = await runThreadInFreshProcess(createRequire(import.meta.url).resolve('onnxruntime-node'))
    expect(onnxAsThread.onnxLibraries.some((file) => file.endsWith('onnxruntime_binding.node'))).toBe(true)
  }, 60_000)

  it('finishes inline, losing nothing, when the thread cannot start', async () => {
    const reasons: string[] = []
    const broken = path.join(dir, 'broken-entry.mjs')
    fs.writeFileSync(broken, "throw new Error('a module this entry needs is missing')\n")
    for (const entry of [pathToFileURL(broken), pathToFileURL(path.join(dir, 'not-packaged.js'))]) {
      const finisher = createThreadFinisher(entry, undefined, { onFallback: (reason) => reasons.push(reason) })
      const [first, second] = await Promise.all([finisher.finish(job()), finisher.finish(job())])
      const later = await finisher.finish(job())
      for (const result of [first, second, later]) {
        expect(result).toMatchObject({ format: 'png', width: size.width, height: size.height })
        const decoded = await sharp(result.data).metadata()
        expect(decoded).toMatchObject({ format: 'png', channels: 4, width: size.width })
      }
      await finisher.close()
    }
    expect(reasons).toHaveLength(2)
    expect(reasons[0]).toMatch(/missing/)
    expect(reasons[1]).toMatch(/not-packaged|Cannot find module|ERR_MODULE_NOT_FOUND/)
  }, 60_000)

  it('fails the photo as a crash when a thread that had started dies', async () => {
    const dying = path.join(dir, 'dying-entry.mjs')
    fs.writeFileSync(
      dying,
      "import { parentPort } from 'node:worker_threads'\nparentPort.postMessage({ ready: true })\nparentPort.on('message', () => process.exit(3))\n",
    )
    const reasons: string[] = []
    const finisher = createThreadFinisher(pathToFileURL(dying), undefined, { onFallback: (reason) => reasons.push(reason) })
    await expect(finisher.finish(job())).rejects.toMatchObject({ code: 'engine.crashed' })
    expect(reasons).toEqual([])
    await finisher.close()
  })
})
