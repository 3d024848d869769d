/**
 * The fp32 twin of an fp16 ONNX model (ISNet medium): the same graph with every fp16 initializer,
 * Constant, Cast target and declared tensor type widened to fp32, and with only the output the
 * engine reads the mask from. Read and written with ONNX's own schema (onnx-proto, on
 * protobufjs), never by hand.
 *
 * [Note: fp32 twin] ISNet medium stores its weights as fp16 and casts around them. A GPU without
 * `shader-f16` (older GPUs, SwiftShader) accepts the session and fails on the first run; the twin
 * needs no f16 at all. On x86 CPUs the twin is also faster (no fp16→fp32 conversions inside the
 * graph: 1,150 vs 1,290 ms per run measured on the 2-core machines), at twice the size (176 MB).
 * Widening is exact (every half is a float), so the masks agree to rounding of the arithmetic
 * (max difference 2.5e-5 on ISNet medium).
 *
 * [Note: twin pruning] ISNet also outputs five side masks and six inner activations, used only in
 * training. onnxruntime computes every graph output whichever are fetched, and keeps each exposed
 * tensor out of its blocked (NCHWc) layout, so the twin keeps only the mask output (maskOutputName,
 * as the session reads it) and drops the 71 nodes that feed nothing else: the same mask, and a run
 * 7-9 % shorter on the CPU (1,100 vs 1,218 ms here). The conversion is deterministic: its SHA-256 is known
 * (TWIN_SHA256) and checked both after building and when the cached copy is read back. It is built
 * on first need inside the model process and kept in the user data folder.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import onnxProto from 'onnx-proto'
import { KoutuError } from '../../../shared/errors'
import type { LocalModelId } from '../../../shared/settings'
import { maskOutputName } from './session'

const { onnx } = onnxProto
const FLOAT = onnx.TensorProto.DataType.FLOAT
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16

/** The twin of each bundled fp16 model: its SHA-256 and size, fixed by the deterministic build. */
export const TWIN_SHA256: Partial<Record<LocalModelId, { sha256: string; size: number }>> = {
  'isnet-medium': { sha256: '5b5e3560e2d1fa546a3789f323e111ba47efa5c3a5a25b635af41078db1f0a00', size: 176_160_838 },
}

/** All 65,536 halves as floats: widening a tensor is then one table read per value. */
let halfTable: Float32Array | null = null
function halves(): Float32Array {
  if (halfTable) return halfTable
  halfTable = new Float32Array(65536)
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1
    const exponent = (h >> 10) & 0x1f
    const mantissa = h & 0x3ff
    halfTable[h] =
      exponent === 0
        ? sign * mantissa * 2 ** -24
        : exponent === 31
          ? mantissa === 0
            ? sign * Infinity
            : NaN
          : sign * (1 + mantissa / 1024) * 2 ** (exponent - 15)
  }
  return halfTable
}

/** Widen one fp16 tensor in place (raw_data or the int32_data form ONNX also allows). */
function widenTensor(tensor: onnxProto.onnx.ITensorProto): boolean {
  if (tensor.dataType !== FLOAT16) return false
  const table = halves()
  let values: Float32Array
  if (tensor.rawData && tensor.rawData.length > 0) {
    const raw = tensor.rawData
    const count = raw.length >> 1
    values = new Float32Array(count)
    for (let i = 0; i < count; i++) values[i] = table[raw[2 * i]! | (raw[2 * i + 1]! << 8)]!
  } else {
    values = Float32Array.from(tensor.int32Data ?? [], (bits) => table[bits & 0xffff]!)
  }
  tensor.dataType = FLOAT
  tensor.rawData = new Uint8Array(values.buffer)
  tensor.int32Data = []
  return true
}

function widenType(type: onnxProto.onnx.ITypeProto | null | undefined): void {
  if (type?.tensorType?.elemType === FLOAT16) type.tensorType.elemType = FLOAT
}

/** What the conversion changed, for the log and the tests. */
export interface TwinStats {
  initializers: number
  constants: number
  casts: number
  declaredTypes: number
  /** Graph outputs dropped (every one but the mask), and the nodes that fed only them. */
  prunedOutputs: number
  prunedNodes: number
}

/**
 * Build the fp32 twin of an ONNX model. A model with nothing in fp16 comes back as an equal graph
 * (re-encoded). Rejects models that are not ONNX with `engine.model-invalid`.
 */
