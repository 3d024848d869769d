/**
 * The account commands of the command line: `koutu login <phone> [--code C]`, `koutu logout`,
 * `koutu credits`, `koutu history [--page N] [--size N]`, and the options that change how Koutu
 * reaches aipic (`--api-base URL` or KOUTU_API_BASE, `--json`, `--verbose`), accepted before or
 * after the subcommand: the root program parses positional options, so each subcommand declares
 * them too (and lists them in its --help), and the subcommand's own value wins.
 *
 * They drive the same AccountService as the app. The command line keeps its own session, in the
 * config folder: `cli-account.json` (phone, customer id, device id, cooldown; no token) and
 * `cli-token.json` (the token, in plaintext, mode 0600: plain Node has no OS keychain; see
 * [Note: token storage policy]). Both are said out loud after a login.
 */
import path from 'node:path'
import readline from 'node:readline/promises'
import type { Command } from 'commander'
import { InvalidArgumentError, Option } from 'commander'
import type { Agents } from 'got'
import { AccountService } from '../../main/aipic/account'
import { type AipicClientOptions, DEFAULT_AIPIC_BASE_URL, createAipicClient } from '../../main/aipic/client'
import { PlaintextFileVault } from '../../main/aipic/secret-vault'
import { JsonFileStore } from '../../main/settings/json-file-store'
import type { AccountState } from '../../shared/account'
import { KoutuError, serializeError } from '../../shared/errors'
import type { Logger } from '../../shared/logger'

export const CLI_ACCOUNT_FILE = 'cli-account.json'
export const CLI_TOKEN_FILE = 'cli-token.json'
export const API_BASE_ENV = 'KOUTU_API_BASE'

export interface AccountCommandDeps {
  /** The per-platform config folder (src/main/paths.ts). */
  configDir: string
  logger: Logger
  /** The logger used with --verbose (debug lines on stderr); `logger` when absent. */
  verboseLogger?: Logger
  /** e.g. `Koutu/0.1.0 (command line)`. */
  userAgent: string
  /** The base URL when neither --api-base nor KOUTU_API_BASE is given (e.g. the app's setting). */
  defaultApiBase?: string
  /** HTTP agents from the proxy layer. */
  agent?: Agents
  /** Extra client options (tests shorten the time limits). */
  clientOptions?: Partial<AipicClientOptions>
  env?: NodeJS.ProcessEnv
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean }
  stdout?: NodeJS.WritableStream
  stderr?: NodeJS.WritableStream
  /** Called with 1 when a command fails (default: sets process.exitCode). */
  setExitCode?: (code: number) => void
}

/** The global `--api-base <url>` option; the root program adds it once (registerAccountCommands does if missing). */
export function createApiBaseOption(): Option {
  return new Option('--api-base <url>', `aipic API base URL (default ${DEFAULT_AIPIC_BASE_URL}; env ${API_BASE_ENV})`)
}

/** --api-base, then KOUTU_API_BASE, then the given default, then the real service. Must be http(s). */
export function resolveApiBase(optionValue: unknown, env: NodeJS.ProcessEnv, fallback?: string): string {
  const candidate =
    (typeof optionValue === 'string' && optionValue !== '' ? optionValue : undefined) ??
    (env[API_BASE_ENV] !== undefined && env[API_BASE_ENV] !== '' ? env[API_BASE_ENV] : undefined) ??
    fallback ??
    DEFAULT_AIPIC_BASE_URL
  if (!/^https?:\/\//i.test(candidate) || !URL.canParse(candidate)) {
    throw new KoutuError('aipic.invalid-request', `The API base URL must be an http(s) URL, not "${candidate}".`, {
      detail: { field: 'api-base' },
    })
  }
  return candidate
}

/**
 * The command line's aipic account: its own session files in the config folder (the token in a
 * 0600 file, see PlaintextFileVault). Shared by the account commands and remote batches.
 */
export async function openCliAccount(
  deps: Pick<AccountCommandDeps, 'configDir' | 'userAgent' | 'logger' | 'agent' | 'clientOptions'> & { baseUrl: string },
): Promise<AccountService> {
  const client = createAipicClient({
    baseUrl: deps.baseUrl,
    userAgent: deps.userAgent,
    logger: deps.logger,
    ...(deps.agent ? { agent: deps.agent } : {}),
    ...deps.clientOptions,
  })
  const account = new AccountService({
    client,
    store: new JsonFileStore(path.join(deps.configDir, CLI_ACCOUNT_FILE), deps.logger),
    vault: new PlaintextFileVault(path.join(deps.configDir, CLI_TOKEN_FILE)),
    tokenStorageReason: 'command-line',
    logger: deps.logger,
  })
  await account.init()
  return account
}

