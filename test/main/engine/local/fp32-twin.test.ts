/**
 * The fp32 twin (src/main/engine/local/fp32-twin.ts): built from the bundled ISNet medium with
 * ONNX's schema, its digest is the same on every build; it keeps only the mask output and what
 * that needs (every tensor a node reads is still made by something); the cache is written, read back and
 * rebuilt when damaged; no fp16 is left in it; and its masks match the fp16 model's on
 * composites of the quality set (quality.test.ts).
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import onnxProto from 'onnx-proto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildFp32Twin, loadFp32Twin, sha256Hex, TWIN_SHA256 } from '../../../../src/main/engine/local/fp32-twin'
import { loadVerifiedModel, resolveModel } from '../../../../src/main/engine/local/model'
import { CutoutPipeline } from '../../../../src/main/engine/local/pipeline'
import { createMaskSession, type MaskSession } from '../../../../src/main/engine/local/session'
import type { OutputOptions } from '../../../../src/main/engine/types'
import sharp from 'sharp'
import { makeComposite, maskIoU, meanAbsoluteAlphaError, type CompositeOptions } from '../../../helpers/images'
import { tinyFp16Model } from '../../../helpers/tiny-models'

const { onnx } = onnxProto
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16

/**
 * Three of the quality set's composites (one per object family and background kind): six runs
 * of ISNet medium here, which already take a minute or more on 2 busy cores.
 */
const QUALITY_SET: CompositeOptions[] = (
  [
    { object: 'logo', background: 'gravel' },
    { object: 'horse-cat', background: 'grass' },
    { object: 'color-wheel', background: 'hubble' },
  ] as const
).map((testCase) => ({ ...testCase, width: 800, height: 600 }))

const maskOptions: OutputOptions = { format: 'png', backgroundColor: null, maskOnly: true, cropMargin: null, decontaminateEdges: false, maxMegapixels: 100 }

let dir: string
let bundled: Uint8Array
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'koutu-twin-'))
  bundled = await loadVerifiedModel(await resolveModel('isnet-medium', null))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function fp16Left(model: Uint8Array): number {
  const graph = onnx.ModelProto.decode(model).graph!
  let count = graph.initializer!.filter((tensor) => tensor.dataType === FLOAT16).length
  for (const node of graph.node!) {
    for (const attribute of node.attribute ?? []) {
      if (node.opType === 'Cast' && attribute.name === 'to' && Number(attribute.i) === FLOAT16) count++
      if (attribute.t?.dataType === FLOAT16) count++
    }
  }
  for (const info of [...graph.input!, ...graph.output!, ...graph.valueInfo!]) if (info.type?.tensorType?.elemType === FLOAT16) count++
  return count
}

