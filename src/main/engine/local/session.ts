/**
 * The onnxruntime session of the worker process: created once per process with deliberately
 * chosen options, then fed one normalised image at a time. Owns the model-facing half of the
 * pipeline: 8-bit RGB at the model's input size in, an 8-bit mask at that size out.
 *
 * [Note: onnxruntime options] Measured on the 2-core CI machines with ISNet medium at 1024²:
 * - graphOptimizationLevel 'all' (NCHWc layouts) is ~25 % faster than 'extended'.
 * - The memory-pattern planner pre-reserves one block for every activation of the graph and
 *   pushes the peak to ~2.3 GB; with it off, the CPU arena still reuses its blocks between runs
 *   (same speed) and the peak is ~1.45 GB. Switching the arena off entirely keeps the peak but
 *   costs about a third of the speed, so the arena stays on.
 * - Intra-op threads do not spin while idle: spinning would steal the cores that decode, the
 *   foreground estimation and encoding use in the gaps between operators.
 * - Fetching only `output` does not make onnxruntime skip ISNet's five side outputs and six
 *   exposed activations: it still computes them (and keeps those tensors in NCHW, with a
 *   reorder each). The fp32 twin drops them from the graph (fp32-twin.ts), 7-9 % of the run.
 *
 * [Note: WebAssembly runtime] onnxruntime-node 1.30 has no macOS x64 binary: there (device kind
 * `wasm`, see devices.ts) the same session runs on onnxruntime-web's WebAssembly backend, with
 * SIMD and as many threads as onnxruntime-node would use. Both packages share onnxruntime-common's
 * API, so only the loading differs; onnxruntime-node is imported lazily so that a process where
 * it cannot load still starts. Only the options the WebAssembly backend knows are passed to it.
 */
import type * as Ort from 'onnxruntime-node'
import { KoutuError } from '../../../shared/errors'
import type { ModelSpec } from './model'

export interface SessionOptions {
  /** Intra-op threads (the cores onnxruntime uses for one image). */
  threads: number
  /**
   * The one execution provider to run on (see [Note: device candidates] in devices.ts); default
   * the CPU. Only one, so a provider that cannot start rejects here instead of onnxruntime
   * quietly running on whatever comes next.
   */
  provider?: string | Record<string, unknown>
}

type Runtime = Pick<typeof Ort, 'InferenceSession' | 'Tensor'>

/** onnxruntime-node, or onnxruntime-web for the `wasm` provider (see the note above). */
async function loadRuntime(provider: string | Record<string, unknown>, threads: number): Promise<Runtime> {
  if (provider !== 'wasm') return (await import('onnxruntime-node')) as Runtime
  const web = await import('onnxruntime-web')
  web.env.wasm.numThreads = threads
  web.env.wasm.simd = true
  return web as unknown as Runtime
}

/** A loaded model that turns prepared pixels into a mask. */
export interface MaskSession {
  readonly spec: ModelSpec
  readonly inputName: string
  readonly outputName: string
  /** Infer on `rgb` (inputSize² × 3, interleaved 8-bit); resolves to an inputSize² mask. */
  run(rgb: Uint8Array): Promise<Uint8Array>
  /** Only the session.run part of `run`, on an already normalised tensor (benchmarks). */
  runTensor(input: Float32Array): Promise<Float32Array>
  /**
   * Normalise 8-bit RGB into the model's planar float input: into `reuse` when given (a caller
   * that runs one inference at a time keeps one 12 MB buffer instead of allocating one per image).
   */
  normalise(rgb: Uint8Array, reuse?: Float32Array): Float32Array
  release(): Promise<void>
}

/**
 * The output a matting model's mask is read from: ISNet names its main output 'output' (beside
 * five side outputs used only in training); other matting models usually have one output.
 */
export function maskOutputName(outputNames: readonly string[]): string | undefined {
  return outputNames.includes('output') ? 'output' : outputNames[0]
}

