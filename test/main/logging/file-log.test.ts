// The log file, written by electron-log's Node logger (the app uses electron-log/main, the same
// transports over Electron): rotation into numbered archives and redaction of every entry.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { configureFileLog, loggerFromElectronLog, type ElectronLogInstance } from '../../../src/main/logging/file-log'
import { archivePath, rotateLogFile } from '../../../src/main/logging/log-rotation'

let logsDir: string

beforeEach(() => {
  logsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-logs-'))
})
afterEach(() => fs.rmSync(logsDir, { recursive: true, force: true }))

async function nodeLog(): Promise<ElectronLogInstance> {
  const module = (await import('electron-log/node')) as unknown as { default: ElectronLogInstance & { create(options: { logId: string }): ElectronLogInstance } }
  return module.default.create({ logId: `test-${Math.random().toString(36).slice(2)}` })
}

describe('rotateLogFile', () => {
  it('shifts archives up and keeps only the newest few', () => {
    const logFile = path.join(logsDir, 'main.log')
    for (let run = 1; run <= 5; run += 1) {
      fs.writeFileSync(logFile, `run ${run}\n`)
      expect(rotateLogFile(logFile, 3)).toEqual({ rotated: true })
    }
    expect(fs.existsSync(logFile)).toBe(false)
    expect([1, 2, 3].map((index) => fs.readFileSync(archivePath(logFile, index), 'utf8'))).toEqual(['run 5\n', 'run 4\n', 'run 3\n'])
    expect(fs.existsSync(archivePath(logFile, 4))).toBe(false)
  })

  it('reports a failure instead of throwing', () => {
    const result = rotateLogFile(path.join(logsDir, 'absent.log'), 2)
    expect(result.rotated).toBe(false)
    expect(result.error).toMatch(/ENOENT/)
  })
})

describe('the log file', () => {
  it('writes redacted entries to logs/main.log, making the folder', async () => {
    const log = await nodeLog()
    const userLogs = path.join(logsDir, 'Koutu', 'logs')
    const logFile = configureFileLog(log, { logsDir: userLogs, level: 'debug' })
    const logger = loggerFromElectronLog(log)
    logger.info('login ok', { phone: '13812345678', token: 'tok_abcdef123456', credit: 12 })
    logger.warn('request failed: https://aipic.example/api/get_credit?token=tok_abcdef123456')
    logger.error('s3 upload', { secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', error: new Error('code=482913 rejected') })
    log.info('direct call', { vcode: '482913' }, 'Bearer tok_abcdef123456')
    logger.debug('debug line')

    expect(logFile).toBe(path.join(userLogs, 'main.log'))
    const text = fs.readFileSync(logFile, 'utf8')
    expect(text.trim().split('\n').filter((line) => /^\[\d{4}-/.test(line))).toHaveLength(5)
    expect(text).toContain('login ok {"phone":"138****5678","token":"[redacted]","credit":12}')
    expect(text).toContain('[warn]')
    expect(text).toContain('debug line')
    for (const secret of ['13812345678', 'tok_abcdef123456', 'wJalrXUtnFEMI', '482913']) expect(text).not.toContain(secret)
  })

  it('rotates into numbered archives when the file outgrows its limit', async () => {
    const log = await nodeLog()
    const logFile = configureFileLog(log, { logsDir, maxSizeBytes: 2_000, keep: 2 })
    const logger = loggerFromElectronLog(log)
    for (let line = 0; line < 200; line += 1) logger.info(`line ${line} ${'x'.repeat(50)}`)
    const files = fs.readdirSync(logsDir).sort()
    expect(files).toEqual(['main.1.log', 'main.2.log', 'main.log'])
    for (const file of files) expect(fs.statSync(path.join(logsDir, file)).size).toBeLessThan(2_000 + 200)
    expect(fs.readFileSync(logFile, 'utf8')).toContain('line 199 ')
    expect(fs.readFileSync(archivePath(logFile, 1), 'utf8')).not.toContain('line 199 ')
  })

  it('drops entries below the level', async () => {
    const log = await nodeLog()
    const logFile = configureFileLog(log, { logsDir, level: 'warn' })
    const logger = loggerFromElectronLog(log)
    logger.info('quiet')
    logger.warn('loud')
    const text = fs.readFileSync(logFile, 'utf8')
    expect(text).toContain('loud')
    expect(text).not.toContain('quiet')
  })
})
