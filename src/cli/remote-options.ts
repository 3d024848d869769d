/**
 * The command line's remote-route options and its upload consent: `--host` (repeatable, in
 * fallback order), `--host-base NAME=URL` (self-hosting, stand-ins), `--allow-upload`, and the
 * yes/no question on a terminal. The batch command adds them with `addRemoteOptions(command)` and
 * turns them into the run's settings with `resolveRemoteOptions(opts, settings, io)` before the
 * batch starts; without consent a remote batch uploads nothing and says why (see
 * [Note: consent covers the whole fallback chain] in src/main/upload/consent.ts).
 *
 * Consent given here lasts for this run only: the command line never writes the app's settings.
 */
import readline from 'node:readline/promises'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { KoutuError } from '../shared/errors'
import { UPLOAD_HOST_IDS, settingsSchema, type Settings, type UploadHostId } from '../shared/settings'
import { consentRequiredError, formatHours, grantConsent, hostsNeedingConsent, type ConsentRequest } from '../main/upload/consent'

/** The parsed flags (commander's option values for these options). */
export interface RemoteFlags {
  /** --host, in the order given. */
  host?: UploadHostId[]
  /** --host-base, merged. */
  hostBase?: Partial<Record<UploadHostId, string>>
  allowUpload?: boolean
}

/** Where the question is asked. Without a terminal on stdin it is not asked. */
export interface RemoteOptionsIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream
  /** False when the run must not ask (e.g. --json output for scripts). Default true. */
  interactive?: boolean
}

/** How to agree on the command line; ends the consent error's message. */
export const CLI_CONSENT_HINT =
  'Run again with --allow-upload to agree, choose other hosts with --host (e.g. --host s3 for your own bucket), or use --engine local.'

function isHostId(value: string): value is UploadHostId {
  return (UPLOAD_HOST_IDS as readonly string[]).includes(value)
}

function collectHost(value: string, previous: UploadHostId[] | undefined): UploadHostId[] {
  const host = value.trim().toLowerCase()
  if (!isHostId(host)) throw new InvalidArgumentError(`Allowed choices are ${UPLOAD_HOST_IDS.join(', ')}.`)
  return [...(previous ?? []), host]
}

function collectHostBase(value: string, previous: Partial<Record<UploadHostId, string>> | undefined): Partial<Record<UploadHostId, string>> {
  const separator = value.indexOf('=')
  const name = value.slice(0, Math.max(0, separator)).trim().toLowerCase()
  const url = value.slice(separator + 1).trim()
  if (separator < 1 || !isHostId(name)) {
    throw new InvalidArgumentError(`Use NAME=URL with NAME one of ${UPLOAD_HOST_IDS.join(', ')}.`)
  }
  if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) throw new InvalidArgumentError(`"${url}" is not an http(s) URL.`)
  return { ...previous, [name]: url }
}

/** Adds --host, --host-base and --allow-upload to `command` (the batch command). */
export function addRemoteOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--host <name>', `upload host for the aipic engine, repeatable in fallback order (${UPLOAD_HOST_IDS.join('|')})`).argParser(
        collectHost,
      ),
    )
    .addOption(new Option('--host-base <name=url>', "override one upload host's base URL (self-hosting), repeatable").argParser(collectHostBase))
    .addOption(new Option('--allow-upload', 'agree to upload photos to the chosen public host(s) for this run'))
}

/** The flags out of commander's option values (unknown shapes are ignored). */
export function remoteFlagsOf(opts: Record<string, unknown>): RemoteFlags {
  const flags: RemoteFlags = {}
  if (Array.isArray(opts.host)) flags.host = opts.host.filter((value): value is UploadHostId => typeof value === 'string' && isHostId(value))
  if (opts.hostBase !== null && typeof opts.hostBase === 'object') flags.hostBase = opts.hostBase as Partial<Record<UploadHostId, string>>
  if (opts.allowUpload === true) flags.allowUpload = true
  return flags
}

/**
 * The settings for this run with the remote flags applied, and consent settled: for a remote
 * batch, every public host in the chain must be agreed to, by --allow-upload, by an earlier
 * agreement in the app, or by a yes at the terminal. Otherwise rejects with
 * `upload.consent-required` naming the hosts (nothing has been uploaded).
 */
export async function resolveRemoteOptions(opts: Record<string, unknown> | RemoteFlags, settings: Settings, io: RemoteOptionsIo): Promise<Settings> {
  const flags = remoteFlagsOf(opts as Record<string, unknown>)
  const next: Settings = { ...settings }
  if (flags.host !== undefined && flags.host.length > 0) next.uploadHosts = checked('uploadHosts', [...new Set(flags.host)])
  if (flags.hostBase !== undefined) next.uploadBaseUrls = checked('uploadBaseUrls', { ...settings.uploadBaseUrls, ...flags.hostBase })
  if (next.engine !== 'aipic') return next

  const needed = hostsNeedingConsent(next)
  if (needed.length === 0) return next
  const agree = (): Settings => ({ ...next, uploadConsent: grantConsent(next.uploadConsent, needed.map((request) => request.host)) })
  if (flags.allowUpload === true) return agree()
  if (io.interactive !== false && io.stdin.isTTY === true && (await askConsent(needed, io))) return agree()
  throw consentRequiredError(needed, CLI_CONSENT_HINT)
}

function checked<K extends 'uploadHosts' | 'uploadBaseUrls'>(key: K, value: Settings[K]): Settings[K] {
  const parsed = settingsSchema.shape[key].safeParse(value)
  if (!parsed.success) {
    throw new KoutuError('batch.invalid-options', `Invalid ${key === 'uploadHosts' ? '--host' : '--host-base'}: ${parsed.error.issues[0]?.message ?? 'invalid'}.`)
  }
  return parsed.data as Settings[K]
}

/** The terminal question; true on yes. */
async function askConsent(needed: readonly ConsentRequest[], io: RemoteOptionsIo): Promise<boolean> {
  const lines = [
    'The aipic engine uploads each photo to a temporary public host, from which aipic fetches it:',
    ...needed.map((request) => `  ${request.site} (${request.host}): files are kept ${formatHours(request.retentionHours)}`),
    'Anyone who has a link can see that photo until it expires. Uploads carry a random name and no metadata (EXIF, GPS).',
  ]
  io.stderr.write(`${lines.join('\n')}\n`)
  const rl = readline.createInterface({ input: io.stdin, output: io.stderr, terminal: false })
  try {
    const answer = await rl.question('Upload photos to these hosts for this run? [y/N] ')
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}
