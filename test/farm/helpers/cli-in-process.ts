/**
 * `koutu …` run in this process: the same commander program as the executable (createProgram),
 * with its own streams, for the command-line checks that need no separate process (quicker
 * than starting Node and tsx for each).
 */
import { Readable, Writable } from 'node:stream'
import { CommanderError } from 'commander'
import { createProgram } from '../../../src/cli/program'

export interface InProcessResult {
  code: number
  stdout: string
  stderr: string
}

function sink(append: (text: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      append(chunk.toString())
      done()
    },
  })
}

export async function runCliInProcess(args: string[], userDataDir: string): Promise<InProcessResult> {
  let stdout = ''
  let stderr = ''
  let code = 0
  const program = createProgram({
    version: '0.0.0-test',
    env: { ...process.env, KOUTU_USER_DATA: userDataDir },
    stdout: sink((text) => (stdout += text)),
    stderr: sink((text) => (stderr += text)),
    stdin: Readable.from([]),
    setExitCode: (value) => (code = value),
  })
  try {
    await program.parseAsync(['node', 'koutu', ...args])
  } catch (error) {
    // As main.ts: commander has printed the usage problem; only the exit code is left.
    if (!(error instanceof CommanderError)) throw error
    code = error.exitCode === 0 ? 0 : 2
  }
  return { code, stdout, stderr }
}
