/** The token storage policy, and the command line's 0600 plaintext vault on a real file system. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PlaintextFileVault, chooseTokenStorage } from '../../../src/main/aipic/secret-vault'

const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-vault-'))
afterAll(() => fs.rmSync(tempDir, { recursive: true, force: true }))

describe('chooseTokenStorage', () => {
  const cases: [string, Parameters<typeof chooseTokenStorage>[0], ReturnType<typeof chooseTokenStorage>][] = [
    ['macOS keychain', { platform: 'darwin', encryptionAvailable: true, selectedBackend: null, allowPlaintext: false }, { backend: 'os-encrypted', reason: 'encrypted' }],
    ['Windows DPAPI', { platform: 'win32', encryptionAvailable: true, selectedBackend: null, allowPlaintext: false }, { backend: 'os-encrypted', reason: 'encrypted' }],
    ['Linux libsecret', { platform: 'linux', encryptionAvailable: true, selectedBackend: 'gnome_libsecret', allowPlaintext: false }, { backend: 'os-encrypted', reason: 'encrypted' }],
    ['Linux kwallet5', { platform: 'linux', encryptionAvailable: true, selectedBackend: 'kwallet5', allowPlaintext: true }, { backend: 'os-encrypted', reason: 'encrypted' }],
    ['Linux basic_text', { platform: 'linux', encryptionAvailable: true, selectedBackend: 'basic_text', allowPlaintext: false }, { backend: 'memory-only', reason: 'basic-text-only' }],
    ['Linux basic_text, opted in', { platform: 'linux', encryptionAvailable: true, selectedBackend: 'basic_text', allowPlaintext: true }, { backend: 'plaintext-file', reason: 'user-opted-in' }],
    ['Linux unknown backend', { platform: 'linux', encryptionAvailable: true, selectedBackend: 'unknown', allowPlaintext: false }, { backend: 'memory-only', reason: 'basic-text-only' }],
    ['no encryption', { platform: 'linux', encryptionAvailable: false, selectedBackend: 'basic_text', allowPlaintext: false }, { backend: 'memory-only', reason: 'unavailable' }],
    ['no encryption, opted in', { platform: 'win32', encryptionAvailable: false, selectedBackend: null, allowPlaintext: true }, { backend: 'plaintext-file', reason: 'user-opted-in' }],
  ]
  it.each(cases)('%s', (_name, inputs, expected) => {
    expect(chooseTokenStorage(inputs)).toEqual(expected)
  })
})

describe.skipIf(process.platform === 'win32')('PlaintextFileVault', () => {
  it('writes a file only its owner can read, and tightens a looser one', async () => {
    const file = path.join(tempDir, 'nested', 'cli-token.json')
    const vault = new PlaintextFileVault(file)
    expect(await vault.load('t')).toBeNull()
    await vault.save('t', 'secret-1')
    await vault.save('other', 'secret-2')
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    expect(await new PlaintextFileVault(file).load('t')).toBe('secret-1')

    fs.chmodSync(file, 0o644)
    expect(await vault.load('other')).toBe('secret-2')
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)

    await vault.clear('t')
    expect(await vault.load('t')).toBeNull()
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ other: 'secret-2' })
  })

  it('a damaged file reads as empty (log in again) rather than failing', async () => {
    const file = path.join(tempDir, 'damaged.json')
    fs.writeFileSync(file, '{not json', { mode: 0o600 })
    expect(await new PlaintextFileVault(file).load('t')).toBeNull()
  })
})
