/**
 * Waiting for work that cannot itself be interrupted (a model process starting, a compositing
 * thread finishing) without making the caller wait past a cancel: both engines use this.
 */

/**
 * Settles like `work`, or rejects with `reason()` as soon as `signal` aborts (at once when it
 * already has). The work itself runs on and its outcome is dropped.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, reason: () => unknown = () => signal?.reason): Promise<T> {
  if (!signal) return work
  return new Promise<T>((resolve, reject) => {
    // The dropped outcome must not surface as an unhandled rejection.
    const drop = (): void => void work.catch(() => undefined)
    if (signal.aborted) {
      drop()
      reject(reason())
      return
    }
    const onAbort = (): void => {
      drop()
      reject(reason())
    }
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
