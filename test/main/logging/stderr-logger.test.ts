import { afterEach, describe, expect, it, vi } from 'vitest'
import { createStderrLogger } from '../../../src/main/logging/stderr-logger'

afterEach(() => vi.restoreAllMocks())

function capture(): string[] {
  const lines: string[] = []
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk))
    return true
  })
  return lines
}

describe('stderr logger', () => {
  it('writes one redacted line per entry at or above its level', () => {
    const lines = capture()
    const logger = createStderrLogger('info')
    logger.debug('hidden')
    logger.info('sms sent to 13812345678', { vcode: '123456', attempt: 2 })
    logger.error('upload failed', { url: 'https://b.example/k?X-Amz-Signature=abcdef0123456789&X-Amz-Expires=60' })
    expect(lines).toEqual([
      '[info] sms sent to 138****5678 {"vcode":"[redacted]","attempt":2}\n',
      '[error] upload failed {"url":"https://b.example/k?X-Amz-Signature=[redacted]&X-Amz-Expires=60"}\n',
    ])
  })
})
