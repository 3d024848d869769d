/**
 * The upload-host contract: what the remote engine needs from anything that turns a local file
 * into a short public URL the aipic API can fetch. Adapters (hosts/*) implement it; the
 * uploader (uploader.ts) chains them into an ordered fallback.
 */
import type { UploadHostId } from '../../shared/settings'

/** A file ready to be sent: already oriented, converted and downscaled by prepare.ts. */
export type PreparedUpload =
  | {
      /** Streamed from disk, never read into memory whole. */
      kind: 'file'
      path: string
      /** Bytes on disk. */
      size: number
      mimeType: string
      /** Without the dot: 'jpg', 'png'. Used for the random object name. */
      extension: string
    }
  | {
      kind: 'buffer'
      data: Uint8Array
      size: number
      mimeType: string
      extension: string
    }

/** Upload progress as the bytes leave this machine (multipart overhead included). */
export interface UploadProgress {
  host: UploadHostId
  transferred: number
  /** Undefined while the body size is unknown. */
  total: number | undefined
}

export interface UploadCallOptions {
  signal?: AbortSignal
  onProgress?: (progress: UploadProgress) => void
}

export interface UploadResult {
  /** The direct URL of the file (what the API fetches), at most `maxUrlLength` characters. */
  url: string
  /** When the host deletes the file; null when the host keeps it until its own rule removes it. */
  expiresAt: Date | null
  host: UploadHostId
}

export interface UploadHost {
  readonly id: UploadHostId
  upload(file: PreparedUpload, options?: UploadCallOptions): Promise<UploadResult>
}

/** The longest image URL the aipic API accepts. */
export const MAX_API_URL_LENGTH = 128
