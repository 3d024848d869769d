/**
 * The stand-ins of `npm run bench:remote`, in their own process so that their work (the aipic
 * stand-in keys every cutout in JavaScript) does not count against the event-loop delay measured
 * in the benchmark's process, which plays the app's main process. Prints one JSON line
 * `{ "aipic": url, "litterbox": url }` on stdout and runs until killed.
 */
import { parseArgs } from 'node:util'
import { startAipicStandin } from '../test/standins/aipic-server'
import { startLitterboxStandin } from '../test/standins/hosts/litterbox'

const { values } = parseArgs({
  options: {
    latency: { type: 'string', default: '200' },
    processing: { type: 'string', default: '1000' },
    'max-concurrent': { type: 'string', default: '4' },
    credit: { type: 'string', default: '1000' },
  },
})

const [aipic, litterbox] = await Promise.all([
  startAipicStandin({
    initialDeviceCredit: Number(values.credit),
    faults: { latencyMs: Number(values.latency), processingMs: Number(values.processing), maxConcurrentCutouts: Number(values['max-concurrent']) },
  }),
  startLitterboxStandin(),
])
process.stdout.write(`${JSON.stringify({ aipic: aipic.url, litterbox: litterbox.url })}\n`)
const stop = (): void => {
  void Promise.all([aipic.close(), litterbox.close()]).finally(() => process.exit(0))
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
