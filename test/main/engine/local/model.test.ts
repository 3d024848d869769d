import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundledModelDir, loadVerifiedModel, resolveModel } from '../../../../src/main/engine/local/model'
import { isKoutuError } from '../../../../src/shared/errors'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'koutu-model-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('bundled ISNet models', () => {
  it('assembles and verifies both models from the carrier package', async () => {
    const medium = await resolveModel('isnet-medium', null)
    expect(medium.files).toHaveLength(22)
    expect(medium.spec).toMatchObject({ inputSize: 1024, applySigmoid: false })
    const bytes = await loadVerifiedModel(medium)
    expect(bytes.length).toBe(medium.size)
    const small = await resolveModel('isnet-small', null)
    expect((await loadVerifiedModel(small)).length).toBe(44_342_436)
  })

  it('rejects a damaged chunk with engine.model-corrupt and a missing folder with engine.model-missing', async () => {
    const source = bundledModelDir()
    const small = await resolveModel('isnet-small', null)
    await copyFile(join(source, 'resources.json'), join(dir, 'resources.json'))
    for (const file of small.files) await copyFile(file, join(dir, basename(file)))
    const copy = await resolveModel('isnet-small', null, { modelDir: dir })
    await expect(loadVerifiedModel(copy)).resolves.toHaveLength(44_342_436)

    const victim = copy.files[3]!
    const bytes = await readFile(victim)
    bytes[1000] = bytes[1000]! ^ 0xff
    await writeFile(victim, bytes)
    await expect(loadVerifiedModel(copy)).rejects.toSatisfy((e) => isKoutuError(e, 'engine.model-corrupt'))

    await copyFile(small.files[3]!, victim)
    await rm(copy.files[5]!)
    await expect(loadVerifiedModel(copy)).rejects.toSatisfy((e) => isKoutuError(e, 'engine.model-missing'))
    await expect(resolveModel('isnet-medium', null, { modelDir: join(dir, 'absent') })).rejects.toSatisfy((e) =>
      isKoutuError(e, 'engine.model-missing'),
    )
  })

  it('resolves a custom model to its file and refuses a missing one', async () => {
    const path = join(dir, 'mine.onnx')
    await writeFile(path, 'onnx bytes')
    const custom = { path, inputSize: 320, mean: [0.485, 0.456, 0.406] as [number, number, number], std: [0.229, 0.224, 0.225] as [number, number, number], applySigmoid: false }
    const resolved = await resolveModel('custom', custom)
    expect(resolved).toMatchObject({ files: [path], sha256: null, spec: { id: 'custom', inputSize: 320 } })
    await expect(resolveModel('custom', { ...custom, path: join(dir, 'gone.onnx') })).rejects.toSatisfy((e) =>
      isKoutuError(e, 'engine.model-missing'),
    )
    await expect(resolveModel('custom', null)).rejects.toSatisfy((e) => isKoutuError(e, 'engine.model-missing'))
  })
})
