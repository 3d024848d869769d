/**
 * `npm run aipic-standin [-- --port 8787 --latency 200 --processing 1000 --max-concurrent 4 --style django-html]`:
 * starts the aipic stand-in (test/standins/aipic-server.ts) for trying the app or the command
 * line by hand, and prints each SMS code it "sends". Point Koutu at it with the API base URL
 * setting, `--api-base URL` or KOUTU_API_BASE. `--style` picks how it labels and spells its
 * JSON (`--list-styles` describes each), as real servers of its kind differ.
 */
import { Command, InvalidArgumentError, Option } from 'commander'
import { REPLY_STYLE_NAMES, REPLY_STYLES, type ReplyStyleName, startAipicStandin } from '../test/standins/aipic-server'

function count(value: string): number {
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number >= 0')
  return parsed
}

const options = new Command()
  .name('aipic-standin')
  .description('a local stand-in for the aipic background-removal API')
  .option('--port <n>', 'port to listen on (0: any free port)', count, 8787)
  .option('--host <address>', 'address to listen on', '127.0.0.1')
  .option('--latency <ms>', 'delay before every request is handled', count, 0)
  .option('--processing <ms>', 'extra time each cutout takes', count, 0)
  .option('--max-concurrent <n>', 'cutouts processed at once (0: no limit)', count, 0)
  .option('--user-credit <n>', 'credits of a new phone account', count, 20)
  .option('--device-credit <n>', 'credits of a new device id', count, 10)
  .option('--code <digits>', 'send this SMS code every time instead of a random one')
  .option('--bare-sms', 'answer send_sms_vcode with the bare {phone} shape')
  .addOption(new Option('--style <name>', 'how JSON replies are labelled and spelled (see --list-styles)').choices(REPLY_STYLE_NAMES).default('json'))
  .option('--list-styles', 'describe each reply style and exit')
  .parse()
  .opts<{
    port: number
    host: string
    latency: number
    processing: number
    maxConcurrent: number
    userCredit: number
    deviceCredit: number
    code?: string
    bareSms?: boolean
    style: ReplyStyleName
    listStyles?: boolean
  }>()

if (options.listStyles) {
  for (const name of REPLY_STYLE_NAMES) process.stdout.write(`${name.padEnd(14)} ${REPLY_STYLES[name].description}\n`)
  process.exit(0)
}

const standin = await startAipicStandin({
  port: options.port,
  host: options.host,
  initialUserCredit: options.userCredit,
  initialDeviceCredit: options.deviceCredit,
  smsReplyShape: options.bareSms ? 'bare' : 'envelope',
  replyStyle: options.style,
  ...(options.code ? { fixedCode: options.code } : {}),
  faults: {
    latencyMs: options.latency,
    processingMs: options.processing,
    maxConcurrentCutouts: options.maxConcurrent === 0 ? Number.POSITIVE_INFINITY : options.maxConcurrent,
  },
  onRequest(entry) {
    const time = new Date().toISOString().slice(11, 19)
    if (entry.endpoint === 'send_sms_vcode') {
      const phone = (entry.body as { phone?: string } | undefined)?.phone ?? '?'
      // The code is stored after this hook runs.
      setImmediate(() => {
        const code = standin.state.sentCodes.get(phone)
        process.stdout.write(`${time}  SMS to ${phone}: code ${code ?? '(none: refused)'}\n`)
      })
    } else {
      process.stdout.write(`${time}  ${entry.endpoint}\n`)
    }
  },
})

process.stdout.write(
  [
    `aipic stand-in listening on ${standin.url} (replies styled ${options.style}: ${REPLY_STYLES[options.style].description})`,
    '',
    'Use it from the app: Settings > API base URL, or run the app/command line with',
    `  KOUTU_API_BASE=${standin.url}`,
    `  npm run cli -- --api-base ${standin.url} login 13800138000`,
    'SMS codes are not sent anywhere: each one is printed below when it is requested.',
    `New phone accounts get ${options.userCredit} credits, new devices ${options.deviceCredit}.`,
    'Press Ctrl+C to stop.',
    '',
  ].join('\n'),
)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void standin.close().then(() => process.exit(0))
  })
}
