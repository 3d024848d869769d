/** Shared setup for the aipic tests: a real test photo and a client with short time limits. */
import sharp from 'sharp'
import { createAipicClient, type AipicClientOptions } from '../../../src/main/aipic/client'
import type { Logger } from '../../../src/shared/logger'

/** A 64x48 photo: a red disc on a white background (so the stand-in's key has work to do). */
export function makeTestPhoto(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48">
    <rect width="64" height="48" fill="#ffffff"/><circle cx="32" cy="24" r="14" fill="#d01010"/></svg>`
  return sharp(Buffer.from(svg)).jpeg({ quality: 95 }).toBuffer()
}

/** A Logger that records every entry, to check that no secret is ever logged. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${fields ? JSON.stringify(fields) : ''}`)
  }
  return { lines, debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
}

export function testClient(baseUrl: string, overrides: Partial<AipicClientOptions> = {}) {
  return createAipicClient({
    baseUrl,
    userAgent: 'Koutu/0.0.0-test',
    logger: recordingLogger(),
    retry: { limit: 2, baseDelayMs: 10 },
    timeouts: { connect: 2000, send: 2000, response: 2000, cutoutResponse: 3000, idle: 2000, total: 4000, cutoutTotal: 5000 },
    ...overrides,
  })
}