describe('the fp32 twin of ISNet medium', () => {
  it('is deterministic: two builds give the recorded digest, with no fp16 left', () => {
    const first = buildFp32Twin(bundled)
    const second = buildFp32Twin(bundled)
    expect(sha256Hex(first.bytes)).toBe(TWIN_SHA256['isnet-medium']!.sha256)
    expect(sha256Hex(second.bytes)).toBe(sha256Hex(first.bytes))
    expect(first.bytes.length).toBe(TWIN_SHA256['isnet-medium']!.size)
    expect(first.stats).toEqual({ initializers: 228, constants: 0, casts: 35, declaredTypes: 356, prunedOutputs: 11, prunedNodes: 71 })
    expect(fp16Left(bundled)).toBeGreaterThan(0)
    expect(fp16Left(first.bytes)).toBe(0)
    // Only the mask output is left, with the nodes it needs; nothing it needs was dropped.
    const before = onnx.ModelProto.decode(bundled).graph!
    const after = onnx.ModelProto.decode(first.bytes).graph!
    expect(before.output!.map((output) => output.name)).toHaveLength(12)
    expect(after.output!.map((output) => output.name)).toEqual(['output'])
    expect(after.node!.length).toBe(before.node!.length - 71)
    const produced = new Set([
      ...after.input!.map((input) => input.name),
      ...after.initializer!.map((tensor) => tensor.name),
      ...after.node!.flatMap((node) => node.output!),
    ])
    const missing = after.node!.flatMap((node) => node.input!.filter((input) => input !== '' && !produced.has(input)))
    expect(missing).toEqual([])
  })

  it('keeps only the mask output of any model, and no initializer left behind as an input', async () => {
    // A model in the style of ONNX IR 3: its fp16 weight is listed among the inputs too, and it
    // feeds only a side output.
    const info = (name: string, elemType: number): onnxProto.onnx.IValueInfoProto => ({ name, type: { tensorType: { elemType, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } } })
    const sideModel = onnx.ModelProto.encode({
      irVersion: 3,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'side-output',
        input: [info('input', 1), info('weight', FLOAT16)],
        initializer: [{ name: 'weight', dataType: FLOAT16, dims: [1, 4], rawData: new Uint8Array(new Uint16Array([0x3c00, 0x4000, 0x4200, 0x4400]).buffer) }],
        node: [
          { opType: 'Sigmoid', input: ['input'], output: ['output'] },
          { opType: 'Cast', input: ['input'], output: ['input_half'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT16 }] },
          { opType: 'Mul', input: ['input_half', 'weight'], output: ['side'] },
        ],
        output: [info('side', FLOAT16), info('output', 1)],
      },
    }).finish()
    const { bytes, stats } = buildFp32Twin(sideModel)
    expect(stats).toMatchObject({ prunedOutputs: 1, prunedNodes: 2, initializers: 0 })
    const graph = onnx.ModelProto.decode(bytes).graph!
    expect(graph.output!.map((output) => output.name)).toEqual(['output'])
    expect(graph.input!.map((input) => input.name)).toEqual(['input'])
    expect(graph.initializer).toEqual([])
    const ort = await import('onnxruntime-node')
    const session = await ort.InferenceSession.create(bytes)
    const result = await session.run({ input: new ort.Tensor('float32', Float32Array.from([-2, 0, 1, 3]), [1, 4]) })
    expect(Object.keys(result)).toEqual(['output'])
    expect([...(result.output!.data as Float32Array)].map((value) => value.toFixed(4))).toEqual(['0.1192', '0.5000', '0.7311', '0.9526'])
    await session.release()
  })

  it('is cached in the given folder, read back without a rebuild, and rebuilt when damaged', async () => {
    const cache = join(dir, 'models')
    let builds = 0
    const source = async (): Promise<Uint8Array> => {
      builds++
      return bundled
    }
    const built = await loadFp32Twin('isnet-medium', source, cache)
    expect(builds).toBe(1)
    const [file] = await readdir(cache)
    expect(file).toMatch(/^isnet-medium-fp32-[0-9a-f]{16}\.onnx$/)
    const again = await loadFp32Twin('isnet-medium', source, cache)
    expect(builds).toBe(1)
    expect(sha256Hex(again!)).toBe(sha256Hex(built!))
    await writeFile(join(cache, file!), Buffer.from(built!.subarray(0, 1000)))
    const repaired = await loadFp32Twin('isnet-medium', source, cache)
    expect(builds).toBe(2)
    expect(sha256Hex(repaired!)).toBe(TWIN_SHA256['isnet-medium']!.sha256)
    // A model without a known twin gets none; a build that comes out different is refused.
    expect(await loadFp32Twin('isnet-small', source, cache)).toBeNull()
    await expect(loadFp32Twin('isnet-medium', async () => tinyFp16Model(8), join(dir, 'other'))).rejects.toMatchObject({ code: 'engine.model-corrupt' })
  })

  it('gives the fp16 model\'s masks on the quality set', async () => {
    const model = await resolveModel('isnet-medium', null)
    const sessions: MaskSession[] = [
      await createMaskSession(bundled, model.spec, { threads: 2 }),
      await createMaskSession(buildFp32Twin(bundled).bytes, model.spec, { threads: 2 }),
    ]
    try {
      const [fp16, fp32] = sessions.map((session) => new CutoutPipeline(session)) as [CutoutPipeline, CutoutPipeline]
      let worstIoU = 1
      let worstDifference = 0
      for (const [index, testCase] of QUALITY_SET.entries()) {
        const composite = await makeComposite(testCase)
        const path = join(dir, `composite-${index}.png`)
        await writeFile(path, composite.file)
        const a = await sharp((await fp16.process(index, path, maskOptions)).data).extractChannel(0).raw().toBuffer()
        const b = await sharp((await fp32.process(index, path, maskOptions)).data).extractChannel(0).raw().toBuffer()
        // Both are real masks of the object (not flat), close to the ground truth.
        expect(maskIoU(b, composite.alpha)).toBeGreaterThan(0.9)
        worstIoU = Math.min(worstIoU, maskIoU(a, b))
        worstDifference = Math.max(worstDifference, meanAbsoluteAlphaError(a, b))
      }
      expect(worstIoU).toBeGreaterThan(0.998)
      expect(worstDifference).toBeLessThan(0.001)
    } finally {
      for (const session of sessions) await session.release()
    }
  }, 400_000)
})
