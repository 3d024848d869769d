/**
 * `npm run bench:batch`: the batch engine's figures (issue 4).
 *
 * 1. Scan: generates a tree of 100,000 empty image-named files (cached in bench/.scratch/tree)
 *    and queues it with BatchService.addPaths, as the app does on a drop: time, items per
 *    second, peak RSS of this process, the longest event-loop stall, and how many item events
 *    the UI would receive.
 * 2. Run: a batch of 1,000 small JPEGs (64×48) through the queue: throughput, and this (main)
 *    process's RSS sampled at each finished file, averaged over the first and the last hundred,
 *    to show memory stays flat. `--engine light` (default) uses a sharp-only stand-in engine
 *    that decodes, keys alpha and encodes, so the figures are the batch engine's own (scan,
 *    plan, journal, atomic write, events); `--engine local` runs the real ISNet engine (its
 *    model process is separate; its RSS is the engine bench's business).
 *
 * Flags: --files N (scan size, default 100000), --images N (run size, default 1000),
 * --engine light|local, --concurrency N, --skip-scan, --skip-run, --out FILE (also write the
 * markdown there).
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { BatchService, type EngineFactory } from '../src/main/batch'
import { createForkSpawner, createLocalEngine } from '../src/main/engine/local'
import type { CutoutEngine } from '../src/main/engine/types'
import { createStderrLogger } from '../src/main/logging/stderr-logger'
import { KoutuError } from '../src/shared/errors'
import { DEFAULT_SETTINGS, type Settings } from '../src/shared/settings'

const here = path.dirname(fileURLToPath(import.meta.url))
const scratch = path.join(here, '.scratch')

const { values: args } = parseArgs({
  options: {
    files: { type: 'string', default: '100000' },
    images: { type: 'string', default: '1000' },
    engine: { type: 'string', default: 'light' },
    concurrency: { type: 'string' },
    'skip-scan': { type: 'boolean', default: false },
    'skip-run': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
})

const logger = createStderrLogger('warn')
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`

/** Samples RSS every 20 ms (plus the kernel's own high-water mark) while a phase runs. */
function rssSampler(): { stop: () => number } {
  let peak = process.memoryUsage.rss()
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss())
  }, 20)
  return {
    stop: () => {
      clearInterval(timer)
      return Math.max(peak, process.memoryUsage.rss())
    },
  }
}

async function makeTree(root: string, count: number): Promise<void> {
  const marker = path.join(root, `.complete-${count}`)
  if (await stat(marker).then(() => true, () => false)) return
  await rm(root, { recursive: true, force: true })
  process.stderr.write(`generating ${count} files under ${root}…\n`)
  // 10 top folders × 10 subfolders × count/100 files, with a few non-images mixed in.
  const perFolder = Math.ceil(count / 100)
  let made = 0
  for (let top = 0; top < 10; top += 1) {
    for (let sub = 0; sub < 10 && made < count; sub += 1) {
      const dir = path.join(root, `album-${top}`, `day-${sub}`)
      await mkdir(dir, { recursive: true })
      const batch: Array<Promise<void>> = []
      for (let index = 0; index < perFolder && made < count; index += 1, made += 1) {
        batch.push(writeFile(path.join(dir, `IMG_${String(index).padStart(5, '0')}.jpg`), ''))
        if (batch.length >= 500) await Promise.all(batch.splice(0))
      }
      await Promise.all(batch)
      await writeFile(path.join(dir, 'notes.txt'), '')
    }
  }
  await writeFile(marker, '')
}

async function benchScan(count: number): Promise<string> {
  const root = path.join(scratch, 'tree')
  await makeTree(root, count)
  const journalDir = await freshDir('scan-journal')
  const service = new BatchService({
    createEngine: () => {
      throw new KoutuError('internal.unexpected', 'the scan bench never starts a batch')
    },
    settings: () => DEFAULT_SETTINGS,
    journalDir,
    logger,
  })
  let events = 0
  service.onItems(() => (events += 1))
  const loop = monitorEventLoopDelay({ resolution: 10 })
  const rss = rssSampler()
  const before = process.memoryUsage.rss()
  loop.enable()
  const started = performance.now()
  const { added } = await service.addPaths([root])
  const elapsed = performance.now() - started
  loop.disable()
  const peak = rss.stop()
  await service.cancel()
  await service.shutdown()
  const stallMs = loop.max / 1e6
  return [
    `| files queued | time | files/s | peak RSS (before) | longest event-loop stall | item events |`,
    `| --- | --- | --- | --- | --- | --- |`,
    `| ${added.toLocaleString('en')} | ${(elapsed / 1000).toFixed(2)} s | ${Math.round(added / (elapsed / 1000)).toLocaleString('en')} | ${mb(peak)} (${mb(before)}) | ${stallMs.toFixed(0)} ms | ${events} |`,
  ].join('\n')
}

