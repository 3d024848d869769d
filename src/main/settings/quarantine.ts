/** Moves an unreadable settings file aside (never deletes it) so the user's data is not lost. */
import fs from 'node:fs'

export function quarantineCorruptFile(filePath: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-')
  const target = `${filePath}.corrupt-${stamp}`
  fs.renameSync(filePath, target)
  return target
}
