/**
 * The account commands, run through a commander program that has only them, against the aipic
 * stand-in over real HTTP, with a real config folder.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PassThrough, Writable } from 'node:stream'
import { Command } from 'commander'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI_ACCOUNT_FILE, CLI_TOKEN_FILE, registerAccountCommands } from '../../../src/cli/commands/account'
import { silentLogger } from '../../../src/shared/logger'
import { type AipicStandin, startAipicStandin } from '../../standins/aipic-server'
import { startStaticHost, type StaticHost } from '../../standins/aipic/static-host'
import { makeTestPhoto } from '../../main/aipic/helpers'

let standin: AipicStandin
let host: StaticHost
const dirs: string[] = []

beforeAll(async () => {
  standin = await startAipicStandin()
  host = await startStaticHost()
})
afterAll(async () => {
  await standin.close()
  await host.close()
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
})

function configDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-cli-'))
  dirs.push(dir)
  return dir
}

function capture(onWrite?: (all: string) => void) {
  let text = ''
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk)
      onWrite?.(text)
      done()
    },
  })
  return { stream, text: () => text }
}

/** Runs `koutu <args>` with only the account commands; returns what it printed and the exit code. */
async function run(dir: string, args: string[], io: { env?: NodeJS.ProcessEnv; tty?: (prompt: string) => string | null } = {}) {
  const stdin = Object.assign(new PassThrough(), { isTTY: io.tty !== undefined })
  const stdout = capture((all) => {
    if (io.tty && all.endsWith('SMS code: ')) {
      const answer = io.tty(all)
      if (answer !== null) stdin.write(`${answer}\n`)
    }
  })
  const stderr = capture()
  let exitCode = 0
  const program = new Command().name('koutu').exitOverride()
  registerAccountCommands(program, {
    configDir: dir,
    logger: silentLogger,
    userAgent: 'Koutu/0.0.0 (command line test)',
    env: io.env ?? {},
    stdin,
    stdout: stdout.stream,
    stderr: stderr.stream,
    setExitCode: (code) => (exitCode = code),
    clientOptions: { retry: { limit: 0 } },
  })
  await program.parseAsync(args, { from: 'user' })
  return { out: stdout.text(), err: stderr.text(), exitCode }
}

describe('koutu login / credits / history / logout', () => {
  it('logs in in two steps without a terminal, keeps the token in a 0600 file, and logs out', async () => {
    const dir = configDir()
    const phone = '13812345678'
    const base = ['--api-base', standin.url]

    const sent = await run(dir, [...base, 'login', `+86 ${phone}`])
    expect(sent.exitCode).toBe(0)
    expect(sent.out).toContain(`koutu login +86 ${phone} --code`)
    const code = standin.lastCode(phone)

    const login = await run(dir, [...base, 'login', phone, '--code', code, '--json'])
    expect(login.exitCode).toBe(0)
    const reply = JSON.parse(login.out)
    expect(reply).toMatchObject({ ok: true, state: { loggedIn: true, phone: '138****5678', credit: standin.state.initialUserCredit } })
    const token = standin.state.users.get(phone)!.token!
    expect(login.out).not.toContain(token)
    const tokenFile = path.join(dir, CLI_TOKEN_FILE)
    expect(reply.tokenFile).toBe(tokenFile)
    expect(fs.readFileSync(tokenFile, 'utf8')).toContain(token)
    if (process.platform !== 'win32') expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600)
    expect(fs.readFileSync(path.join(dir, CLI_ACCOUNT_FILE), 'utf8')).not.toContain(token)

    const photo = host.put('/cli.jpg', await makeTestPhoto(), 'image/jpeg')
    const user = standin.state.users.get(phone)!
    const now = new Date().toISOString()
    standin.state.history.push({ id: 900, customer_id: user.id, uuid: null, remark: null, img_url: photo, rmbg_img_url: `${standin.url}/r.png`, created_at: now, updated_at: now })

    const credits = await run(dir, [...base, 'credits', '--json'])
    expect(JSON.parse(credits.out)).toMatchObject({ ok: true, credit: user.credit, identity: 'phone' })
    const creditsText = await run(dir, [...base, 'credits'])
    expect(creditsText.out).toContain(`${user.credit} credits left (account 138****5678)`)

    const history = await run(dir, [...base, 'history', '--page', '1', '--size', '5', '--json'])
    expect(JSON.parse(history.out)).toMatchObject({ ok: true, page: 1, size: 5, totalCount: 1, items: [{ id: '900', imageUrl: photo }] })
    const historyText = await run(dir, [...base, 'history'])
    expect(historyText.out).toContain(`${photo}  ->  ${standin.url}/r.png`)

    const logout = await run(dir, [...base, 'logout', '--json'])
    expect(JSON.parse(logout.out).state).toMatchObject({ loggedIn: false, identity: 'device' })
    expect(fs.readFileSync(tokenFile, 'utf8')).not.toContain(token)
    const afterwards = await run(dir, [...base, 'history'])
    expect(afterwards.exitCode).toBe(1)
    expect(afterwards.err).toContain('Log in')
  })

  it('asks for the code on a terminal, and KOUTU_API_BASE selects the server', async () => {
    const dir = configDir()
    const phone = '13912345678'
    const result = await run(dir, ['login', phone], {
      env: { KOUTU_API_BASE: standin.url },
      tty: () => standin.lastCode(phone),
    })
    expect(result.err).toBe('')
    expect(result.out).toContain('SMS code: ')
    expect(result.out).toContain('Logged in as 139****5678')
    expect(result.out).toContain('readable only by you (mode 0600)')
  })

  it('device mode credits, and errors as JSON with exit code 1', async () => {
    const dir = configDir()
    const credits = await run(dir, ['--api-base', standin.url, 'credits'])
    expect(credits.out).toContain(`${standin.state.initialDeviceCredit} credits left (device mode`)

    const bad = await run(dir, ['--api-base', standin.url, 'login', '12345', '--json'])
    expect(bad.exitCode).toBe(1)
    expect(JSON.parse(bad.out)).toMatchObject({ ok: false, error: { code: 'aipic.invalid-phone' } })

    const badBase = await run(dir, ['--api-base', 'ftp://example.com', 'credits'])
    expect(badBase.exitCode).toBe(1)
    expect(badBase.err).toContain('http(s) URL')
  })

  it('refuses a page number below 1', async () => {
    await expect(run(configDir(), ['--api-base', standin.url, 'history', '--page', '0'])).rejects.toThrow(/--page must be a whole number/)
  })
})
