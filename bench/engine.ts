/**
 * `npm run bench:engine`: the local engine's figures, side by side in one run (issue 3).
 *
 * 1. Builds a photo set from real photographs (Debian package python3-skimage): 0.3–24 MP,
 *    several at 12 MP or more, some with EXIF orientation, one grayscale. Cached in
 *    bench/.scratch/photos.
 * 2. The pure-inference limit: median session.run time of the model (same session options as the
 *    engine), as images per minute, measured before and after the engine run (the machine's speed
 *    drifts over minutes on shared hardware) and pooled.
 * 3. Our engine end to end through its real worker process over a long run (default 200 images,
 *    cycling the set): steady-state images per minute (first tenth excluded) and its ratio to
 *    the limit, the worker's peak RSS, its RSS in the first and last tenth, output bytes per MP.
 * 4. The peer, @imgly/background-removal-node's removeBackground, on one pass of the same set
 *    with the same model, in this process.
 *
 * 5. The fp32 twin's pure-inference limit (ISNet medium only; src/main/engine/local/fp32-twin.ts).
 * 6. The pipeline ceiling: the engine end to end with a stand-in model of ISNet's input and
 *    output that costs (almost) nothing (test/helpers/tiny-models.ts), with the engine's CPU
 *    sizing and its GPU sizing (pipelineSizing): images/min, worker CPU per megapixel and the
 *    share of the cores kept busy. It is what the engine could do with a free GPU. Beside it, the
 *    share of semi-transparent mask pixels of the stand-in and of ISNet medium on the same photos.
 *    --ceiling-sizing T:N,… measures other sizings (T finishing threads, N files in flight).
 *
 * Flags: --images N (long run length, default 200), --model isnet-medium|isnet-small,
 * --skip-peer, --serial (also measure the engine with one request in flight), --out FILE (also
 * write the markdown table there), --built (fork out/main/engine-worker.js instead of the
 * TypeScript source through tsx), --ceiling-images N (default 60), --ceiling-only (only 5 and 6).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { createForkSpawner, createLocalEngine, loadVerifiedModel, pipelineSizing, resolveModel, type WorkerHandle } from '../src/main/engine/local'
import type { ModelSpec } from '../src/main/engine/local/model'
import { createMaskSession, toMask } from '../src/main/engine/local/session'
import { decodeForModel } from '../src/main/imaging/decode'
import type { OutputOptions } from '../src/main/engine/types'
import { createStderrLogger } from '../src/main/logging/stderr-logger'
import type { CustomModel, LocalModelId } from '../src/shared/settings'
import { buildFp32Twin } from '../src/main/engine/local/fp32-twin'
import { standinModel as makeStandinModel } from '../test/helpers/tiny-models'
import { median, writePhoto, type PhotoName, type PhotoOptions } from '../test/helpers/images'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const scratch = join(here, '.scratch')

const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '200' },
    model: { type: 'string', default: 'isnet-medium' },
    'skip-peer': { type: 'boolean', default: false },
    serial: { type: 'boolean', default: false },
    out: { type: 'string' },
    built: { type: 'boolean', default: false },
    'ceiling-images': { type: 'string', default: '60' },
    'ceiling-only': { type: 'boolean', default: false },
    'ceiling-sizing': { type: 'string' },
  },
})
const longRun = Number(args.images)
const modelId = args.model as Exclude<LocalModelId, 'custom'>
const logger = createStderrLogger('warn')

/** The photo set: name, source photo, build options. */
const SET: { file: string; photo: PhotoName; options: PhotoOptions }[] = [
  { file: 'cat-0.3mp.jpg', photo: 'chelsea', options: { megapixels: 0.3 } },
  { file: 'coffee-1mp.jpg', photo: 'coffee', options: { megapixels: 1 } },
  { file: 'rocket-2mp-exif6.jpg', photo: 'rocket', options: { megapixels: 2, orientation: 6 } },
  { file: 'astronaut-4mp.jpg', photo: 'astronaut', options: { megapixels: 4 } },
  { file: 'motorcycle-6mp.jpg', photo: 'motorcycle', options: { megapixels: 6 } },
  { file: 'cat-8mp-exif8.jpg', photo: 'chelsea', options: { megapixels: 8, orientation: 8 } },
  { file: 'cameraman-12mp-gray.jpg', photo: 'camera', options: { megapixels: 12, variant: 'grayscale' } },
  { file: 'coffee-12mp.jpg', photo: 'coffee', options: { megapixels: 12 } },
  { file: 'rocket-16mp.jpg', photo: 'rocket', options: { megapixels: 16 } },
  { file: 'astronaut-20mp-exif6.jpg', photo: 'astronaut', options: { megapixels: 20, orientation: 6 } },
  { file: 'motorcycle-24mp.jpg', photo: 'motorcycle', options: { megapixels: 24 } },
]