export async function createMaskSession(model: Uint8Array, spec: ModelSpec, options: SessionOptions): Promise<MaskSession> {
  const provider = options.provider ?? 'cpu'
  let session: Ort.InferenceSession
  let ort: Runtime
  try {
    ort = await loadRuntime(provider, options.threads)
    session = await ort.InferenceSession.create(
      model,
      provider === 'wasm'
        ? { executionProviders: ['wasm'], graphOptimizationLevel: 'all', executionMode: 'sequential', enableMemPattern: false }
        : {
            executionProviders: [provider as Ort.InferenceSession.ExecutionProviderConfig],
            graphOptimizationLevel: 'all',
            executionMode: 'sequential',
            intraOpNumThreads: options.threads,
            interOpNumThreads: 1,
            enableCpuMemArena: true,
            enableMemPattern: false,
            extra: { session: { intra_op: { allow_spinning: '0' } } },
          },
    )
  } catch (cause) {
    throw new KoutuError('engine.model-invalid', `The model ${spec.id} could not be loaded: ${(cause as Error).message}`, {
      detail: { model: spec.id },
      cause,
    })
  }
  const inputName = session.inputNames[0]
  const outputName = maskOutputName(session.outputNames)
  if (!inputName || !outputName) {
    throw new KoutuError('engine.model-invalid', `The model ${spec.id} has no input or output.`, { detail: { model: spec.id } })
  }
  const size = spec.inputSize
  const plane = size * size
  const dims = [1, 3, size, size]
  // Precomputed per-byte lookup tables: normalising 3 M values becomes 3 M table reads.
  const tables = [0, 1, 2].map((c) => {
    const table = new Float32Array(256)
    for (let v = 0; v < 256; v++) table[v] = (v / 255 - spec.mean[c]!) / spec.std[c]!
    return table
  }) as [Float32Array, Float32Array, Float32Array]

  const normalise = (rgb: Uint8Array, reuse?: Float32Array): Float32Array => {
    if (rgb.length !== plane * 3) throw new Error(`expected ${plane * 3} bytes, got ${rgb.length}`)
    const data = reuse?.length === plane * 3 ? reuse : new Float32Array(plane * 3)
    const [r, g, b] = tables
    for (let i = 0, k = 0; i < plane; i++, k += 3) {
      data[i] = r[rgb[k]!]!
      data[plane + i] = g[rgb[k + 1]!]!
      data[2 * plane + i] = b[rgb[k + 2]!]!
    }
    return data
  }

  const runTensor = async (input: Float32Array): Promise<Float32Array> => {
    let result: Ort.InferenceSession.ReturnType
    try {
      result = await session.run({ [inputName]: new ort.Tensor('float32', input, dims) }, [outputName])
    } catch (cause) {
      throw new KoutuError('engine.model-invalid', `The model ${spec.id} failed to run: ${(cause as Error).message}`, {
        detail: { model: spec.id },
        cause,
      })
    }
    const output = result[outputName]
    if (!output || output.type !== 'float32' || output.data.length !== plane) {
      throw new KoutuError(
        'engine.model-invalid',
        `The model ${spec.id} returned ${output?.dims.join('x') ?? 'nothing'}; a ${size}x${size} mask was expected.`,
        { detail: { model: spec.id } },
      )
    }
    return output.data as Float32Array
  }

  return {
    spec,
    inputName,
    outputName,
    normalise,
    runTensor,
    async run(rgb) {
      return toMask(await runTensor(normalise(rgb)), spec.applySigmoid)
    },
    async release() {
      await session.release()
    },
  }
}

/**
 * [Note: mask snapping] Matting models rarely output exact 0 or 1: ISNet leaves much of the
 * background at 1-7 of 255 and much of the subject at 248-254 (in the benchmark's photos up to a
 * third of the mask). Kept as they are, those pixels make the background a faint ghost of
 * itself, the subject a touch see-through, and every one of them an "edge" pixel that
 * decontamination, the PNG packer and zlib must treat one by one. Values within SNAP_LEVELS of
 * either end are snapped to it: on the quality test's composites this lowers the alpha error
 * against ground truth (it never raises it), and no visible edge is that faint.
 */
export const SNAP_LEVELS = 7
const SNAP_LOW = (SNAP_LEVELS + 0.5) / 255
const SNAP_HIGH = (255 - SNAP_LEVELS - 0.5) / 255

/** Model output (probabilities, or logits when `applySigmoid`) to an 8-bit mask, snapped at both ends. */
export function toMask(output: Float32Array, applySigmoid: boolean): Uint8Array {
  const mask = new Uint8Array(output.length)
  for (let i = 0; i < output.length; i++) {
    let value = output[i]!
    if (applySigmoid) value = 1 / (1 + Math.exp(-value))
    // The snapping bounds also clamp: a Uint8Array would wrap out-of-range values (256 becomes
    // 0). In range, truncating value * 255 + 0.5 rounds like Math.round, at a fraction of its cost.
    mask[i] = value < SNAP_LOW ? 0 : value >= SNAP_HIGH ? 255 : (value * 255 + 0.5) | 0
  }
  return mask
}