/** A sharp-only stand-in: decode, luminance as alpha, PNG. The batch engine cannot tell. */
function lightEngine(): CutoutEngine {
  return {
    kind: 'local',
    defaultConcurrency: 3,
    async process(request, signal) {
      signal.throwIfAborted()
      const raw = await sharp(request.inputPath).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true })
      const { width, height } = raw.info
      const mask = await sharp(raw.data, { raw: { width, height, channels: 3 } }).toColourspace('b-w').raw().toBuffer()
      const data = await sharp(raw.data, { raw: { width, height, channels: 3 } })
        .joinChannel(mask, { raw: { width, height, channels: 1 } })
        .png()
        .toBuffer()
      return { data, format: 'png', width, height, notes: {} }
    },
    async estimateCost() {
      return null
    },
    async close() {},
  }
}

function localEngine(): EngineFactory {
  const repo = path.join(here, '..')
  return (snapshot) =>
    createLocalEngine({
      model: snapshot.localModel,
      customModel: snapshot.customModel,
      logger,
      spawnWorker: createForkSpawner({ modulePath: path.join(repo, 'src/main/engine/local/worker-main.ts'), execArgv: ['--import', 'tsx'] }),
    })
}

async function freshDir(name: string): Promise<string> {
  const dir = path.join(scratch, name)
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  return dir
}

async function benchRun(count: number, engineName: string, concurrency: number | undefined): Promise<string> {
  const photos = await freshDir('run-photos')
  const journalDir = await freshDir('run-journal')
  process.stderr.write(`generating ${count} small JPEGs…\n`)
  const template = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#203040' } })
    .composite([{ input: { create: { width: 32, height: 24, channels: 3, background: '#f0d0b0' } }, left: 16, top: 12 }])
    .jpeg()
    .toBuffer()
  for (let index = 0; index < count; index += 1) {
    await mkdir(path.join(photos, `set-${Math.floor(index / 100)}`), { recursive: true })
    await writeFile(path.join(photos, `set-${Math.floor(index / 100)}`, `p${index}.jpg`), template)
  }
  const settings: Settings = { ...DEFAULT_SETTINGS, ...(concurrency ? { localConcurrency: concurrency } : {}) }
  const service = new BatchService({
    createEngine: engineName === 'local' ? localEngine() : () => lightEngine(),
    settings: () => settings,
    journalDir,
    logger,
  })
  const samples: number[] = []
  service.onItemStatus((change) => {
    if (change.status === 'done' || change.status === 'failed') samples.push(process.memoryUsage.rss())
  })
  const rss = rssSampler()
  await service.addPaths([photos])
  const started = performance.now()
  await service.start()
  const progress = await service.whenFinished()
  const elapsed = performance.now() - started
  const peak = rss.stop()
  await service.shutdown()
  const average = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length)
  const first = average(samples.slice(0, 100))
  const last = average(samples.slice(-100))
  const perMinute = (progress.done / elapsed) * 60_000
  return [
    `| engine | images | done / failed | time | images/min | main RSS, first 100 | main RSS, last 100 | main peak RSS |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- |`,
    `| ${engineName} | ${count} | ${progress.done} / ${progress.failed} | ${(elapsed / 1000).toFixed(1)} s | ${perMinute.toFixed(0)} | ${mb(first)} | ${mb(last)} | ${mb(peak)} |`,
  ].join('\n')
}

const header = `Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.availableParallelism()}, ${mb(os.totalmem())} RAM, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`
const sections = [header]
if (!args['skip-scan']) sections.push(`Scan of ${Number(args.files).toLocaleString('en')} files:\n\n${await benchScan(Number(args.files))}`)
if (!args['skip-run']) {
  sections.push(
    `Batch of ${Number(args.images).toLocaleString('en')} small images:\n\n${await benchRun(
      Number(args.images),
      args.engine === 'local' ? 'local' : 'light',
      args.concurrency ? Number(args.concurrency) : undefined,
    )}`,
  )
}
const markdown = sections.join('\n\n')
process.stdout.write(`${markdown}\n`)
if (args.out) await writeFile(args.out, `${markdown}\n`)
