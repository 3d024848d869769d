// The README's two commands are what a newcomer types; CI must run the same test command.
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const root = path.resolve(import.meta.dirname, '..')
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')
const ci = fs.readFileSync(path.join(root, '.ci/run'), 'utf8')
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }

function topCommands(): string[] {
  const block = /```sh\n([\s\S]*?)```/.exec(readme)
  if (!block?.[1]) throw new Error('README has no ```sh block at the top')
  return block[1]
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean)
}

describe('README', () => {
  it('starts with an install-and-start command and a test command', () => {
    const [install, tests] = topCommands()
    expect(install).toBe('npm install && npm start')
    expect(tests).toBe('npm test')
    expect(pkg.scripts.start).toBeTruthy()
    expect(pkg.scripts.test).toBeTruthy()
  })

  it('has its test command run by .ci/run, after npm ci', () => {
    const [, tests] = topCommands()
    const lines = ci.split('\n').map((line) => line.trim())
    const ciIndex = lines.indexOf('npm ci --no-audit --no-fund')
    const testIndex = lines.indexOf(tests!)
    expect(ciIndex).toBeGreaterThan(-1)
    expect(testIndex).toBeGreaterThan(ciIndex)
  })
})
