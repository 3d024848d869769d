/**
 * One photo from disk to a public URL: prepare (orient, convert, downscale, strip metadata),
 * upload through the fallback chain, and remove the temp file whatever happens. This is the
 * step the remote engine runs per file; it returns what the engine needs to map the cutout back
 * (original size, upload size, scale) and what the per-file log needs (host used, hosts failed).
 */
import { prepareForUpload, type PrepareOptions, type PreparedImage } from './prepare'
import type { UploadCallOptions } from './types'
import type { Uploader, UploaderResult } from './uploader'

export interface PhotoUpload extends UploaderResult {
  prepared: Omit<PreparedImage, 'upload' | 'cleanup'>
}

export async function uploadPhoto(
  inputPath: string,
  uploader: Uploader,
  options: UploadCallOptions & { prepare?: PrepareOptions } = {},
): Promise<PhotoUpload> {
  const { prepare, ...call } = options
  const prepared = await prepareForUpload(inputPath, prepare)
  try {
    const result = await uploader.upload(prepared.upload, call)
    const { original, uploaded, scale, actions } = prepared
    return { ...result, prepared: { original, uploaded, scale, actions } }
  } finally {
    // The host has its copy (or the upload failed); the local one is never needed again.
    await prepared.cleanup()
  }
}
