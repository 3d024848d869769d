/**
 * The command line's remote options through a real commander program: --host (repeatable, in
 * order), --host-base NAME=URL, --allow-upload, the yes/no question on a terminal (a PassThrough
 * marked as a TTY), and the refusal without consent or terminal.
 */
import { PassThrough } from 'node:stream'
import { Command } from 'commander'
import { expect, it } from 'vitest'
import { isKoutuError } from '../../src/shared/errors'
import { DEFAULT_SETTINGS, type Settings } from '../../src/shared/settings'
import { addRemoteOptions, resolveRemoteOptions } from '../../src/cli/remote-options'

const remote: Settings = { ...DEFAULT_SETTINGS, engine: 'aipic' }

function parse(args: string[]): Record<string, unknown> {
  const command = addRemoteOptions(new Command('koutu').exitOverride().configureOutput({ writeErr: () => {} }))
  command.parse(args, { from: 'user' })
  return command.opts()
}

function terminal(answer: string | null): { stdin: PassThrough & { isTTY?: boolean }; stderr: PassThrough; text: () => string } {
  const stdin: PassThrough & { isTTY?: boolean } = new PassThrough()
  stdin.isTTY = true
  const stderr = new PassThrough()
  let text = ''
  stderr.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8')
    if (answer !== null && text.includes('[y/N]')) stdin.write(`${answer}\n`)
  })
  return { stdin, stderr, text: () => text }
}

it('takes hosts in the order given, base URL overrides and --allow-upload', async () => {
  const opts = parse(['--host', 'uguu', '--host', 'LITTERBOX', '--host', 'uguu', '--host-base', 'uguu=http://127.0.0.1:9/u', '--allow-upload'])
  const io = terminal(null)
  const settings = await resolveRemoteOptions(opts, remote, { ...io, interactive: false })
  expect(settings.uploadHosts).toEqual(['uguu', 'litterbox'])
  expect(settings.uploadBaseUrls).toEqual({ uguu: 'http://127.0.0.1:9/u' })
  expect(settings.uploadConsent).toEqual(['uguu', 'litterbox'])
  expect(io.text()).toBe('')
})

it('refuses unknown hosts and malformed --host-base values', () => {
  expect(() => parse(['--host', 'dropbox'])).toThrow(/Allowed choices are litterbox, uguu, tmpfiles, s3/)
  expect(() => parse(['--host-base', 'uguu'])).toThrow(/NAME=URL/)
  expect(() => parse(['--host-base', 'uguu=ftp://x'])).toThrow(/not an http\(s\) URL/)
})

it('asks on a terminal, naming each host and how long it keeps files', async () => {
  const yes = terminal('y')
  const settings = await resolveRemoteOptions(parse(['--host', 'litterbox', '--host', 'tmpfiles']), remote, yes)
  expect(settings.uploadConsent).toEqual(['litterbox', 'tmpfiles'])
  expect(yes.text()).toMatch(/litterbox\.catbox\.moe \(litterbox\): files are kept 1 hour/)
  expect(yes.text()).toMatch(/tmpfiles\.org \(tmpfiles\): files are kept 1 hour/)

  const no = terminal('n')
  const error = await resolveRemoteOptions(parse([]), remote, no).catch((caught: unknown) => caught)
  expect(isKoutuError(error, 'upload.consent-required')).toBe(true)
  expect((error as Error).message).toMatch(/--allow-upload/)
})

it('refuses without a terminal, asks only for hosts not yet agreed to, and leaves local batches alone', async () => {
  const pipe = { stdin: new PassThrough(), stderr: new PassThrough() }
  const error = await resolveRemoteOptions(parse(['--host', 'uguu']), remote, pipe).catch((caught: unknown) => caught)
  expect(isKoutuError(error, 'upload.consent-required')).toBe(true)
  expect((error as { detail: Record<string, unknown> }).detail.hosts).toBe('uguu')

  const agreedInApp = await resolveRemoteOptions(parse(['--host', 'uguu']), { ...remote, uploadConsent: ['uguu'] }, pipe)
  expect(agreedInApp.uploadConsent).toEqual(['uguu'])
  const ownBucket = await resolveRemoteOptions(parse(['--host', 's3']), remote, pipe)
  expect(ownBucket.uploadHosts).toEqual(['s3'])
  const local = await resolveRemoteOptions(parse(['--host', 'uguu']), { ...DEFAULT_SETTINGS }, pipe)
  expect(local.uploadConsent).toEqual([])
  expect(local.uploadHosts).toEqual(['uguu'])
})
