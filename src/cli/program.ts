/**
 * The `koutu` command line's root program (commander): the default command `koutu <paths…>`
 * with the batch flags, and the subcommands registered by other areas (account). Built by a
 * function so tests can run it in-process with their own streams and folders.
 */
import { Command, InvalidArgumentError, Option } from 'commander'
import type { Logger } from '../shared/logger'
import { CONFLICT_POLICIES, ENGINE_KINDS, LOCAL_DEVICES, OUTPUT_FORMATS } from '../shared/settings'
import { createStderrLogger } from '../main/logging/stderr-logger'
import { defaultUserDataDir } from '../main/paths'
import type { Settings } from '../shared/settings'
import { createRemoteEngineFactory } from '../main/engine/aipic/factory'
import { createProxyAgents } from '../main/net/proxy'
import { openCliAccount, registerAccountCommands, resolveApiBase } from './commands/account'
import { registerFarmCommands } from './commands/farm'
import { createCliEngineFactory, type RemoteEngineFactory } from './engine-factory'
import { addRemoteOptions, CLI_CONSENT_HINT, resolveRemoteOptions } from './remote-options'
import { runBatch, type RunBatchDeps, type RunOptions } from './run-batch'

export interface ProgramDeps {
  version: string
  env?: NodeJS.ProcessEnv
  stdout?: NodeJS.WritableStream
  stderr?: NodeJS.WritableStream & { isTTY?: boolean }
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean }
  /** Replaces the aipic engine (tests); by default it is built from the command line's account. */
  remoteEngine?: RemoteEngineFactory
  /** Replaces the engine factory (tests). */
  createEngine?: RunBatchDeps['createEngine']
  setExitCode?: (code: number) => void
  signals?: NodeJS.EventEmitter
}

function parseConcurrency(value: string): number {
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 16) throw new InvalidArgumentError('a whole number from 1 to 16')
  return parsed
}

const HELP_AFTER = `
Outputs go next to each original as <name><suffix>.png (suffix "-cutout" by default), or with
--out DIR into a copy of the input tree under DIR (there the suffix may be empty). Originals are
never modified. Hidden files, the app's own outputs and non-images are skipped.

Defaults come from the app's settings (read-only); flags override them for this run.
A batch stopped by Ctrl-C or a crash resumes when the same command is run again.

Exit codes: 0 all files done or skipped, 1 some file failed (or has an unknown remote outcome),
2 the batch could not run or was stopped by the engine (e.g. out of credit), 130 interrupted.

Examples:
  koutu ~/Photos/shoot
  koutu a.jpg b.heic --format webp
  koutu ~/Photos --out ~/Cutouts --suffix "" --json > report.json`

