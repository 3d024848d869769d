/**
 * The real `koutu` program (a child process) with the account commands' shared options after the
 * subcommand, as people type them: `koutu login 13800138000 --code 2468 --api-base URL --json`.
 * Against a stand-in that labels its JSON text/html with numbers as strings (Django's defaults),
 * which is the very first thing a new user of such a server tried. Before these options were
 * declared on each subcommand, every command here answered "unknown option '--api-base'".
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AipicStandin, startAipicStandin } from '../../standins/aipic-server'
import { runCli } from '../helpers'

let standin: AipicStandin
let userData: string
const PHONE = '13800138000'

beforeAll(async () => {
  standin = await startAipicStandin({ replyStyle: 'django-html', fixedCode: '2468', initialUserCredit: 7 })
  userData = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-cli-options-'))
})
afterAll(async () => {
  await standin.close()
  fs.rmSync(userData, { recursive: true, force: true })
})

describe('options after the subcommand', () => {
  it('login, credits, history and logout take --api-base, --json and --verbose after their name', async () => {
    const api = ['--api-base', standin.url]
    const sent = await runCli(['login', PHONE, ...api, '--json'], userData)
    expect(sent.stderr).not.toContain('unknown option')
    expect(JSON.parse(sent.stdout)).toMatchObject({ ok: true, codeSent: true })

    const login = await runCli(['login', PHONE, '--code', '2468', ...api, '--json'], userData)
    expect(login.code).toBe(0)
    expect(JSON.parse(login.stdout)).toMatchObject({ ok: true, state: { loggedIn: true, credit: 7 } })

    const credits = await runCli(['credits', ...api, '--json', '--verbose'], userData)
    expect(JSON.parse(credits.stdout)).toMatchObject({ ok: true, credit: 7, identity: 'phone' })
    // --verbose reached the subcommand: the client's debug line for the reply is on stderr.
    expect(credits.stderr).toMatch(/aipic: reply/)

    const history = await runCli(['history', '--size', '5', ...api, '--json'], userData)
    expect(JSON.parse(history.stdout)).toMatchObject({ ok: true, page: 1, size: 5, totalCount: 0 })

    // Before the subcommand still works, and the subcommand's own value wins over the root's.
    const before = await runCli(['--api-base', 'http://127.0.0.1:9/', 'credits', ...api, '--json'], userData)
    expect(JSON.parse(before.stdout)).toMatchObject({ ok: true, credit: 7 })

    const logout = await runCli(['logout', ...api, '--json'], userData)
    expect(JSON.parse(logout.stdout)).toMatchObject({ ok: true, state: { loggedIn: false } })
  }, 90_000)

  it('each subcommand lists them in its --help', async () => {
    for (const sub of ['login', 'logout', 'credits', 'history']) {
      const help = await runCli([sub, '--help'], userData)
      expect(help.code).toBe(0)
      for (const flag of ['--api-base <url>', '--json', '--verbose']) expect(help.stdout, `${sub} --help`).toContain(flag)
    }
  }, 60_000)
})