const OPTIONS: OutputOptions = {
  format: 'png',
  backgroundColor: null,
  maskOnly: false,
  cropMargin: null,
  decontaminateEdges: true,
  maxMegapixels: 100,
}

interface Photo {
  path: string
  megapixels: number
}

async function buildSet(): Promise<Photo[]> {
  const dir = join(scratch, 'photos')
  await mkdir(dir, { recursive: true })
  const photos: Photo[] = []
  for (const entry of SET) {
    const path = join(dir, entry.file)
    if (!existsSync(path)) await writePhoto(dir, entry.file, entry.photo, { quality: 92, ...entry.options })
    const { width, height } = await sharp(path).metadata()
    photos.push({ path, megapixels: (width! * height!) / 1e6 })
  }
  return photos
}

/** CPU milliseconds (user + system, all threads) a process has used so far. */
function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 Hz on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return 0
  }
}

/** CPU milliseconds per thread of a process, keyed by thread id. */
function threadCpuOf(pid: number): Map<number, number> {
  const threads = new Map<number, number>()
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      threads.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * 10)
    }
  } catch {
    // The process or a thread ended meanwhile: report what was read.
  }
  return threads
}

function rssOf(pid: number): { rss: number; hwm: number } | null {
  try {
    // Synchronous on purpose: sampled between requests, a few hundred bytes.
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024
    return { rss, hwm }
  } catch {
    return null
  }
}

interface InferenceTimes {
  times: number[]
  cpuMsPerRun: number
}

async function pureInference(runs: number, variant: 'bundled' | 'fp32-twin' = 'bundled'): Promise<InferenceTimes> {
  const model = await resolveModel(modelId, null)
  const bundled = await loadVerifiedModel(model)
  const bytes = variant === 'bundled' ? bundled : buildFp32Twin(bundled).bytes
  const session = await createMaskSession(bytes, model.spec, { threads: os.availableParallelism() })
  const size = model.spec.inputSize
  const photo = await sharp(join(scratch, 'photos', SET[3]!.file)).resize(size, size, { fit: 'fill' }).removeAlpha().raw().toBuffer()
  const input = session.normalise(photo)
  await session.runTensor(input) // warm-up: the arena grows on the first run
  const times: number[] = []
  const cpuStart = process.cpuUsage()
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await session.runTensor(input)
    times.push(performance.now() - start)
  }
  const cpu = process.cpuUsage(cpuStart)
  await session.release()
  return { times, cpuMsPerRun: (cpu.user + cpu.system) / 1000 / runs }
}

interface EngineRun {
  perMinute: number
  steadyImages: number
  peakRss: number
  firstTenthRss: number
  lastTenthRss: number
  bytesPerMegapixel: number
  meanMegapixels: number
  /** The worker process's CPU time per image over the steady part of the run. */
  cpuMsPerImage: number
  /** The same per megapixel of the images finished in that part. */
  cpuMsPerMegapixel: number
  /** Worker CPU time over wall time × cores, in the steady part. */
  busyShare: number
  /**
   * The same by thread, busiest first: the main thread (which calls session.run, so it carries
   * onnxruntime's share of the work plus the pipeline's JavaScript) is marked.
   */
  threadCpuMsPerImage: { main: boolean; ms: number }[]
  /** The model variant the engine ran (the CPU probe's choice between fp16 and the twin). */
  variant: string
}

