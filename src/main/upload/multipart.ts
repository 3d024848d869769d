/**
 * Builds the spec FormData bodies the public hosts take. The file part is a Blob that streams
 * from disk (`fs.openAsBlob`), so a 30 MB photo is never held in memory; got encodes the form
 * with form-data-encoder and knows its length, which gives real upload progress.
 */
import { openAsBlob } from 'node:fs'
import type { PreparedUpload } from './types'

/** The file as a Blob of its own MIME type, lazily read from disk for `kind: 'file'`. */
export async function uploadBlob(file: PreparedUpload): Promise<Blob> {
  if (file.kind === 'file') return openAsBlob(file.path, { type: file.mimeType })
  // Buffers from sharp are typed over ArrayBufferLike; they are never shared memory here.
  return new Blob([file.data as Uint8Array<ArrayBuffer>], { type: file.mimeType })
}

/**
 * A FormData with the plain `fields` first and the file last, under `fileField` and the random
 * `objectName` (hosts that keep the name put it in the URL).
 */
export async function buildForm(
  file: PreparedUpload,
  fileField: string,
  objectName: string,
  fields: Record<string, string> = {},
): Promise<FormData> {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  form.append(fileField, await uploadBlob(file), objectName)
  return form
}
