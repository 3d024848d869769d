/**
 * The ISNet medium pipeline run in the test process (no model process), with a scratch folder,
 * opened before a file's tests and released after them. For tests that measure masks.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { loadVerifiedModel, resolveModel } from '../../../../src/main/engine/local/model'
import { CutoutPipeline } from '../../../../src/main/engine/local/pipeline'
import { createMaskSession, type MaskSession } from '../../../../src/main/engine/local/session'

export interface InProcessPipeline {
  readonly dir: string
  readonly pipeline: CutoutPipeline
}

/** Call at the top level of a test file; the fields are ready inside its tests. */
export function useInProcessPipeline(prefix: string): InProcessPipeline {
  let dir = ''
  let session: MaskSession | undefined
  let pipeline: CutoutPipeline | undefined
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix))
    const model = await resolveModel('isnet-medium', null)
    session = await createMaskSession(await loadVerifiedModel(model), model.spec, { threads: 2 })
    pipeline = new CutoutPipeline(session)
  })
  afterAll(async () => {
    await session?.release()
    if (dir) await rm(dir, { recursive: true, force: true })
  })
  return {
    get dir() {
      return dir
    },
    get pipeline() {
      if (!pipeline) throw new Error('the pipeline is opened in beforeAll')
      return pipeline
    },
  }
}
