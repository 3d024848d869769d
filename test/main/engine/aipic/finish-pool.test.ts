/**
 * The finishing stage off the main thread: real worker threads produce the same output as the
 * in-process path; a worker that cannot even load switches the pool to in-process and the task
 * still completes (its cutout was already paid for); a worker that dies mid-task is a crash.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import sharp from 'sharp'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { FinishInput } from '../../../../src/main/engine/aipic/apply-result'
import { createFinishPool } from '../../../../src/main/engine/aipic/finish-pool'
import { isKoutuError } from '../../../../src/shared/errors'
import { writePhoto } from '../../../helpers/images'
import { computeCutout } from '../../../standins/aipic-server'
import { recordingLogger } from './harness'

let dir: string
let input: FinishInput

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'koutu-finish-'))
  const photo = await writePhoto(dir, 'cup.jpg', 'coffee', { megapixels: 0.1 })
  const { width, height } = await sharp(photo).metadata()
  const bytes = await sharp(photo).jpeg().toBuffer()
  input = {
    inputPath: photo,
    resultBytes: await computeCutout(bytes),
    original: { width: width!, height: height! },
    options: { format: 'png', backgroundColor: null, maskOnly: false, cropMargin: null, decontaminateEdges: true, maxMegapixels: 100, fullResolution: true },
    maxResultMegapixels: 100,
  }
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

it('composites on worker threads exactly as in the main thread', async () => {
  const threads = createFinishPool({ logger: recordingLogger() })
  const here = createFinishPool({ logger: recordingLogger(), inProcess: true })
  try {
    const [a, b] = await Promise.all([threads.run(input), here.run(input)])
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true)
    expect([a.width, a.height, a.format]).toEqual([input.original.width, input.original.height, 'png'])
  } finally {
    await Promise.all([threads.close(), here.close()])
  }
})

it('falls back to the main thread when a worker cannot load, and reports a crash after it has', async () => {
  const logger = recordingLogger()
  const missing = createFinishPool({ logger, worker: { url: pathToFileURL(join(dir, 'no-such-worker.mjs')) } })
  try {
    const output = await missing.run(input)
    expect(output.width).toBe(input.original.width)
    expect(logger.lines.some((line) => line.includes('compositing in the main thread'))).toBe(true)
  } finally {
    await missing.close()
  }

  const dying = join(dir, 'dying-worker.mjs')
  await writeFile(dying, "import { parentPort } from 'node:worker_threads'\nparentPort.postMessage({ ready: true })\nparentPort.on('message', () => process.exit(3))\n")
  const crashing = createFinishPool({ logger: recordingLogger(), worker: { url: pathToFileURL(dying) } })
  try {
    const error = await crashing.run(input).catch((caught: unknown) => caught)
    expect(isKoutuError(error, 'engine.crashed')).toBe(true)
    expect((error as Error).message).toMatch(/exit code 3/)
  } finally {
    await crashing.close()
  }
})