interface EngineSetup {
  model: LocalModelId
  customModel: CustomModel | null
  finishThreads?: number
}

async function engineRun(photos: Photo[], count: number, inFlight: number | null, setup: EngineSetup = { model: modelId, customModel: null }): Promise<EngineRun> {
  const builtWorker = join(root, 'out/main/engine-worker.js')
  const fork = args.built && existsSync(builtWorker)
    ? createForkSpawner({ modulePath: builtWorker })
    : createForkSpawner({ modulePath: join(root, 'src/main/engine/local/worker-main.ts'), execArgv: ['--import', 'tsx'] })
  let handle: WorkerHandle | null = null
  const engine = createLocalEngine({
    model: setup.model,
    customModel: setup.customModel,
    device: 'cpu',
    // The CPU's own probe chooses between the fp16 weights and the fp32 twin, as in the app.
    ...(setup.model === 'isnet-medium' ? { cacheDir: join(scratch, 'models') } : {}),
    ...(setup.finishThreads !== undefined ? { finishThreads: setup.finishThreads } : {}),
    logger,
    spawnWorker: (spec) => (handle = fork(spec)),
  })
  const concurrency = inFlight ?? engine.defaultConcurrency
  const signal = new AbortController().signal
  // Warm-up: start the process and load the model outside the measurement.
  await engine.process({ inputPath: photos[0]!.path, options: OPTIONS }, signal)

  const finishedAt: number[] = []
  const cpuAt: number[] = []
  const megapixelsAt: number[] = []
  const rssSamples: number[] = []
  let bytes = 0
  let megapixels = 0
  let next = 0
  const skip = Math.max(1, Math.floor(count / 10))
  let threadsAtSkip: Map<number, number> | null = null
  const start = performance.now()
  const worker = async (): Promise<void> => {
    while (next < count) {
      const photo = photos[next++ % photos.length]!
      const result = await engine.process({ inputPath: photo.path, options: OPTIONS }, signal)
      finishedAt.push(performance.now() - start)
      const workerPid = (handle as WorkerHandle | null)?.pid
      cpuAt.push(workerPid ? cpuMsOf(workerPid) : 0)
      megapixelsAt.push(photo.megapixels)
      if (cpuAt.length - 1 === skip && workerPid) threadsAtSkip = threadCpuOf(workerPid)
      bytes += result.data.length
      megapixels += photo.megapixels
      const pid = (handle as WorkerHandle | null)?.pid
      const sample = pid ? rssOf(pid) : null
      if (sample) rssSamples.push(sample.rss)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const pid = (handle as WorkerHandle | null)?.pid
  const peak = pid ? (rssOf(pid)?.hwm ?? 0) : 0
  const threadsAtEnd = pid ? threadCpuOf(pid) : new Map<number, number>()
  const variant = engine.currentDevice()?.variant ?? 'unknown'
  await engine.close()
  const steadyCount = cpuAt.length - 1 - skip
  const threadCpuMsPerImage = [...threadsAtEnd]
    .map(([tid, ms]) => ({ main: tid === pid, ms: (ms - ((threadsAtSkip as Map<number, number> | null)?.get(tid) ?? 0)) / steadyCount }))
    .sort((a, b) => b.ms - a.ms)

  // Steady state: images finished after the first tenth, over the time they took.
  const steady = finishedAt.slice(skip)
  const steadyMs = steady.at(-1)! - steady[0]!
  const perMinute = ((steady.length - 1) / steadyMs) * 60_000
  const tenth = Math.max(1, Math.floor(rssSamples.length / 10))
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length
  return {
    perMinute,
    steadyImages: steady.length,
    peakRss: peak,
    firstTenthRss: mean(rssSamples.slice(0, tenth)),
    lastTenthRss: mean(rssSamples.slice(-tenth)),
    bytesPerMegapixel: bytes / megapixels,
    meanMegapixels: megapixels / count,
    cpuMsPerImage: (cpuAt.at(-1)! - cpuAt[skip]!) / steadyCount,
    cpuMsPerMegapixel: (cpuAt.at(-1)! - cpuAt[skip]!) / megapixelsAt.slice(skip + 1).reduce((a, b) => a + b, 0),
    threadCpuMsPerImage,
    variant,
    busyShare: (cpuAt.at(-1)! - cpuAt[skip]!) / (steadyMs * os.availableParallelism()),
  }
}

/** The stand-in model on disk (ISNet's interface, no cost), as a custom model. */
async function standinModel(): Promise<CustomModel> {
  const path = join(scratch, 'standin-1024.onnx')
  await mkdir(scratch, { recursive: true })
  await writeFile(path, makeStandinModel(1024))
  const isnet = await resolveModel('isnet-medium', null)
  return { path, inputSize: 1024, mean: isnet.spec.mean, std: isnet.spec.std, applySigmoid: false }
}

/** Share of a model's mask pixels that are semi-transparent (1–254 after snapping), per photo. */
async function softShares(modelBytes: Uint8Array, spec: ModelSpec, photos: Photo[]): Promise<number[]> {
  const session = await createMaskSession(modelBytes, spec, { threads: os.availableParallelism() })
  const shares: number[] = []
  for (const photo of photos) {
    const input = await decodeForModel(photo.path, spec.inputSize, { maxMegapixels: OPTIONS.maxMegapixels })
    const mask = toMask(await session.runTensor(session.normalise(input.rgb)), spec.applySigmoid)
    let soft = 0
    for (const level of mask) if (level > 0 && level < 255) soft++
    shares.push(soft / mask.length)
  }
  await session.release()
  return shares
}

/**
 * The stand-in's soft-pixel share beside ISNet's on the same photos: the ceiling is only as
 * meaningful as the stand-in's masks are like a real model's (see STANDIN_STEEPNESS).
 */
async function softShareRow(standin: CustomModel, photos: Photo[]): Promise<string> {
  process.stderr.write('soft-pixel share of the stand-in and of ISNet medium…\n')
  const isnet = await resolveModel('isnet-medium', null)
  const standinSpec: ModelSpec = { ...isnet.spec, id: 'custom' }
  const percent = (shares: number[]): string =>
    `${fixed((shares.reduce((a, b) => a + b, 0) / shares.length) * 100, 0)} % (${fixed(Math.min(...shares) * 100, 0)}–${fixed(Math.max(...shares) * 100, 0)} %)`
  const ours = await softShares(await readFile(standin.path), standinSpec, photos)
  const real = await softShares(await loadVerifiedModel(isnet), isnet.spec, photos)
  return `| semi-transparent mask pixels, mean (range) over the ${photos.length} photos: stand-in / ISNet medium | ${percent(ours)} / ${percent(real)} |`
}

async function ceilingRows(photos: Photo[]): Promise<string[]> {
  const count = Number(args['ceiling-images'])
  const customModel = await standinModel()
  const rows: string[] = [await softShareRow(customModel, photos)]
  const cores = os.availableParallelism()
  const sizings = args['ceiling-sizing']
    ? args['ceiling-sizing'].split(',').map((pair) => pair.split(':').map(Number) as [number, number])
    : [false, true].map((gpu): [number, number] => {
        // The engine's own sizing for a CPU and for a GPU (inference free: the ceiling's case).
        const sizing = pipelineSizing(gpu, cores, cores)
        return [sizing.finishThreads, sizing.inFlight]
      })
  for (const [finishThreads, inFlight] of sizings) {
    process.stderr.write(`pipeline ceiling, ${finishThreads} finishing thread(s), ${inFlight} in flight, ${count} images…\n`)
    const run = await engineRun(photos, count, inFlight, { model: 'custom', customModel, finishThreads })
    rows.push(
      `| pipeline ceiling (stand-in model, ${finishThreads} finishing thread${finishThreads === 1 ? '' : 's'}, ${inFlight} in flight, ${run.steadyImages} images) | ` +
        `${fixed(run.perMinute)} images/min; ${fixed(run.cpuMsPerMegapixel, 0)} ms CPU per MP; ${fixed(run.busyShare * 100, 0)} % of ${cores} cores busy; peak RSS ${mb(run.peakRss)} (targets ≥ 90 %, ≤ 60 ms/MP) |`,
    )
  }
  return rows
}

async function peerRun(photos: Photo[]): Promise<{ perMinute: number; images: number }> {
  const { removeBackground } = await import('@imgly/background-removal-node')
  const peerModel = modelId === 'isnet-small' ? 'small' : 'medium'
  const run = async (photo: Photo): Promise<void> => {
    const blob = new Blob([await readFile(photo.path)], { type: 'image/jpeg' })
    const out = await removeBackground(blob, { model: peerModel, output: { format: 'image/png' } })
    await out.arrayBuffer()
  }
  await run(photos[0]!) // warm-up: the peer creates its session on first use
  const start = performance.now()
  for (const photo of photos) await run(photo)
  return { perMinute: (photos.length / (performance.now() - start)) * 60_000, images: photos.length }
}

const mb = (value: number): string => `${Math.round(value / 1024 / 1024)} MB`
const fixed = (value: number, digits = 1): string => value.toFixed(digits)

async function main(): Promise<void> {
  const loadBefore = os.loadavg()[0]!
  const photos = await buildSet()
  const totalMp = photos.reduce((sum, p) => sum + p.megapixels, 0)
  process.stderr.write(`photo set: ${photos.length} photos, ${fixed(totalMp)} MP, ${fixed(Math.min(...photos.map((p) => p.megapixels)))}–${fixed(Math.max(...photos.map((p) => p.megapixels)))} MP\n`)

  let twin: InferenceTimes | null = null
  if (modelId === 'isnet-medium') {
    process.stderr.write('pure inference, fp32 twin…\n')
    twin = await pureInference(6, 'fp32-twin')
  }
  const twinRow = (limitMs: number): string[] =>
    twin
      ? [`| fp32 twin: pure-inference limit (median session.run, 6 runs) | ${fixed(median(twin.times), 0)} ms = ${fixed(60_000 / median(twin.times))} images/min (${fixed(limitMs / median(twin.times), 2)}× the fp16 limit) |`]
      : []
  if (args['ceiling-only']) {
    process.stderr.write('pure inference, fp16…\n')
    const fp16 = await pureInference(6)
    const table = [
      `Model ${modelId}, ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; 1-minute load average ${fixed(loadBefore)} before.`,
      '',
      '| measure | value |',
      '| --- | --- |',
      `| fp16 (bundled): pure-inference limit (median session.run, 6 runs) | ${fixed(median(fp16.times), 0)} ms = ${fixed(60_000 / median(fp16.times))} images/min |`,
      ...twinRow(median(fp16.times)),
      ...(await ceilingRows(photos)),
    ].join('\n')
    process.stdout.write(`${table}\n`)
    if (args.out) await writeFile(args.out, `${table}\n`)
    return
  }

  process.stderr.write('pure inference…\n')
  const before = await pureInference(10)
  process.stderr.write(`  median session.run ${fixed(median(before.times), 0)} ms\n`)

  process.stderr.write(`engine, ${longRun} images…\n`)
  const ours = await engineRun(photos, longRun, null)
  process.stderr.write('pure inference again…\n')
  const after = await pureInference(10)
  const medianMs = median([...before.times, ...after.times])
  const limit = { medianMs, perMinute: 60_000 / medianMs, cpuMsPerRun: (before.cpuMsPerRun + after.cpuMsPerRun) / 2 }
  let serial: EngineRun | null = null
  if (args.serial) {
    process.stderr.write('engine, one request in flight…\n')
    serial = await engineRun(photos, photos.length * 2, 1)
  }
  const ceiling = await ceilingRows(photos)
  let peer: { perMinute: number; images: number } | null = null
  if (!args['skip-peer']) {
    process.stderr.write(`peer, ${photos.length} images…\n`)
    peer = await peerRun(photos)
  }

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  const loadAfter = os.loadavg()[0]!
  const lines = [
    `Model ${modelId}, ${os.availableParallelism()} cores (${cpu}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; ` +
      `1-minute load average ${fixed(loadBefore)} before, ${fixed(loadAfter)} after (other work on the machine skews every figure).`,
    `Photo set: ${photos.length} real photographs (python3-skimage), ${fixed(Math.min(...photos.map((p) => p.megapixels)))}–${fixed(Math.max(...photos.map((p) => p.megapixels)))} MP, mean ${fixed(totalMp / photos.length)} MP; 3 with EXIF orientation, 1 grayscale. PNG output, edge decontamination on.`,
    '',
    '| measure | value |',
    '| --- | --- |',
    `| pure-inference limit (median session.run, before / after the engine run: ${fixed(median(before.times), 0)} / ${fixed(median(after.times), 0)} ms) | ${fixed(limit.medianMs, 0)} ms = ${fixed(limit.perMinute)} images/min |`,
    `| our engine, end to end (steady state, ${ours.steadyImages} images) | ${fixed(ours.perMinute)} images/min |`,
    `| ratio to the pure-inference limit | ${fixed(ours.perMinute / limit.perMinute, 2)} (target ≥ 0.8) |`,
    ...(serial ? [`| our engine, one request in flight (no overlap) | ${fixed(serial.perMinute)} images/min = ${fixed(serial.perMinute / limit.perMinute, 2)} of the limit |`] : []),
    ...(peer
      ? [
          `| peer: @imgly/background-removal-node removeBackground (${peer.images} images) | ${fixed(peer.perMinute)} images/min |`,
          `| our throughput / peer's | ${fixed(ours.perMinute / peer.perMinute)}x (target ≥ 6x) |`,
        ]
      : []),
    `| CPU time per image: session.run alone / our worker process (all stages) | ${fixed(limit.cpuMsPerRun, 0)} ms / ${fixed(ours.cpuMsPerImage, 0)} ms |`,
    `| CPU-bound ceiling of the ratio on these cores (run CPU / worker CPU per image) | ${fixed(limit.cpuMsPerRun / ours.cpuMsPerImage, 2)} |`,
    `| worker CPU per image by thread, busiest first (* = main thread: calls session.run, runs the pipeline) | ${ours.threadCpuMsPerImage
      .filter((thread) => thread.ms >= 5)
      .map((thread) => `${fixed(thread.ms, 0)}${thread.main ? '*' : ''}`)
      .join(' / ')} ms |`,
    `| peak RSS of the engine process | ${mb(ours.peakRss)} (target < 1.6 GB) |`,
    `| engine RSS, first tenth → last tenth of ${longRun} images | ${mb(ours.firstTenthRss)} → ${mb(ours.lastTenthRss)} |`,
    `| output bytes per megapixel (PNG) | ${fixed(ours.bytesPerMegapixel / 1e6, 2)} MB/MP |`,
    ...twinRow(limit.medianMs),
    ...(twin ? [`| our engine end to end / fp16 limit (target ≥ 1.0 with the twin; the variant the CPU's probe chose: ${ours.variant}) | ${fixed(ours.perMinute / limit.perMinute, 3)} |`] : []),
    ...ceiling,
  ]
  const table = lines.join('\n')
  process.stdout.write(`${table}\n`)
  if (args.out) await writeFile(args.out, `${table}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
