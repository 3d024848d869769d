/**
 * The renderer's cache of thumbnails fetched from main (PNG data URLs, addressed by queue item,
 * never by path). Small and bounded: scrolling through 10,000 files keeps only the most recent
 * few hundred in memory, and identical requests in flight share one bridge call.
 */
import type { ThumbnailKind } from '../../../shared/bridge'
import { call } from '../lib/bridge'

const MAX_ENTRIES = 400

export class ThumbnailCache {
  readonly #entries = new Map<string, Promise<string | null>>()

  /**
   * `version` changes when the picture may have changed (an output written or rewritten), so a
   * stale thumbnail is never served.
   */
  get(itemId: number, kind: ThumbnailKind, maxEdge: number, version: string): Promise<string | null> {
    const key = `${itemId}:${kind}:${maxEdge}:${version}`
    const cached = this.#entries.get(key)
    if (cached) {
      // Map order is insertion order: re-insert to mark it recently used.
      this.#entries.delete(key)
      this.#entries.set(key, cached)
      return cached
    }
    const loading = call('getThumbnail', itemId, kind, maxEdge).catch((error: unknown) => {
      this.#entries.delete(key)
      throw error
    })
    this.#entries.set(key, loading)
    while (this.#entries.size > MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value
      if (oldest === undefined) break
      this.#entries.delete(oldest)
    }
    return loading
  }

  reset(): void {
    this.#entries.clear()
  }
}

export const thumbnailCache = new ThumbnailCache()