export function createProgram(deps: ProgramDeps): Command {
  const env = deps.env ?? process.env
  const stdout = deps.stdout ?? process.stdout
  const stderr = deps.stderr ?? process.stderr
  const stdin = deps.stdin ?? process.stdin
  const setExitCode = deps.setExitCode ?? ((code: number) => (process.exitCode = code))
  const userDataDir = defaultUserDataDir(env)

  const userAgent = `Koutu/${deps.version} (command line)`
  /** An aipic engine over the command line's own account, through HTTPS_PROXY/NO_PROXY, for the given settings. */
  const remoteEngineFor = (settings: () => Settings, logger: Logger): RemoteEngineFactory =>
    deps.remoteEngine ??
    (async (snapshot) => {
      const current = settings()
      const proxy = createProxyAgents({ kind: 'env' }, { logger })
      const account = await openCliAccount({
        configDir: userDataDir,
        baseUrl: resolveApiBase(program.opts().apiBase, env, current.apiBaseUrl),
        userAgent,
        logger,
        agent: proxy.agent,
      })
      const accessKeyId = env.KOUTU_S3_ACCESS_KEY_ID
      const secretAccessKey = env.KOUTU_S3_SECRET_ACCESS_KEY
      return createRemoteEngineFactory({
        account,
        settings: () => current,
        userAgent,
        agent: proxy.agent,
        logger,
        consentHint: CLI_CONSENT_HINT,
        s3Credentials: async () => (accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : null),
      })(snapshot)
    })

  const program = new Command('koutu')
    .description('Batch background removal: a transparent PNG next to every photo in the given files and folders.')
    .version(deps.version)
    .enablePositionalOptions()
    // Usage errors exit with 2 like any batch that cannot run (see main.ts); help and version with 0.
    .exitOverride()
    .showHelpAfterError('(run koutu --help for usage)')
    .configureOutput({
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => stderr.write(text),
    })
    .argument('[paths...]', 'image files and folders to process')
    .addOption(new Option('--engine <engine>', 'engine to use').choices(ENGINE_KINDS))
    .option('--out <dir>', 'output root: mirror the input tree under this folder instead of writing next to the originals')
    .option('--suffix <str>', 'appended to output file names (default "-cutout"; may be empty with --out)')
    .option('--no-recursive', 'do not descend into subfolders')
    .addOption(new Option('--on-conflict <policy>', 'when the output exists').choices(CONFLICT_POLICIES))
    .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS))
    .option('--concurrency <n>', 'files processed at once (1-16)', parseConcurrency)
    .option('--model <name|path>', 'local model: isnet-medium, isnet-small, custom, or the path of an .onnx file')
    .addOption(new Option('--device <device>', 'where the local model runs: auto (a GPU that proved faster), gpu, cpu').choices(LOCAL_DEVICES))
    .option('--json', 'print a machine-readable report on stdout')
    .option('--verbose', 'one line per file, and debug logs on stderr')
  addRemoteOptions(program)
  program
    .addHelpText('after', HELP_AFTER)
    .action(async (paths: string[], raw: Record<string, unknown>, command: Command) => {
      if (paths.length === 0) {
        command.help({ error: true })
      }
      const verbose = raw.verbose === true
      const logger: Logger = createStderrLogger(verbose ? 'debug' : 'warn')
      const options: RunOptions = {
        json: raw.json === true,
        verbose,
        ...(typeof raw.engine === 'string' ? { engine: raw.engine as RunOptions['engine'] & string } : {}),
        ...(typeof raw.out === 'string' ? { out: raw.out } : {}),
        ...(typeof raw.suffix === 'string' ? { suffix: raw.suffix } : {}),
        // --no-recursive defines `recursive` with a default of true: only a flag given counts.
        ...(command.getOptionValueSource('recursive') === 'cli' ? { recursive: raw.recursive === true } : {}),
        ...(typeof raw.onConflict === 'string' ? { onConflict: raw.onConflict as RunOptions['onConflict'] & string } : {}),
        ...(typeof raw.format === 'string' ? { format: raw.format as RunOptions['format'] & string } : {}),
        ...(typeof raw.concurrency === 'number' ? { concurrency: raw.concurrency } : {}),
        ...(typeof raw.model === 'string' ? { model: raw.model } : {}),
        ...(typeof raw.device === 'string' ? { device: raw.device as RunOptions['device'] & string } : {}),
      }
      // The remote route: the run's settings once --host/--host-base/consent are applied.
      let runSettings: Settings | null = null
      const remoteEngine = remoteEngineFor(() => runSettings!, logger)
      const code = await runBatch(paths, options, {
        userDataDir,
        logger,
        createEngine: deps.createEngine ?? ((log) => createCliEngineFactory(log, remoteEngine, { userDataDir, version: deps.version })),
        availableEngines: ENGINE_KINDS,
        prepareSettings: async (settings) => {
          runSettings =
            settings.engine === 'aipic'
              ? await resolveRemoteOptions(raw, settings, { stdin, stderr, interactive: raw.json !== true })
              : settings
          return runSettings
        },
        stdout,
        stderr,
        stdin,
        ...(deps.signals ? { signals: deps.signals } : {}),
      })
      setExitCode(code)
    })

  // ---- subcommands: each area registers its own here -----------------------------------------
  registerAccountCommands(program, {
    configDir: userDataDir,
    logger: createStderrLogger('warn'),
    verboseLogger: createStderrLogger('debug'),
    userAgent: `Koutu/${deps.version} (command line)`,
    env,
    stdout,
    stderr,
    stdin,
    setExitCode,
  })
  registerFarmCommands(program, {
    userDataDir,
    env,
    stdout,
    stderr,
    stdin,
    setExitCode,
    createEngine: (logger, settings, devices) =>
      deps.createEngine ? deps.createEngine(logger) : createCliEngineFactory(logger, remoteEngineFor(settings, logger), undefined, devices),
    ...(deps.signals ? { signals: deps.signals } : {}),
  })
  // -----------------------------------------------------------------------------------------------

  return program
}