export function registerAccountCommands(program: Command, deps: AccountCommandDeps): void {
  const env = deps.env ?? process.env
  const stdout = deps.stdout ?? process.stdout
  const stderr = deps.stderr ?? process.stderr
  const stdin = deps.stdin ?? process.stdin
  const setExitCode = deps.setExitCode ?? ((code: number) => (process.exitCode = code))
  const tokenFile = path.join(deps.configDir, CLI_TOKEN_FILE)
  const print = (text: string) => stdout.write(`${text}\n`)

  if (!program.options.some((option) => option.long === '--api-base')) program.addOption(createApiBaseOption())

  async function openAccount(command: Command): Promise<AccountService> {
    const baseUrl = resolveApiBase(sharedOption(command, 'apiBase'), env, deps.defaultApiBase)
    const logger = sharedOption(command, 'verbose') === true ? (deps.verboseLogger ?? deps.logger) : deps.logger
    return openCliAccount({ ...deps, logger, baseUrl })
  }

  /** Runs a command body; a failure is printed (as JSON with --json) and sets exit code 1. */
  function action<A extends unknown[]>(body: (json: boolean, command: Command, ...args: A) => Promise<void>) {
    return async (...received: unknown[]) => {
      const command = received.at(-1) as Command
      const json = sharedOption(command, 'json') === true
      try {
        await body(json, command, ...(received.slice(0, -2) as A))
      } catch (error) {
        const serialized = serializeError(error)
        if (json) print(JSON.stringify({ ok: false, error: serialized }))
        else stderr.write(`Error: ${serialized.message}\n`)
        setExitCode(1)
      }
    }
  }

  const describeStorage = () => `The session token is kept in ${tokenFile}, unencrypted and readable only by you (mode 0600).`

  connectionOptions(program.command('login'))
    .description('log in to aipic with a phone number and the SMS code sent to it')
    .argument('<phone>', 'mainland China mobile number (+86, spaces and dashes are fine)')
    .option('--code <code>', 'the 4-digit SMS code (sent by an earlier `koutu login <phone>`)')
    .action(
      action(async (json, command, phone: string) => {
        const account = await openAccount(command)
        let code = command.opts().code as string | undefined
        if (code === undefined) {
          const sent = await account.sendCode(phone)
          if (!stdin.isTTY) {
            if (json) print(JSON.stringify({ ok: true, codeSent: true, state: sent }))
            else print(`An SMS code was sent to ${phone}. Run: koutu login ${phone} --code <code>`)
            return
          }
          const rl = readline.createInterface({ input: stdin, output: stdout, terminal: false })
          try {
            code = (await rl.question('SMS code: ')).trim()
          } finally {
            rl.close()
          }
        }
        const state = await account.login(phone, code)
        if (json) print(JSON.stringify({ ok: true, state, tokenFile }))
        else {
          print(`Logged in as ${state.phone}; ${formatCredit(state)}.`)
          print(describeStorage())
        }
      }),
    )

  connectionOptions(program.command('logout'))
    .description('forget the aipic session kept by the command line')
    .action(
      action(async (json, command) => {
        const state = await (await openAccount(command)).logout()
        if (json) print(JSON.stringify({ ok: true, state }))
        else print('Logged out. Remote cutouts now use this computer\'s device credits.')
      }),
    )

  connectionOptions(program.command('credits'))
    .description('show the aipic credits left (the account when logged in, else this device)')
    .action(
      action(async (json, command) => {
        const state = await (await openAccount(command)).refreshCredits()
        if (json) print(JSON.stringify({ ok: true, credit: state.credit, identity: state.identity, checkedAt: state.creditCheckedAt, state }))
        else if (state.loggedIn) print(`${formatCredit(state)} (account ${state.phone}).`)
        else print(`${formatCredit(state)} (device mode; log in with \`koutu login <phone>\` to use your account).`)
      }),
    )

  connectionOptions(program.command('history'))
    .description('list past aipic cutouts of the logged-in account')
    .option('--page <n>', 'page number, from 1', parsePositive('--page'), 1)
    .option('--size <n>', 'items per page', parsePositive('--size'), 20)
    .action(
      action(async (json, command) => {
        const { page, size } = command.opts() as { page: number; size: number }
        const result = await (await openAccount(command)).historyPage(page, size)
        if (json) {
          print(JSON.stringify({ ok: true, ...result }))
          return
        }
        const pages = Math.max(1, Math.ceil(result.totalCount / result.size))
        print(`Page ${result.page} of ${pages} (${result.totalCount} cutouts):`)
        for (const item of result.items) print(`${item.createdAt}  ${item.imageUrl ?? '(no original listed)'}  ->  ${item.resultUrl ?? '(no result)'}`)
      }),
    )
}

/**
 * The options every account command takes after its name as well as before it: where aipic is,
 * and how to report.
 */
function connectionOptions(command: Command): Command {
  return command
    .addOption(createApiBaseOption())
    .option('--json', 'print JSON')
    .option('--verbose', 'debug logs on stderr (requests and their timing; never the token)')
}

/** A shared option's value: the subcommand's own when given there, else the root program's. */
function sharedOption(command: Command, key: 'apiBase' | 'json' | 'verbose'): unknown {
  return command.opts()[key] ?? command.parent?.opts()[key]
}

function formatCredit(state: AccountState): string {
  if (state.credit === null) return 'credits unknown'
  return `${state.credit} credit${state.credit === 1 ? '' : 's'} left`
}

function parsePositive(flag: string) {
  return (value: string): number => {
    const parsed = Number(value)
    if (!Number.isInteger(parsed) || parsed < 1) {
      throw new InvalidArgumentError(`${flag} must be a whole number of at least 1.`)
    }
    return parsed
  }
}
