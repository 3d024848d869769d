/**
 * Tiny ONNX matting models built by the tests themselves (with ONNX's own schema, onnx-proto),
 * so device tests run in milliseconds instead of ISNet's seconds or, on SwiftShader, minutes.
 * Each takes `input` [1,3,S,S] float32 and returns `output` [1,1,S,S] in 0..1 like ISNet:
 *
 * - `fp32`: a 1×1 convolution over the colour channels, then a sigmoid: a mask that follows the
 *   photo's brightness, so different photos give different masks.
 * - `fp16`: the same arithmetic the way ISNet medium is stored: the input cast to fp16, the
 *   weights fp16 initializers, an fp16 Constant, a Transpose pair (the operator whose shader
 *   needs `shader-f16` on WebGPU), the result cast back to fp32.
 * - `standin`: ISNet's input and output shape at (almost) no cost: the mean of the first channel
 *   row by row through a Slice and a Sigmoid, for the benchmark's pipeline ceiling.
 */
import onnxProto from 'onnx-proto'

const { onnx } = onnxProto
const FLOAT = 1
const FLOAT16 = 10

/** The weights every tiny model uses: y = sigmoid(4·(0.5 r + 0.3 g + 0.2 b) + bias). */
const WEIGHTS = [2, 1.2, 0.8]
const BIAS = -0.3

function valueInfo(name: string, elemType: number, dims: number[]): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((dimValue) => ({ dimValue })) } } } }
}

/** IEEE half from a float (round to nearest even is not needed for the few values used here). */
export function toHalf(value: number): number {
  const f32 = new Float32Array([value])
  const bits = new Uint32Array(f32.buffer)[0]!
  const sign = (bits >>> 16) & 0x8000
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15
  const mantissa = bits & 0x7fffff
  if (exponent <= 0) return sign
  if (exponent >= 31) return sign | 0x7c00
  return sign | (exponent << 10) | Math.round(mantissa / 0x2000)
}

function halfBytes(values: number[]): Uint8Array {
  const halves = new Uint16Array(values.map(toHalf))
  return new Uint8Array(halves.buffer)
}

function floatBytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer)
}

function model(graph: onnxProto.onnx.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'koutu-tests',
    opsetImport: [{ domain: '', version: 17 }],
    graph,
  }).finish()
}

/** The fp32 tiny model at input edge `size`. */
export function tinyFp32Model(size: number): Uint8Array {
  return model({
    name: 'tiny-fp32',
    node: [
      { opType: 'Conv', input: ['input', 'w', 'b'], output: ['logits'], name: 'conv' },
      { opType: 'Sigmoid', input: ['logits'], output: ['output'], name: 'sigmoid' },
    ],
    initializer: [
      { name: 'w', dataType: FLOAT, dims: [1, 3, 1, 1], rawData: floatBytes(WEIGHTS) },
      { name: 'b', dataType: FLOAT, dims: [1], rawData: floatBytes([BIAS]) },
    ],
    input: [valueInfo('input', FLOAT, [1, 3, size, size])],
    output: [valueInfo('output', FLOAT, [1, 1, size, size])],
  })
}

/** The fp16 tiny model at input edge `size` (see the header). */
export function tinyFp16Model(size: number): Uint8Array {
  return model({
    name: 'tiny-fp16',
    node: [
      { opType: 'Cast', input: ['input'], output: ['x16'], name: 'to-half', attribute: [{ name: 'to', type: 2, i: FLOAT16 }] },
      { opType: 'Transpose', input: ['x16'], output: ['xt'], name: 'swap', attribute: [{ name: 'perm', type: 7, ints: [0, 1, 3, 2] }] },
      { opType: 'Transpose', input: ['xt'], output: ['xb'], name: 'swap-back', attribute: [{ name: 'perm', type: 7, ints: [0, 1, 3, 2] }] },
      { opType: 'Conv', input: ['xb', 'w', 'b'], output: ['conv'], name: 'conv' },
      {
        opType: 'Constant',
        output: ['one'],
        name: 'one',
        attribute: [{ name: 'value', type: 4, t: { dataType: FLOAT16, dims: [1], rawData: halfBytes([1]) } }],
      },
      { opType: 'Mul', input: ['conv', 'one'], output: ['logits'], name: 'times-one' },
      { opType: 'Sigmoid', input: ['logits'], output: ['mask16'], name: 'sigmoid' },
      { opType: 'Cast', input: ['mask16'], output: ['output'], name: 'to-float', attribute: [{ name: 'to', type: 2, i: FLOAT }] },
    ],
    initializer: [
      { name: 'w', dataType: FLOAT16, dims: [1, 3, 1, 1], rawData: halfBytes(WEIGHTS) },
      { name: 'b', dataType: FLOAT16, dims: [1], rawData: halfBytes([BIAS]) },
    ],
    input: [valueInfo('input', FLOAT, [1, 3, size, size])],
    output: [valueInfo('output', FLOAT, [1, 1, size, size])],
    valueInfo: [valueInfo('x16', FLOAT16, [1, 3, size, size]), valueInfo('mask16', FLOAT16, [1, 1, size, size])],
  })
}

/**
 * ISNet's interface at almost no cost (the benchmark's pipeline ceiling): the mask is
 * sigmoid(STANDIN_STEEPNESS × red), red normalised as ISNet's input.
 *
 * [Note: a stand-in mask like a real one] What the pipeline costs after inference depends on the
 * mask: every semi-transparent pixel is decontaminated, and PNG's filter and zlib do far more work
 * on an alpha channel of varying levels than on runs of 0 and 255. A plain sigmoid(red) makes
 * every pixel semi-transparent, which no real model does, and so measured a pipeline twice as
 * costly as ISNet's. A steepness of 52 leaves 2–32 % of the pixels soft on the benchmark's photos,
 * 13 % on average, as ISNet medium does on the same photos (2–43 %, 13 %); `npm run bench:engine`
 * prints both shares side by side, so a drift shows.
 */
export const STANDIN_STEEPNESS = 52

export function standinModel(size: number): Uint8Array {
  const int64 = (values: number[]): Uint8Array => new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer)
  return model({
    name: 'standin',
    node: [
      { opType: 'Slice', input: ['input', 'starts', 'ends', 'axes'], output: ['red'], name: 'first-channel' },
      { opType: 'Mul', input: ['red', 'steepness'], output: ['logits'], name: 'steepen' },
      { opType: 'Sigmoid', input: ['logits'], output: ['output'], name: 'sigmoid' },
    ],
    initializer: [
      { name: 'starts', dataType: 7, dims: [1], rawData: int64([0]) },
      { name: 'ends', dataType: 7, dims: [1], rawData: int64([1]) },
      { name: 'axes', dataType: 7, dims: [1], rawData: int64([1]) },
      { name: 'steepness', dataType: FLOAT, dims: [1], rawData: floatBytes([STANDIN_STEEPNESS]) },
    ],
    input: [valueInfo('input', FLOAT, [1, 3, size, size])],
    output: [valueInfo('output', FLOAT, [1, 1, size, size])],
  })
}