export function buildFp32Twin(model: Uint8Array): { bytes: Uint8Array; stats: TwinStats } {
  let decoded: onnxProto.onnx.ModelProto
  try {
    decoded = onnx.ModelProto.decode(model)
  } catch (cause) {
    throw new KoutuError('engine.model-invalid', `The model cannot be read as ONNX: ${(cause as Error).message}`, { cause })
  }
  const stats: TwinStats = { initializers: 0, constants: 0, casts: 0, declaredTypes: 0, prunedOutputs: 0, prunedNodes: 0 }
  const graph = decoded.graph
  if (!graph) throw new KoutuError('engine.model-invalid', 'The model has no graph.')
  pruneToMaskOutput(graph, stats)
  for (const tensor of graph.initializer ?? []) if (widenTensor(tensor)) stats.initializers++
  for (const node of graph.node ?? []) {
    for (const attribute of node.attribute ?? []) {
      if (node.opType === 'Constant' && attribute.t && widenTensor(attribute.t)) stats.constants++
      if (node.opType === 'Cast' && attribute.name === 'to' && Number(attribute.i) === FLOAT16) {
        attribute.i = FLOAT
        stats.casts++
      }
    }
  }
  for (const info of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    if (info.type?.tensorType?.elemType === FLOAT16) stats.declaredTypes++
    widenType(info.type)
  }
  return { bytes: onnx.ModelProto.encode(decoded).finish(), stats }
}

/**
 * Keep only the graph output the mask is read from, and only the nodes, initializers and value
 * infos it depends on (see [Note: twin pruning]).
 */
function pruneToMaskOutput(graph: onnxProto.onnx.IGraphProto, stats: TwinStats): void {
  const outputs = graph.output ?? []
  const kept = maskOutputName(outputs.map((output) => output.name ?? ''))
  if (kept === undefined || outputs.length <= 1) return
  const nodes = graph.node ?? []
  const producers = new Map<string, onnxProto.onnx.INodeProto>()
  for (const node of nodes) for (const name of node.output ?? []) producers.set(name, node)
  const needed = new Set<onnxProto.onnx.INodeProto>()
  const neededNames = new Set<string>()
  const pending = [kept]
  while (pending.length > 0) {
    const name = pending.pop()!
    if (neededNames.has(name)) continue
    neededNames.add(name)
    const producer = producers.get(name)
    if (!producer || needed.has(producer)) continue
    needed.add(producer)
    pending.push(...inputsOf(producer))
  }
  stats.prunedOutputs = outputs.length - 1
  stats.prunedNodes = nodes.length - needed.size
  graph.output = outputs.filter((output) => output.name === kept)
  graph.node = nodes.filter((node) => needed.has(node))
  const dropped = new Set((graph.initializer ?? []).map((tensor) => tensor.name ?? '').filter((name) => !neededNames.has(name)))
  graph.initializer = (graph.initializer ?? []).filter((tensor) => !dropped.has(tensor.name ?? ''))
  // Models of IR version 3 list their initializers among the inputs too: a dropped one must not
  // become an input the caller has to feed.
  graph.input = (graph.input ?? []).filter((input) => !dropped.has(input.name ?? ''))
  graph.valueInfo = (graph.valueInfo ?? []).filter((info) => neededNames.has(info.name ?? ''))
}

/** The tensors a node reads: its inputs and those its subgraphs (If, Loop, Scan) use from outside. */
function inputsOf(node: onnxProto.onnx.INodeProto): string[] {
  const names = (node.input ?? []).filter((name) => name !== '')
  for (const attribute of node.attribute ?? []) {
    for (const subgraph of [attribute.g, ...(attribute.graphs ?? [])]) {
      for (const inner of subgraph?.node ?? []) names.push(...inputsOf(inner))
    }
  }
  return names
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * The fp32 twin of a bundled model, from the cache folder or built from `bundled` (already
 * verified by loadVerifiedModel) and cached. A cached file whose digest does not match is rebuilt.
 * `expected` defaults to TWIN_SHA256; a model without a known twin gets null (no twin).
 */
export async function loadFp32Twin(
  id: LocalModelId,
  bundled: () => Promise<Uint8Array>,
  cacheDir: string,
  expected = TWIN_SHA256[id],
): Promise<Uint8Array | null> {
  if (!expected) return null
  const path = join(cacheDir, `${id}-fp32-${expected.sha256.slice(0, 16)}.onnx`)
  try {
    const cached = await readFile(path)
    if (cached.length === expected.size && sha256Hex(cached) === expected.sha256) return cached
  } catch {
    // Not built yet: build it below.
  }
  const { bytes } = buildFp32Twin(await bundled())
  const digest = sha256Hex(bytes)
  if (bytes.length !== expected.size || digest !== expected.sha256) {
    throw new KoutuError('engine.model-corrupt', `The fp32 copy of ${id} came out different from the expected build (${digest.slice(0, 12)}…).`, {
      detail: { model: id, sha256: digest },
    })
  }
  await mkdir(cacheDir, { recursive: true })
  const partial = `${path}.${process.pid}.partial`
  try {
    await writeFile(partial, bytes)
    await rename(partial, path)
  } catch {
    // A read-only or full disk costs a rebuild next time, not this run.
    await rm(partial, { force: true }).catch(() => undefined)
  }
  return bytes
}
