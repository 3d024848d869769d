/**
 * `npx tsx scripts/make-probe-references.ts`: writes the device probe's photo and the CPU's
 * reference mask for it, per bundled model, into resources/probe (see [Note: device probe] in
 * src/main/engine/local/probe.ts). The photo is scikit-image's astronaut (public domain, NASA),
 * from the Debian package python3-skimage. The masks are made by our CPU path: the same decode,
 * normalisation, session options and mask conversion the engine uses.
 */
import { writeFile } from 'node:fs/promises'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { decodeForModel } from '../src/main/imaging/decode'
import { loadVerifiedModel, resolveModel } from '../src/main/engine/local/model'
import { createMaskSession } from '../src/main/engine/local/session'
import { skimagePath } from '../test/helpers/images'

const dir = join(dirname(fileURLToPath(import.meta.url)), '../resources/probe')
const photo = join(dir, 'probe.jpg')
await writeFile(photo, await sharp(skimagePath('astronaut.png')).toColourspace('srgb').jpeg({ quality: 90 }).toBuffer())
for (const id of ['isnet-medium', 'isnet-small'] as const) {
  const model = await resolveModel(id, null)
  const session = await createMaskSession(await loadVerifiedModel(model), model.spec, { threads: os.availableParallelism() })
  const input = await decodeForModel(photo, model.spec.inputSize, { maxMegapixels: 100 })
  const mask = await session.run(input.rgb)
  const size = model.spec.inputSize
  await sharp(mask, { raw: { width: size, height: size, channels: 1 } }).png({ compressionLevel: 9 }).toFile(join(dir, `${id}.png`))
  await session.release()
  process.stdout.write(`${id}: ${join(dir, `${id}.png`)}\n`)
}
